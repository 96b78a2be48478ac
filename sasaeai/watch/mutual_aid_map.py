"""支え合いマップ: services and selectors for MutualAidMap, MapHousehold and MapTie.

Staff or the area's commissioner draw a map of one small area on a plain grid (no tiles):
households at a column and row, with marks; ties say who looks in on whom. A household
appears on the drawing only with its agreement (`agreed_on`); a tie is drawn only between two
agreed households (see docs/mutual-aid-map.md). Commissioners reach only the maps of their
districts: the models' `policy_area_field` limits them, no row rule is needed.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core.models import Area, AreaKind
from sasaeai.watch.models import (
    HouseholdMark,
    MapHousehold,
    MapTie,
    MutualAidMap,
    TieKind,
    WatchedPerson,
)

GRID_COLUMNS = 30
GRID_ROWS = 20


# ---- selectors ------------------------------------------------------------------------------


def maps_visible_to(actor) -> QuerySet[MutualAidMap]:
    return policy.scope(actor, "watch.view_map", MutualAidMap.objects.all()).select_related("area")


def map_for(actor, pk: int) -> MutualAidMap:
    found = maps_visible_to(actor).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def households_of(mutual_aid_map: MutualAidMap) -> list[MapHousehold]:
    return list(mutual_aid_map.households.order_by("y", "x", "pk"))


def ties_of(mutual_aid_map: MutualAidMap) -> list[MapTie]:
    return list(mutual_aid_map.ties.order_by("pk"))


def drawable(mutual_aid_map: MutualAidMap) -> tuple[list[MapHousehold], list[MapTie], int]:
    """What a drawing may show: agreed households, ties between two of them, and how many
    households were left out (a number only: where they live is not shown)."""
    households = households_of(mutual_aid_map)
    agreed = [h for h in households if h.agreed_on is not None]
    shown = {h.pk for h in agreed}
    ties = [t for t in ties_of(mutual_aid_map) if t.source_id in shown and t.target_id in shown]
    return agreed, ties, len(households) - len(agreed)


def areas_for_maps(actor) -> QuerySet[Area]:
    """The areas the actor may draw a map of: their districts (commissioners) or any."""
    rows = Area.objects.filter(tenant_id=actor.tenant_id)
    if actor.is_area_limited:
        rows = rows.filter(pk__in=actor.area_ids)
    return rows.order_by("code", "name")


# ---- services -------------------------------------------------------------------------------


def map_save(*, actor, mutual_aid_map: MutualAidMap | None = None, **values) -> MutualAidMap:
    creating = mutual_aid_map is None
    if creating:
        policy.require(actor, "watch.manage_map")
        mutual_aid_map = MutualAidMap(tenant_id=actor.tenant_id, created_by_id=actor.user_id)
    else:
        policy.require(actor, "watch.manage_map", mutual_aid_map)
    for name in ("title", "area", "drawn_on", "note"):
        if name in values:
            setattr(mutual_aid_map, name, values[name])
    area = mutual_aid_map.area if mutual_aid_map.area_id else None
    if area is None or not areas_for_maps(actor).filter(pk=area.pk).exists():
        raise ValidationError({"area": _("Choose one of your districts.")})
    with transaction.atomic():
        mutual_aid_map.full_clean()
        mutual_aid_map.save()
        audit_object(actor, Action.CREATE if creating else Action.UPDATE, mutual_aid_map)
    return mutual_aid_map


def household_save(
    *, actor, mutual_aid_map: MutualAidMap, household: MapHousehold | None = None, **values
) -> MapHousehold:
    """Place or change a household; one household per cell, marks from HouseholdMark."""
    policy.require(actor, "watch.manage_map", mutual_aid_map)
    creating = household is None
    if creating:
        household = MapHousehold(tenant_id=mutual_aid_map.tenant_id, map=mutual_aid_map)
    elif household.map_id != mutual_aid_map.pk:
        raise Http404
    for name in ("label", "marks", "x", "y", "agreed_on", "watched", "note"):
        if name in values:
            setattr(household, name, values[name])
    household.label = (household.label or "").strip()
    _check_household(actor, household)
    with transaction.atomic():
        household.full_clean()
        household.save()
        audit_object(actor, Action.CREATE if creating else Action.UPDATE, household)
    return household


def _check_household(actor, household: MapHousehold) -> None:
    errors = {}
    unknown = [m for m in household.marks or [] if m not in HouseholdMark.values]
    if unknown:
        errors["marks"] = _("Unknown mark: %(marks)s") % {"marks": ", ".join(map(str, unknown))}
    if household.x is None or not 0 <= household.x < GRID_COLUMNS:
        errors["x"] = _("Choose a column from 0 to %(last)s.") % {"last": GRID_COLUMNS - 1}
    if household.y is None or not 0 <= household.y < GRID_ROWS:
        errors["y"] = _("Choose a row from 0 to %(last)s.") % {"last": GRID_ROWS - 1}
    taken = MapHousehold.objects.filter(map_id=household.map_id, x=household.x, y=household.y)
    if household.pk:
        taken = taken.exclude(pk=household.pk)
    if not errors and taken.exists():
        errors["x"] = _("Another household is already in this cell.")
    watched = household.watched if household.watched_id else None
    if watched is not None and not policy.can(actor, "watch.view", watched):
        errors["watched"] = _("Not found in this municipality.")
    if errors:
        raise ValidationError(errors)


def household_delete(*, actor, household: MapHousehold) -> None:
    policy.require(actor, "watch.manage_map", household.map)
    with transaction.atomic():
        audit_object(actor, Action.DELETE, household)
        household.delete()


def tie_add(
    *, actor, mutual_aid_map: MutualAidMap, source: MapHousehold, target: MapHousehold, kind: str
) -> MapTie:
    policy.require(actor, "watch.manage_map", mutual_aid_map)
    if source.map_id != mutual_aid_map.pk or target.map_id != mutual_aid_map.pk:
        raise Http404
    if source.pk == target.pk:
        raise ValidationError({"target": _("A household cannot look in on itself.")})
    if kind not in TieKind.values:
        raise ValidationError({"kind": _("Choose a kind of tie.")})
    if MapTie.objects.filter(source=source, target=target, kind=kind).exists():
        raise ValidationError({"target": _("This tie is already on the map.")})
    tie = MapTie(
        tenant_id=mutual_aid_map.tenant_id, map=mutual_aid_map, source=source, target=target,
        kind=kind,
    )  # fmt: skip
    with transaction.atomic():
        tie.full_clean()
        tie.save()
        audit_object(actor, Action.CREATE, tie)
    return tie


def tie_delete(*, actor, tie: MapTie) -> None:
    policy.require(actor, "watch.manage_map", tie.map)
    with transaction.atomic():
        audit_object(actor, Action.DELETE, tie)
        tie.delete()


def watched_choices(actor, mutual_aid_map: MutualAidMap) -> QuerySet[WatchedPerson]:
    """Watched people of the map's area the actor may see, to link a household to."""
    return policy.scope(
        actor, "watch.view", WatchedPerson.objects.filter(area_id=mutual_aid_map.area_id)
    )


