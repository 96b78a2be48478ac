"""The registry of go-live checklist items: each module says whether its step is done.

A module registers `ChecklistItem(key, label, check, order)` from AppConfig.ready();
`check(tenant_id)` returns an `ItemState`: its state (done, to do, warning), a short text
with the figures behind it, and the URL name of the page where the step is done. Checks import
their models inside the function and read counts only, so the page stays cheap.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DONE = "done"
TODO = "todo"
WARNING = "warning"
STATE_LABELS = {DONE: _("done"), TODO: _("to do"), WARNING: _("check")}


@dataclass(frozen=True)
class ItemState:
    state: str  # DONE, TODO or WARNING
    detail: str | Promise
    url_name: str = ""  # where the step is done; "" when it is done outside the application
    facts: list[str] = field(default_factory=list)  # figures shown under the detail


@dataclass(frozen=True)
class ChecklistItem:
    key: str  # "<app>.<step>"
    label: str | Promise
    check: Callable[[int], ItemState]
    order: int = 50


_items: dict[str, ChecklistItem] = {}


def register(item: ChecklistItem) -> None:
    if item.key in _items and _items[item.key] != item:
        raise ValueError(f"Checklist item {item.key} is already registered differently")
    _items[item.key] = item


def all_items() -> list[ChecklistItem]:
    return sorted(_items.values(), key=lambda i: (i.order, i.key))


def register_core_items() -> None:
    """The tenant itself and its districts (areas with boundaries)."""
    register(ChecklistItem(key="core.tenant", label=_("Tenant"), check=_tenant, order=0))
    register(ChecklistItem(key="core.districts", label=_("Districts"), check=_districts, order=10))


def _tenant(tenant_id: int) -> ItemState:
    from sasaeai.core.models import Tenant

    tenant = Tenant.objects.get(pk=tenant_id)
    facts = [f"{tenant.code} {tenant.prefecture}{tenant.name}", tenant.welfare_council_name]
    if not tenant.welfare_council_name or not tenant.name_kana:
        return ItemState(WARNING, _("The welfare council or the kana of the name is missing."),
                         facts=facts)  # fmt: skip
    return ItemState(DONE, _("The tenant exists with its welfare council."), facts=facts)


def _districts(tenant_id: int) -> ItemState:
    from sasaeai.core.models import Area, AreaKind

    areas = Area.objects.filter(tenant_id=tenant_id)
    total = areas.count()
    districts = areas.filter(kind=AreaKind.DISTRICT).count()
    without_boundary = areas.filter(boundary__isnull=True).exclude(
        kind=AreaKind.DAILY_LIFE_AREA
    ).count()  # fmt: skip
    facts = [
        _("%(total)s areas, %(districts)s districts, %(missing)s without a boundary")
        % {"total": total, "districts": districts, "missing": without_boundary}
    ]
    if districts == 0:
        return ItemState(TODO, _("Import the districts with their boundaries."),
                         "core:area_list", facts)  # fmt: skip
    if without_boundary:
        return ItemState(WARNING, _("Some areas have no boundary: the map cannot place them."),
                         "core:area_list", facts)  # fmt: skip
    return ItemState(DONE, _("Districts with boundaries are in place."), "core:area_list", facts)
