from django.urls import path

from sasaeai.consultation import case_views, stats_views, views

app_name = "consultation"

urlpatterns = [
    path("", views.home, name="home"),
    *views.urlpatterns,
    *case_views.urlpatterns,
    *stats_views.urlpatterns,
]
