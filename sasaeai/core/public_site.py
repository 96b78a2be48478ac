"""The registry of a tenant's public pages (no login): what residents can open for their city.

Each app that serves public pages registers one entry from its AppConfig.ready():

    public_site.register(
        public_site.PublicPage(
            key="notices",
            label=_("Notices"),
            url=notices_url,  # a module-level function (registering twice must compare equal)
            order=30,
        )
    )

`url(tenant)` answers the page's path for that tenant, or None when the tenant has nothing to
show there yet (the progress page only once a plan is published): `pages_for(tenant)` keeps the
others. It runs inside the tenant's context, so it may read the app's own published rows
(through accounts.policy.public_scope); it must stay cheap (one small query at most), because
every public page's navigation calls it. The shared layout (core/public_base.html) and the
tenant's public home (/p/<code>/) read this registry; core imports none of the apps.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context


@dataclass(frozen=True)
class PublicPage:
    key: str  # "<app>" or "<app>.<page>", e.g. "resources.map"
    label: str | Promise  # the navigation's words (English msgid, Japanese in the catalogue)
    url: Callable[[Tenant], str | None]  # the tenant's page, None: nothing to show yet
    order: int = 50
    description: str | Promise = ""  # one sentence on the public home


@dataclass(frozen=True)
class PublicLink:
    key: str
    label: str | Promise
    url: str
    description: str | Promise = ""


HOME = "home"  # the public home itself, first in the navigation (registered by core)

_pages: dict[str, PublicPage] = {}


def register(page: PublicPage) -> None:
    if page.key in _pages and _pages[page.key] != page:
        raise ValueError(f"Public page {page.key} is already registered by another module")
    _pages[page.key] = page


def all_pages() -> list[PublicPage]:
    return sorted(_pages.values(), key=lambda p: (p.order, p.key))


def pages_for(tenant: Tenant) -> list[PublicLink]:
    """The tenant's public pages that have something to show, in navigation order."""
    links = []
    with tenant_context(tenant.pk):
        for page in all_pages():
            url = page.url(tenant)
            if url is not None:
                links.append(PublicLink(page.key, page.label, url, page.description))
    return links


def public_tenant(code: str) -> Tenant | None:
    """The active tenant a public URL names, or None (404: unknown and inactive look alike)."""
    return Tenant.objects.filter(code=code, is_active=True).first()


def _home_url(tenant: Tenant) -> str:
    return reverse("public_site:home", args=[tenant.code])


def register_home() -> None:
    register(PublicPage(key=HOME, label=_("Top"), url=_home_url, order=0))


def public_page(view):
    """A page anyone may open, under /<app>/<tenant code>/…: an unknown or inactive tenant is a
    404, and the view runs as `view(request, tenant, …)` in the tenant's context (row-level
    security), without sign-in, two-factor or tenant choice."""
    from sasaeai.accounts.middleware import tenant_choice_exempt, two_factor_exempt

    @wraps(view)
    def wrapper(request, tenant_code, *args, **kwargs):
        tenant = public_tenant(tenant_code)
        if tenant is None:
            raise Http404
        with tenant_context(tenant.pk):
            return view(request, tenant, *args, **kwargs)

    return login_not_required(two_factor_exempt(tenant_choice_exempt(wrapper)))
