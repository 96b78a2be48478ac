from django.urls import path

from sasaeai.resources import import_views, views

app_name = "resources"
urlpatterns = [
    path("", views.staff_list, name="staff_list"),
    path("new/", views.service_edit, name="service_new"),
    path("stale/", views.stale_list, name="stale_list"),
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/<int:proposal_id>/", views.proposal_review, name="proposal_review"),
    path("map-settings/", views.map_settings, name="map_settings"),
    path("import/", import_views.upload, name="import_upload"),
    path("import/<int:import_id>/", import_views.preview, name="import_preview"),
    path("<int:service_id>/", views.staff_detail, name="staff_detail"),
    path("<int:service_id>/edit/", views.service_edit, name="service_edit"),
    path("<int:service_id>/confirm/", views.service_confirm, name="service_confirm"),
]
