"""The public directory: no login, the city chosen by its local government code."""

from django.urls import path, reverse

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


def map_url(tenant) -> str:
    """The map's entry in core.public_site: every tenant has one (it says when nothing is
    published yet)."""
    return reverse("public_map:directory", args=[tenant.code])
