"""Open-data upload, preview and application (being written)."""

from django.http import HttpResponse


def upload(request):
    return HttpResponse(status=501)


def preview(request, import_id):
    return HttpResponse(status=501)
