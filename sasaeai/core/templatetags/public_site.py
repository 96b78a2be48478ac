"""{% public_pages tenant as links %}: the tenant's public pages for the shared public layout."""

from dataclasses import dataclass

from django import template
from django.urls import reverse

from sasaeai.core import public_site

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    link: public_site.PublicLink
    current: bool  # the page being shown is this entry or under it (aria-current)


@register.simple_tag(takes_context=True)
def public_pages(context, tenant) -> list[NavItem]:
    request = context.get("request")
    path = request.path if request is not None else ""
    home = reverse("public_site:home", args=[tenant.code])
    return [
        NavItem(link, path == link.url or (link.url != home and path.startswith(link.url)))
        for link in public_site.pages_for(tenant)
    ]
