"""Reads of the register and its recipients, through accounts.policy.scope (rules.py)."""

import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership
from sasaeai.core.fiscal import fiscal_year_bounds
from sasaeai.core.models import Area, AreaKind
from sasaeai.disaster import rules
from sasaeai.disaster.models import (
    ConsentEvent,
    ConsentModel,
    ConsentRecord,
    EntryStatus,
    HelperOrganisation,
    RecipientMember,
    RegisterCopy,
    RegisterEntry,
    RegisterImport,
)


def entries_visible_to(
    actor, *, query: str = "", area_id: int | None = None, reason: str = "",
    consent: str = "", status: str = EntryStatus.LISTED,
) -> QuerySet[RegisterEntry]:  # fmt: skip
    rows = policy.scope(actor, "disaster.view_register", RegisterEntry.objects.all())
    if status:
        rows = rows.filter(status=status)
    if area_id:
        rows = rows.filter(area_id=area_id)
    if consent:
        rows = rows.filter(consent_status=consent)
    if reason:
        # JSON containment is not on SQLite; the reason keys are plain words, so text works.
        rows = rows.filter(reasons__icontains=f'"{reason}"')
    if query:
        rows = rows.filter(
            Q(name__contains=query) | Q(name_kana__contains=query) | Q(address__contains=query)
        )
    return rows.select_related("area").order_by("name_kana", "name", "pk")


def entry_for(actor, pk: int) -> RegisterEntry:
    entry = entries_visible_to(actor, status="").filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def consent_history(actor, entry: RegisterEntry) -> QuerySet[ConsentRecord]:
    return policy.scope(
        actor, "disaster.view_register", ConsentRecord.objects.filter(entry=entry)
    ).select_related("recorded_by")


def districts_of(tenant_id: int) -> QuerySet[Area]:
    return Area.objects.filter(
        tenant_id=tenant_id, kind__in=[AreaKind.DISTRICT, AreaKind.COMMISSIONER_DISTRICT]
    ).order_by("code", "name")


def imports_of(actor) -> QuerySet[RegisterImport]:
    if not policy.has_permission(actor, "disaster.manage_register"):
        return RegisterImport.objects.none()
    return RegisterImport.objects.filter(tenant_id=actor.tenant_id).defer("changes")


def import_for(actor, pk: int) -> RegisterImport:
    found = imports_of(actor).defer(None).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# ---- recipients -----------------------------------------------------------------------------


def organisations_of_tenant(actor) -> QuerySet[HelperOrganisation]:
    if not policy.has_permission(actor, "disaster.manage_recipients"):
        return HelperOrganisation.objects.none()
    return (
        HelperOrganisation.objects.filter(tenant_id=actor.tenant_id)
        .prefetch_related("areas")
        .annotate(member_count=Count("members", filter=Q(members__removed_on__isnull=True)))
    )


def organisation_for(actor, pk: int) -> HelperOrganisation:
    found = organisations_of_tenant(actor).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def in_force(organisation: HelperOrganisation, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return bool(
        organisation.is_active
        and organisation.agreement_on
        and organisation.agreement_on <= today
        and (organisation.agreement_ends_on is None or organisation.agreement_ends_on >= today)
    )


def organisation_share(organisation: HelperOrganisation) -> QuerySet[RegisterEntry]:
    """What the organisation receives in normal times: the listed, shareable entries of its
    covered areas while its agreement is in force (the same rule as rules.entry_filter)."""
    if not in_force(organisation):
        return RegisterEntry.objects.none()
    covered = HelperOrganisation.covered_areas.through.objects.filter(
        helperorganisation_id=organisation.pk
    ).values("area_id")
    return (
        RegisterEntry.objects.filter(
            tenant_id=organisation.tenant_id, status=EntryStatus.LISTED, area_id__in=covered
        )
        .filter(rules.shareable(organisation.tenant_id))
        .select_related("area")
        .order_by("area__code", "name_kana", "pk")
    )


def share_counts(organisation: HelperOrganisation) -> list[dict]:
    """Count per area of what it receives: no names (system admins see this page too)."""
    return list(
        organisation_share(organisation)
        .order_by()
        .values("area_id", "area__name")
        .annotate(count=Count("pk"))
        .order_by("area__name")
    )


def members_of(organisation: HelperOrganisation) -> QuerySet[RecipientMember]:
    return organisation.members.select_related("user").order_by("removed_on", "duty", "pk")


def candidate_members(tenant_id: int) -> QuerySet[Membership]:
    return (
        Membership.objects.active()
        .filter(tenant_id=tenant_id)
        .select_related("user")
        .order_by("role", "user__username")
    )


def copies_of(organisation: HelperOrganisation) -> QuerySet[RegisterCopy]:
    return organisation.copies.select_related("issued_by").order_by("-issued_on", "-pk")


def overdue_copies(actor, today: datetime.date | None = None) -> QuerySet[RegisterCopy]:
    if not policy.has_permission(actor, "disaster.manage_recipients"):
        return RegisterCopy.objects.none()
    today = today or timezone.localdate()
    return RegisterCopy.objects.filter(
        tenant_id=actor.tenant_id, returned_on__isnull=True, destroyed_on__isnull=True,
        due_back_on__lt=today,
    ).select_related("organisation")  # fmt: skip


def copy_for(actor, pk: int) -> RegisterCopy:
    found = None
    if policy.has_permission(actor, "disaster.manage_recipients"):
        found = RegisterCopy.objects.filter(tenant_id=actor.tenant_id, pk=pk).first()
    if found is None:
        raise Http404
    return found


# ---- metrics --------------------------------------------------------------------------------


def listed_at(tenant_id: int, day: datetime.date) -> QuerySet[RegisterEntry]:
    return RegisterEntry.objects.filter(tenant_id=tenant_id, listed_on__lte=day).filter(
        Q(removed_on__isnull=True) | Q(removed_on__gt=day)
    )


def register_entries_count(tenant_id: int, fiscal_year: int) -> int:
    """名簿登載者数: listed at the end of the fiscal year."""
    return listed_at(tenant_id, fiscal_year_bounds(fiscal_year)[1]).count()


def consented_count(tenant_id: int, fiscal_year: int) -> int:
    """避難行動要支援者名簿登載同意者数: listed at year end whose last consent event by then
    was consent given or presumed (under みなし同意, also an inquiry unanswered for the days)."""
    from django.db.models import OuterRef, Subquery

    from sasaeai.disaster.services import settings_of

    end = fiscal_year_bounds(fiscal_year)[1]
    last = ConsentRecord.objects.filter(entry_id=OuterRef("pk"), on__lte=end).order_by("-on", "-pk")
    rows = listed_at(tenant_id, end).annotate(
        last_event=Subquery(last.values("event")[:1]), last_on=Subquery(last.values("on")[:1])
    )
    agreed = Q(last_event__in=[ConsentEvent.GIVEN, ConsentEvent.PRESUMED])
    settings = settings_of(tenant_id)
    if settings.consent_model == ConsentModel.PRESUMED:
        deadline = end - datetime.timedelta(days=settings.presumed_after_days)
        agreed |= Q(last_event=ConsentEvent.ASKED, last_on__lte=deadline)
    return rows.filter(agreed).count()
