from django.urls import path

from sasaeai.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("bell/", views.bell, name="bell"),
    path("<int:pk>/open/", views.notification_open, name="notification_open"),
    path("read-all/", views.notifications_read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
]
