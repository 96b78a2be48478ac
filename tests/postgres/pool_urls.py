"""A test-only view that shows what a request sees over its database connection."""

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path

# Called in the middle of a request, while its tenant is set (the tests put another client's
# query here, as a concurrent request would run it).
MID_REQUEST_HOOKS = []


def pool_probe(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id FROM core_area ORDER BY 1")
        tenant_ids = [row[0] for row in cursor.fetchall()]
        for hook in MID_REQUEST_HOOKS:
            hook()
        cursor.execute(
            "SELECT pg_backend_pid(), current_user, current_setting('sasaeai.tenant_id', true)"
        )
        pid, user, setting = cursor.fetchone()
    return JsonResponse(
        {"tenant_ids": tenant_ids, "backend_pid": pid, "user": user, "tenant_setting": setting}
    )


def pool_fail(request):
    """Writes a row in the request's tenant, then fails: the write must not be kept."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_area (tenant_id, kind, code, name, name_kana, search_text) "
            "VALUES (%s, 'district', '', 'pool-fail', '', '')",
            [request.actor.tenant_id],
        )
    raise RuntimeError("the view fails after writing")


urlpatterns = [
    path("pool-probe/", pool_probe),
    path("pool-fail/", pool_fail),
    path("", include("sasaeai.urls")),
]
