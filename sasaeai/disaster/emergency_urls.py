"""/disaster/emergency/: declarations, safety checks, progress per area, who saw what."""

from django.urls import path

from sasaeai.disaster import emergency_views as views

urlpatterns = [
    path("emergency/", views.declaration_list, name="emergency_list"),
    path("emergency/declare/", views.declaration_create, name="emergency_declare"),
    path("emergency/<int:pk>/", views.declaration_detail, name="emergency_detail"),
    path("emergency/<int:pk>/end/", views.declaration_end, name="emergency_end"),
    path("emergency/<int:pk>/safety/", views.safety_list, name="emergency_safety"),
    path(
        "emergency/<int:pk>/safety/<int:entry_id>/",
        views.safety_entry,
        name="emergency_safety_entry",
    ),
    path("emergency/<int:pk>/progress/", views.progress, name="emergency_progress"),
    path("emergency/<int:pk>/progress.svg", views.progress_svg, name="emergency_progress_svg"),
    path("emergency/<int:pk>/report/", views.report, name="emergency_report"),
    path("emergency/<int:pk>/report.csv", views.report_csv, name="emergency_report_csv"),
]