# ---- demo -----------------------------------------------------------------------------------

DEMO_FAMILIES = ("青木", "石井", "上野", "江藤", "大森", "加藤", "木村", "工藤", "小林", "佐藤")
DEMO_MARKS = (
    [HouseholdMark.ALONE_OLDER], [HouseholdMark.HELPER], [], [HouseholdMark.OLDER_COUPLE],
    [HouseholdMark.NEEDS_SUPPORT, HouseholdMark.ALONE_OLDER], [],
)  # fmt: skip


def load_map_demo(staff) -> MutualAidMap:
    """One map of the first district: 40 households along four streets, 6 without agreement."""
    today = timezone.localdate()
    area = Area.objects.filter(tenant_id=staff.tenant_id, kind=AreaKind.DISTRICT).order_by("code")
    shown = map_save(
        actor=staff, title="南一丁目 支え合いマップ（デモ）", area=area.first(), drawn_on=today
    )
    households = []
    for index in range(40):
        street, house = divmod(index, 10)
        households.append(
            household_save(
                actor=staff,
                mutual_aid_map=shown,
                label=f"{DEMO_FAMILIES[index % 10]}さん" + ("" if street == 0 else f"{street + 1}"),
                x=2 + house * 3 - street % 2,
                y=2 + street * 5,
                marks=DEMO_MARKS[index % len(DEMO_MARKS)],
                agreed_on=None if index % 7 == 3 else today - timedelta(days=30),
            )  # fmt: skip
        )
    for index, household in enumerate(households):
        if HouseholdMark.HELPER in household.marks:
            for target in households[index + 1 : index + 3]:
                tie_add(
                    actor=staff, mutual_aid_map=shown, source=household, target=target,
                    kind=TieKind.LOOKS_IN,
                )  # fmt: skip
    tie_add(actor=staff, mutual_aid_map=shown, source=households[0], target=households[10],
            kind=TieKind.EMERGENCY)  # fmt: skip
    return shown
