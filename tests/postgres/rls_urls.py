"""A test-only view that runs raw SQL as the application role inside a real request."""

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path


def raw_area_tenants(request):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        cursor.execute("SELECT DISTINCT tenant_id FROM core_area ORDER BY 1")
        tenant_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("RESET ROLE")
    return JsonResponse({"tenant_ids": tenant_ids})


urlpatterns = [
    path("raw-area-tenants/", raw_area_tenants),
    path("", include("sasaeai.urls")),
]
