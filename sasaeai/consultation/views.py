"""Intake, persons and households, the worker's home page, passing a concern on, settings."""

from django.http import HttpResponse

urlpatterns = []


def home(request):
    return HttpResponse("consultation")
