"""A tenant's public home (/p/<tenant code>/): every public page of the city, no login."""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render

from sasaeai.accounts.middleware import tenant_choice_exempt, two_factor_exempt
from sasaeai.core import public_site
from sasaeai.core.models import Tenant


def _public(view):
    return login_not_required(two_factor_exempt(tenant_choice_exempt(view)))


@_public
def choose(request):
    return render(
        request, "core/public_choose.html", {"tenants": Tenant.objects.filter(is_active=True)}
    )


@_public
def home(request, tenant_code: str):
    tenant = public_site.public_tenant(tenant_code)
    if tenant is None:
        raise Http404
    links = [link for link in public_site.pages_for(tenant) if link.key != public_site.HOME]
    return render(request, "core/public_home.html", {"tenant": tenant, "links": links})
