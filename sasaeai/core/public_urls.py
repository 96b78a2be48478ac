"""A tenant's public site: /p/ (choose a city) and /p/<tenant code>/ (its public pages)."""

from django.urls import path

from sasaeai.core import public_views

app_name = "public_site"
urlpatterns = [
    path("", public_views.choose, name="choose"),
    path("<str:tenant_code>/", public_views.home, name="home"),
]
