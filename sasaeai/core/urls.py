from django.urls import path

from sasaeai.core import import_views, views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("areas/", views.area_list, name="area_list"),
    path("areas/new/", views.area_create, name="area_create"),
    path("areas/import/", import_views.upload, name="area_import"),
    path("areas/import/<uuid:token>/", import_views.preview, name="area_import_preview"),
    path("areas/<int:pk>/", views.area_detail, name="area_detail"),
    path("display/large-text/", views.large_text_toggle, name="large_text_toggle"),
]
