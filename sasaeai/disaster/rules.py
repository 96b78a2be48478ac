"""Who sees which rows of the register, registered into accounts.policy (docs/disaster.md).

Register entries:
- municipal staff (the register's keeper, 市町村長) see every entry of the tenant;
- welfare commissioners see listed entries of their districts that the consent model lets be
  shared (49条の11②), and every listed entry of their districts under an active declaration
  that includes commissioners (49条の11③);
- members of a recipient organisation (evacuation support members, council staff, CSWs) see,
  while they are named on it and its agreement is in force, the shareable listed entries of
  its areas, and every listed entry of the areas of an active declaration naming it;
- care planners see the people whose plans they were given, nothing else;
- system administrators and everyone else: nothing (system admins see no personal content).
Plans, supporters, consent records and safety checks follow their entry. Declarations and
welfare shelters hold no personal content: every permitted member of the tenant sees them.
"""

import datetime

from django.db.models import Q
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.disaster.models import (
    ConsentModel,
    ConsentRecord,
    ConsentStatus,
    Declaration,
    DisasterSettings,
    EntryStatus,
    EvacuationPlan,
    HelperOrganisation,
    PlanSupporter,
    RegisterEntry,
    SafetyCheck,
    SafetyStatus,
    WelfareShelter,
)

RECIPIENT_ROLES = frozenset(
    {Role.EVACUATION_HELPER, Role.WELFARE_COUNCIL_STAFF, Role.COMMUNITY_SOCIAL_WORKER}
)


def _today() -> datetime.date:
    return timezone.localdate()


def shareable(tenant_id: int, today: datetime.date | None = None) -> Q:
    """Entries the tenant's consent model lets be shared in normal times, as a filter."""
    today = today or _today()
    settings = DisasterSettings.objects.filter(tenant_id=tenant_id).first()
    model = settings.consent_model if settings else ConsentModel.OPT_IN
    if model == ConsentModel.OPT_OUT:
        return ~Q(consent_status__in=[ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN])
    if model == ConsentModel.PRESUMED:
        # No reply within the days the ordinance gives counts as consent, from that day on.
        deadline = today - datetime.timedelta(days=settings.presumed_after_days)
        return Q(consent_status__in=[ConsentStatus.GIVEN, ConsentStatus.PRESUMED]) | Q(
            consent_status=ConsentStatus.ASKED, consent_changed_on__lte=deadline
        )
    return Q(consent_status=ConsentStatus.GIVEN)


def organisations_of(actor, today: datetime.date | None = None):
    """The recipient organisations the actor is named on, whose agreement is in force."""
    today = today or _today()
    return HelperOrganisation.objects.filter(
        tenant_id=actor.tenant_id,
        is_active=True,
        agreement_on__lte=today,
        members__user_id=actor.user_id,
        members__removed_on__isnull=True,
    ).filter(Q(agreement_ends_on__isnull=True) | Q(agreement_ends_on__gte=today))


def _declared_area_ids(tenant_id: int, **declaration_filter):
    through = Declaration.covered_areas.through
    return through.objects.filter(
        declaration__tenant_id=tenant_id, declaration__ended_at__isnull=True,
        **{f"declaration__{k}": v for k, v in declaration_filter.items()},
    ).values("area_id")  # fmt: skip


def entry_filter(actor) -> Q | None:
    """The entries the actor may see, as a filter; None means every entry of the tenant."""
    if actor.role == Role.MUNICIPAL_STAFF:
        return None
    listed = Q(status=EntryStatus.LISTED)
    if actor.role == Role.WELFARE_COMMISSIONER:
        declared = Q(area_id__in=_declared_area_ids(actor.tenant_id, includes_commissioners=True))
        return listed & Q(area_id__in=actor.area_ids) & (shareable(actor.tenant_id) | declared)
    if actor.role in RECIPIENT_ROLES:
        organisations = organisations_of(actor)
        covered = HelperOrganisation.covered_areas.through.objects.filter(
            helperorganisation__in=organisations
        ).values("area_id")
        declared = _declared_area_ids(actor.tenant_id, recipients__in=organisations)
        return listed & (
            (Q(area_id__in=covered) & shareable(actor.tenant_id)) | Q(area_id__in=declared)
        )
    if actor.role == Role.CARE_PLANNER:
        return Q(plan__care_planner_id=actor.user_id)
    return Q(pk__in=[])


def _entry_rule(actor, permission, queryset):
    condition = entry_filter(actor)
    return queryset if condition is None else queryset.filter(condition)


def visible_entry_ids(actor):
    return _entry_rule(actor, None, RegisterEntry.objects.filter(tenant_id=actor.tenant_id)).values(
        "pk"
    )


def _follows_entry(path: str):
    def rule(actor, permission, queryset):
        if actor.role == Role.MUNICIPAL_STAFF:
            return queryset
        return queryset.filter(**{f"{path}__in": visible_entry_ids(actor)})

    return rule


def _plan_rule(actor, permission, queryset):
    if actor.role == Role.CARE_PLANNER:
        return queryset.filter(care_planner_id=actor.user_id)
    return _follows_entry("entry_id")(actor, permission, queryset)


def _supporter_rule(actor, permission, queryset):
    if actor.role == Role.CARE_PLANNER:
        return queryset.filter(plan__care_planner_id=actor.user_id)
    return _follows_entry("plan__entry_id")(actor, permission, queryset)


def _tenant_wide(actor, permission, queryset):
    """No personal content: the tenant filter (already applied by scope) is enough."""
    return queryset


def register() -> None:
    policy.register_row_rule(RegisterEntry, _entry_rule)
    policy.register_row_rule(ConsentRecord, _follows_entry("entry_id"))
    policy.register_row_rule(SafetyCheck, _follows_entry("entry_id"))
    policy.register_row_rule(SafetyStatus, _follows_entry("entry_id"))
    policy.register_row_rule(EvacuationPlan, _plan_rule)
    policy.register_row_rule(PlanSupporter, _supporter_rule)
    policy.register_row_rule(Declaration, _tenant_wide)
    policy.register_row_rule(WelfareShelter, _tenant_wide)
