"""個別避難計画 and 福祉避難所: writes (services) and reads (selectors) in one small module.

Plans (災害対策基本法 49条の14) follow their register entry's row rules (disaster/rules.py): a
care planner sees only the plans given to them, staff see all, recipients see the plans of the
entries they see. A plan is drafted freely; it is *agreed* only with the person's consent date
and at least one supporter (避難支援等実施者). The month of the consent date is the month of the
per-plan fee. Welfare shelters are places of the resources directory (core.places, category
`welfare_shelter`) with their agreement; a shelter that left the directory stays, flagged.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core import places as core_places
from sasaeai.core.errors import EditConflict
from sasaeai.core.models import Area, AreaKind
from sasaeai.disaster.models import (
    DestinationKind,
    EntryStatus,
    EvacuationPlan,
    PlanStatus,
    PlanSupporter,
    RegisterEntry,
    ShelterTarget,
    WelfareShelter,
)

SHELTER_CATEGORY = "welfare_shelter"
PLAN_FIELDS = (
    "status", "consent_on", "destination_kind", "shelter_id", "destination_name", "route",
    "medical_devices", "medication", "mobility", "other_needs", "reviewed_on",
)  # fmt: skip


def _refuse(field: str, message: str, code: str) -> ValidationError:
    """A refusal on one field that keeps its code (pages and the API branch on it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _today() -> datetime.date:
    return timezone.localdate()


# ---- selectors: plans ------------------------------------------------------------------------


def plans_visible_to(actor: Actor, *, status: str = "", area_id: int | None = None) -> QuerySet:
    rows = policy.scope(actor, "disaster.view_plan", EvacuationPlan.objects.all())
    if status:
        rows = rows.filter(status=status)
    if area_id:
        rows = rows.filter(entry__area_id=area_id)
    # Newest first, by the primary key: sorting 80,000 plans by their people's names would
    # join and sort the whole register for one page (docs/evacuation-plans.md).
    return rows.select_related("entry", "entry__area", "shelter", "care_planner").order_by("-pk")


def plan_for(actor: Actor, pk: int) -> EvacuationPlan:
    """The plan, or 404 when it does not exist for the actor (another planner's, another city)."""
    plan = plans_visible_to(actor).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


def entries_without_plan(actor: Actor, *, query: str = "") -> QuerySet:
    """Listed entries the actor sees that have no plan yet, for staff starting one."""
    rows = policy.scope(actor, "disaster.assign_plan", RegisterEntry.objects.all())
    rows = rows.filter(status=EntryStatus.LISTED, plan__isnull=True)
    if query:
        rows = rows.filter(
            Q(name__contains=query) | Q(name_kana__contains=query) | Q(resident_key=query)
        )
    return rows.select_related("area").order_by("name_kana", "name", "pk")


def care_planners_of(tenant_id: int) -> QuerySet:
    return (
        Membership.objects.active()
        .filter(tenant_id=tenant_id, role=Role.CARE_PLANNER)
        .select_related("user")
        .order_by("user__username")
    )


def care_planner_choices(tenant_id: int) -> list[tuple[int, str]]:
    return [
        (m.user_id, m.user.get_full_name() or m.user.username) for m in care_planners_of(tenant_id)
    ]


@dataclass(frozen=True)
class FeeRow:
    care_planner_id: int | None
    care_planner: str
    plans: list  # EvacuationPlan, agreed in the month (empty for counts only)
    count: int


def month_bounds(month: str) -> tuple[datetime.date, datetime.date]:
    """'2026-04' → (2026-04-01, 2026-04-30); a clear error for anything else."""
    try:
        first = datetime.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise _refuse(
            "month", _("Enter the month as YYYY-MM (e.g. 2026-04)."), "invalid_month"
        ) from None
    following = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def _fee_plans(actor: Actor, month: str) -> QuerySet:
    first, last = month_bounds(month)
    return (
        policy.scope(actor, "disaster.view_plan_fees", EvacuationPlan.objects.all())
        .filter(status=PlanStatus.AGREED, consent_on__gte=first, consent_on__lte=last)
        .exclude(care_planner__isnull=True)
    )


def plan_fee_counts(actor: Actor, month: str) -> list[FeeRow]:
    """Plans agreed in the month (by the person's consent date), counted per care planner: the
    basis of the per-plan fee (報酬). Plans written by staff without a care planner are left
    out. Counts only (no person): `plans` stays empty; `plan_fees` names them."""
    rows = (
        _fee_plans(actor, month)
        .values("care_planner_id", "care_planner__username", "care_planner__first_name",
                "care_planner__last_name")
        .annotate(count=Count("pk"))
        .order_by("care_planner__username")
    )  # fmt: skip
    return [
        FeeRow(
            row["care_planner_id"],
            f"{row['care_planner__last_name']} {row['care_planner__first_name']}".strip()
            or row["care_planner__username"],
            [],
            row["count"],
        )
        for row in rows
    ]


def plan_fees(actor: Actor, month: str, *, care_planner_id: int | None = None) -> list[FeeRow]:
    """The plans themselves, per care planner (one planner's, or all for the export)."""
    plans = _fee_plans(actor, month).select_related("entry", "care_planner")
    if care_planner_id is not None:
        plans = plans.filter(care_planner_id=care_planner_id)
    grouped: dict[int, list] = defaultdict(list)
    for plan in plans.order_by("care_planner__username", "consent_on", "pk"):
        grouped[plan.care_planner_id].append(plan)
    return [
        FeeRow(
            user_id,
            rows[0].care_planner.get_full_name() or rows[0].care_planner.username,
            rows,
            len(rows),
        )  # fmt: skip
        for user_id, rows in grouped.items()
    ]


# ---- selectors: coverage ---------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    area_id: int | None
    name: str
    listed: int
    agreed: int

    @property
    def rate(self) -> float | None:
        return round(100 * self.agreed / self.listed, 1) if self.listed else None


def district_of_areas(tenant_id: int) -> tuple[dict[int, int], dict[int, str]]:
    """Each area's district (itself, or the nearest district above it) and district names."""
    areas = {
        row["pk"]: row
        for row in Area.objects.filter(tenant_id=tenant_id).values(
            "pk", "parent_id", "kind", "name"
        )
    }
    names = {pk: row["name"] for pk, row in areas.items() if row["kind"] == AreaKind.DISTRICT}
    district: dict[int, int] = {}
    for pk in areas:
        current, seen = pk, set()
        while current is not None and current not in seen:
            seen.add(current)
            if areas[current]["kind"] == AreaKind.DISTRICT:
                district[pk] = current
                break
            current = areas[current]["parent_id"]
    return district, names


def plan_coverage(actor: Actor) -> list[CoverageRow]:
    """Per district: listed entries and those with an agreed plan (counts only: staff see the
    figures of the whole city, no person). Entries of sub-areas count for their district;
    entries without one make a last row."""
    policy.require(actor, "disaster.view_plan_coverage")
    # Two grouped counts rather than one join of every entry to its plan: the listed count
    # reads only the register's (tenant, area, status, …) index.
    listed = (
        RegisterEntry.objects.filter(tenant_id=actor.tenant_id, status=EntryStatus.LISTED)
        .values_list("area_id")
        .annotate(n=Count("*"))  # COUNT(*): an index-only scan, no row read
        .order_by()
    )
    agreed = (
        EvacuationPlan.objects.filter(
            tenant_id=actor.tenant_id,
            status=PlanStatus.AGREED,
            entry__status=EntryStatus.LISTED,
        )  # fmt: skip
        .values_list("entry__area_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    district, names = district_of_areas(actor.tenant_id)
    totals: dict[int | None, list[int]] = {pk: [0, 0] for pk in names}
    for column, counts in ((0, listed), (1, agreed)):
        for area_id, n in counts:
            key = district.get(area_id) if area_id else None
            totals.setdefault(key, [0, 0])[column] += n
    rows = [
        CoverageRow(pk, names[pk], *totals[pk]) for pk in sorted(names, key=lambda pk: names[pk])
    ]
    if None in totals:
        rows.append(CoverageRow(None, _("No district"), *totals[None]))
    return rows


def coverage_total(rows: list[CoverageRow]) -> CoverageRow:
    return CoverageRow(None, _("Total"), sum(r.listed for r in rows), sum(r.agreed for r in rows))


def plan_rate(tenant_id: int, fiscal_year: int) -> float | None:
    """個別避難計画作成率 at the end of the fiscal year: % of the entries listed that day with a
    plan agreed by then (a plan since ended does not count)."""
    end = datetime.date(fiscal_year + 1, 3, 31)
    listed = RegisterEntry.objects.filter(tenant_id=tenant_id, listed_on__lte=end).filter(
        Q(removed_on__isnull=True) | Q(removed_on__gt=end)
    )
    total = listed.count()
    if not total:
        return None
    agreed = listed.filter(plan__status=PlanStatus.AGREED, plan__consent_on__lte=end).count()
    return round(100 * agreed / total, 1)


# ---- selectors: shelters ---------------------------------------------------------------------


def shelters_visible_to(actor: Actor) -> QuerySet:
    """Shelters with the plans assigned to them directly (agreed or draft, not ended)."""
    direct = Q(
        plans__destination_kind=DestinationKind.WELFARE_SHELTER,
        plans__status__in=[PlanStatus.DRAFT, PlanStatus.AGREED],
    )
    return (
        policy.scope(actor, "disaster.view_shelters", WelfareShelter.objects.all())
        .select_related("area")
        .annotate(direct_plans=Count("plans", filter=direct))
        .order_by("name", "pk")
    )


def shelter_for(actor: Actor, pk: int) -> WelfareShelter:
    shelter = shelters_visible_to(actor).filter(pk=pk).first()
    if shelter is None:
        raise Http404
    return shelter


def directory_places(tenant_id: int) -> dict[int, core_places.Place]:
    return {p.id: p for p in core_places.places_in_category(tenant_id, SHELTER_CATEGORY)}


def flag_outside_directory(shelters, places: dict[int, core_places.Place]) -> None:
    """Mark shelters whose place is not (or no longer) in the directory: they stay listed."""
    for shelter in shelters:
        shelter.in_directory = shelter.place_id is not None and shelter.place_id in places


def direct_shelters(tenant_id: int) -> QuerySet:
    return WelfareShelter.objects.filter(
        tenant_id=tenant_id, is_active=True, accepts_direct=True
    ).order_by("name")


def direct_assignments(shelter: WelfareShelter, *, excluding: int | None = None) -> int:
    rows = EvacuationPlan.objects.filter(
        shelter=shelter, destination_kind=DestinationKind.WELFARE_SHELTER,
        status__in=[PlanStatus.DRAFT, PlanStatus.AGREED],
    )  # fmt: skip
    return rows.exclude(pk=excluding).count() if excluding else rows.count()


def capacity_warning(plan: EvacuationPlan) -> str:
    """A warning (never a refusal) when the shelter's direct assignments reach its capacity."""
    shelter = plan.shelter if plan.destination_kind == DestinationKind.WELFARE_SHELTER else None
    if shelter is None or not shelter.capacity:
        return ""
    assigned = direct_assignments(shelter)
    if assigned < shelter.capacity:
        return ""
    return _(
        "%(shelter)s now has %(assigned)s people assigned directly for a capacity of %(capacity)s."
    ) % {"shelter": shelter.name, "assigned": assigned, "capacity": shelter.capacity}


# ---- services: plans -------------------------------------------------------------------------


def _check_care_planner(tenant_id: int, user_id: int | None) -> None:
    if user_id is None:
        return
    if not care_planners_of(tenant_id).filter(user_id=user_id).exists():
        raise _refuse(
            "care_planner", _("Choose a care planner of this municipality."), "not_care_planner"
        )


@transaction.atomic
def plan_create(
    *, actor: Actor, entry: RegisterEntry, care_planner_id: int | None = None
) -> EvacuationPlan:
    """Start a (draft) plan for a listed entry, optionally given to a care planner."""
    policy.require(actor, "disaster.assign_plan", entry)
    if entry.status != EntryStatus.LISTED:
        raise ValidationError(_("Only a listed person can have a plan."), code="not_listed")
    if EvacuationPlan.objects.filter(entry=entry).exists():
        raise ValidationError(_("This person already has a plan."), code="plan_exists")
    _check_care_planner(entry.tenant_id, care_planner_id)
    plan = EvacuationPlan(
        tenant_id=entry.tenant_id, entry=entry, care_planner_id=care_planner_id,
        written_by_id=actor.user_id,
    )  # fmt: skip
    plan.full_clean()
    plan.save()
    audit_object(
        actor, Action.CREATE, plan, subject=entry, detail={"care_planner": care_planner_id}
    )
    return plan


def _check_version(plan: EvacuationPlan, version: int | None) -> None:
    current = EvacuationPlan.objects.select_for_update().get(pk=plan.pk).version
    if version is not None and version != current:
        raise EditConflict(
            _("Someone else saved this plan after you opened it. Reload it and enter your "
              "changes again."),
            code="conflict",
        )  # fmt: skip


@transaction.atomic
def plan_assign(
    *, actor: Actor, plan: EvacuationPlan, care_planner_id: int | None, version: int | None = None
) -> EvacuationPlan:
    policy.require(actor, "disaster.assign_plan", plan)
    _check_version(plan, version)
    _check_care_planner(plan.tenant_id, care_planner_id)
    plan.care_planner_id = care_planner_id
    plan.version += 1
    plan.save(update_fields=["care_planner", "version", "updated_at"])
    audit_object(
        actor, Action.UPDATE, plan, subject=plan.entry, detail={"care_planner": care_planner_id}
    )
    return plan


def _check_destination(plan: EvacuationPlan) -> None:
    if plan.destination_kind != DestinationKind.WELFARE_SHELTER:
        plan.shelter = None
        return
    if plan.shelter_id is None:
        raise _refuse(
            "shelter_id",
            _("Choose the welfare shelter the person goes to directly."),
            "shelter_required",
        )
    shelter = WelfareShelter.objects.filter(pk=plan.shelter_id, tenant_id=plan.tenant_id).first()
    if shelter is None or not shelter.is_active or not shelter.accepts_direct:
        raise _refuse(
            "shelter_id",
            _("This welfare shelter does not take people directly."),
            "shelter_not_direct",
        )
    plan.shelter = shelter


def _check_agreement(plan: EvacuationPlan) -> None:
    if plan.status != PlanStatus.AGREED:
        return
    if plan.consent_on is None:
        msg = _(
            "Enter the date the person agreed before marking the plan agreed; save it as a "
            "draft until then."
        )
        raise _refuse("consent_on", msg, "consent_required")
    if not plan.supporters.exists():
        msg = _(
            "A plan without a supporter cannot be agreed: add at least one evacuation "
            "supporter below, then mark it agreed."
        )
        raise _refuse("status", msg, "supporter_required")


def _check_dates(plan: EvacuationPlan) -> None:
    today = _today()
    for name in ("consent_on", "reviewed_on"):
        value = getattr(plan, name)
        if value is not None and value > today:
            raise _refuse(name, _("The date is in the future."), "future_date")


@transaction.atomic
def plan_update(
    *, actor: Actor, plan: EvacuationPlan, data: dict, version: int | None
) -> EvacuationPlan:
    """Save the plan form (`data`: PLAN_FIELDS); refused whole on a rule or a newer version."""
    policy.require(actor, "disaster.edit_plan", plan)
    _check_version(plan, version)
    unknown = set(data) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    for name, value in data.items():
        setattr(plan, name, "" if value is None and name not in _NULLABLE else value)
    if plan.status not in PlanStatus.values:
        raise _refuse("status", _("Choose a status from the list."), "invalid")
    _check_dates(plan)
    _check_destination(plan)
    _check_agreement(plan)
    plan.full_clean(exclude=["entry", "care_planner", "written_by"])
    plan.version += 1
    plan.save()
    audit_object(actor, Action.UPDATE, plan, subject=plan.entry, detail={"status": plan.status})
    return plan


_NULLABLE = {"consent_on", "reviewed_on", "shelter_id"}


@transaction.atomic
def supporter_add(
    *, actor: Actor, plan: EvacuationPlan, name: str, phone: str, address: str = "",
    relation: str = "",
) -> PlanSupporter:  # fmt: skip
    policy.require(actor, "disaster.edit_plan", plan)
    order = plan.supporters.count() + 1
    supporter = PlanSupporter(
        tenant_id=plan.tenant_id, plan=plan, name=name.strip(), phone=phone.strip(),
        address=address.strip(), relation=relation.strip(), order=order,
    )  # fmt: skip
    supporter.full_clean()
    supporter.save()
    _touch(plan)
    audit_object(actor, Action.CREATE, supporter, subject=plan.entry)
    return supporter


@transaction.atomic
def supporter_remove(*, actor: Actor, supporter: PlanSupporter) -> None:
    plan = supporter.plan
    policy.require(actor, "disaster.edit_plan", plan)
    if plan.status == PlanStatus.AGREED and plan.supporters.count() <= 1:
        raise ValidationError(
            _("An agreed plan keeps at least one supporter: add another one first."),
            code="supporter_required",
        )
    audit_object(actor, Action.DELETE, supporter, subject=plan.entry)
    supporter.delete()
    _touch(plan)


def _touch(plan: EvacuationPlan) -> None:
    """A supporter change is a change of the plan: another editor's form is now stale."""
    EvacuationPlan.objects.filter(pk=plan.pk).update(
        version=plan.version + 1, updated_at=timezone.now()
    )
    plan.version += 1


# ---- services: shelters ----------------------------------------------------------------------

SHELTER_FIELDS = ("operator", "agreement_on", "capacity", "targets", "accepts_direct", "is_active")


def _check_targets(targets) -> list[str]:
    targets = list(targets or [])
    wrong = [t for t in targets if t not in ShelterTarget.values]
    if wrong:
        raise _refuse("targets", _("Choose who it takes in from the list."), "invalid_choice")
    return targets


@transaction.atomic
def shelter_save(
    *, actor: Actor, data: dict, place_id: int | None = None,
    shelter: WelfareShelter | None = None, name: str = "",
) -> WelfareShelter:  # fmt: skip
    """Record a place of the directory as a welfare shelter, or update one's agreement.

    A new shelter copies the place's name, address, phone and position from the directory
    (`name` only when the directory has no such category, as the demo may need)."""
    policy.require(actor, "disaster.manage_shelters", shelter)
    if shelter is None:
        shelter = _new_shelter(actor.tenant_id, place_id, name)
    for field in SHELTER_FIELDS:
        if field in data:
            setattr(shelter, field, data[field])
    shelter.targets = _check_targets(shelter.targets)
    if shelter.agreement_on and shelter.agreement_on > _today():
        raise _refuse("agreement_on", _("The date is in the future."), "future_date")
    shelter.full_clean()
    action = Action.UPDATE if shelter.pk else Action.CREATE
    shelter.save()
    audit_object(actor, action, shelter, detail={"place_id": shelter.place_id})
    return shelter


def _new_shelter(tenant_id: int, place_id: int | None, name: str) -> WelfareShelter:
    if place_id is None:
        if not name.strip():
            raise _refuse("place_id", _("Choose a place of the directory."), "required")
        return WelfareShelter(tenant_id=tenant_id, name=name.strip())
    place = directory_places(tenant_id).get(place_id)
    if place is None:
        msg = _("This place is not a welfare shelter of the directory.")
        raise _refuse("place_id", msg, "not_in_directory")
    if WelfareShelter.objects.filter(tenant_id=tenant_id, place_id=place_id).exists():
        raise _refuse("place_id", _("This place is already a welfare shelter."), "duplicate")
    return WelfareShelter(
        tenant_id=tenant_id, place_id=place.id, name=place.name, address=place.address,
        phone=place.phone, latitude=place.latitude, longitude=place.longitude,
    )  # fmt: skip


def shelter_agreements(tenant_id: int, fiscal_year: int) -> int:
    """福祉避難所協定締結件数: active shelters with an agreement signed by the fiscal year's end."""
    end = datetime.date(fiscal_year + 1, 3, 31)
    return WelfareShelter.objects.filter(
        tenant_id=tenant_id, is_active=True, agreement_on__lte=end
    ).count()
