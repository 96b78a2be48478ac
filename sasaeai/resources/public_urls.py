"""The public directory: no login, the city chosen by its local government code."""

from django.urls import path

from sasaeai.resources import views

app_name = "public_map"
urlpatterns = [
    path("", views.choose_city, name="choose_city"),
    path("<str:tenant_code>/", views.directory, name="directory"),
    path("<str:tenant_code>/print.pdf", views.print_map, name="print_map"),
    path("<str:tenant_code>/propose/", views.propose, name="propose_new"),
    path("<str:tenant_code>/places/<uuid:service_uid>/", views.place_detail, name="place"),
    path(
        "<str:tenant_code>/places/<uuid:service_uid>/propose/",
        views.propose,
        name="propose_correction",
    ),
]
