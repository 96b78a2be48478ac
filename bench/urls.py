"""The baseline: the same stack's minimal view that reads one row, for every page ratio."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path

from sasaeai.core.models import Tenant


@login_not_required
def one_row(request):
    tenant = Tenant.objects.order_by("pk").first()
    return HttpResponse(tenant.name)


urlpatterns = [path("bench/baseline/", one_row), path("", include("sasaeai.urls"))]
