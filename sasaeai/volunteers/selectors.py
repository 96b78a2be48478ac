"""Reads of the volunteers app: every list through accounts.policy.scope."""

from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from sasaeai.accounts import policy
from sasaeai.core.fiscal import fiscal_year_bounds, fiscal_year_of
from sasaeai.core.models import Area, AreaKind
from sasaeai.volunteers.models import (
    ACTIVE_OFFER_STATUSES,
    OPEN_STATUSES,
    ActivityReport,
    Group,
    Helper,
    HelpRequest,
    Insurance,
    Offer,
    Registry,
    RegistryMembership,
    ReportStatus,
    Skill,
)


def helpers_visible_to(actor, *, query: str = "", registry: str = "", area_id=None, skill_id=None):
    rows = policy.scope(actor, "volunteers.view", Helper.objects.all())
    if query:
        # Kana and kanji have no case: a plain LIKE then finds the same rows as icontains
        # without upper-casing every name of the register (docs/volunteers.md, "At scale").
        lookup = "icontains" if query.lower() != query.upper() else "contains"
        rows = rows.filter(Q(**{f"name__{lookup}": query}) | Q(**{f"name_kana__{lookup}": query}))
        # Same order, as an expression: PostgreSQL otherwise walks the list's index in order
        # filtering every name until 30 match (160,000 rows for a surname late in kana order)
        # instead of sorting the few thousand matches.
        rows = rows.order_by(Coalesce("name_kana", Value("")), "name", "pk")
    if registry:
        rows = rows.filter(
            registrations__registry__key=registry, registrations__left_on__isnull=True
        ).distinct()
    if area_id:
        rows = rows.filter(area_id=area_id)
    if skill_id:
        rows = rows.filter(skills__id=skill_id)
    return rows.select_related("area").prefetch_related("skills")


def helper_for(actor, pk: int) -> Helper:
    helper = helpers_visible_to(actor).filter(pk=pk).first()
    if helper is None:
        raise Http404
    return helper


def own_helper(actor) -> Helper | None:
    """The signed-in volunteer's own helper record, if they registered."""
    return (
        policy.scope(actor, "volunteers.view", Helper.objects.filter(user_id=actor.user_id))
        .select_related("area")
        .first()
    )


def registries_of(tenant_id: int) -> QuerySet[Registry]:
    return Registry.objects.filter(tenant_id=tenant_id)


def skills_of(tenant_id: int) -> QuerySet[Skill]:
    return Skill.objects.filter(tenant_id=tenant_id)


def districts_of(tenant_id: int) -> QuerySet[Area]:
    return Area.objects.filter(tenant_id=tenant_id, kind=AreaKind.DISTRICT).order_by("code", "name")


def groups_visible_to(actor) -> QuerySet[Group]:
    if not policy.has_permission(actor, "volunteers.manage"):
        return Group.objects.none()
    return (
        policy.scope(actor, "volunteers.manage", Group.objects.all())
        .annotate(member_count=Count("members"))
        .order_by("name")
    )


def insurance_for_year(helper: Helper, fiscal_year: int) -> Insurance | None:
    return helper.insurances.filter(fiscal_year=fiscal_year).first()


def requests_visible_to(actor, *, status: str = "", open_only: bool = False):
    rows = policy.scope(actor, "volunteers.view", HelpRequest.objects.all())
    if status:
        rows = rows.filter(status=status)
    if open_only:
        rows = rows.filter(status__in=OPEN_STATUSES)
    return rows.select_related("area").prefetch_related("skills")


def request_for(actor, pk: int) -> HelpRequest:
    request = requests_visible_to(actor).filter(pk=pk).first()
    if request is None:
        raise Http404
    return request


def offers_of_request(actor, request: HelpRequest) -> QuerySet[Offer]:
    return (
        policy.scope(actor, "volunteers.view", Offer.objects.filter(request=request))
        .select_related("helper")
        .prefetch_related(
            Prefetch("reports", queryset=ActivityReport.objects.order_by("-day", "-pk"))
        )
    )


def offers_of_helper(actor) -> QuerySet[Offer]:
    """The volunteer's own offers (never proposals not yet confirmed)."""
    return policy.scope(
        actor, "volunteers.view", Offer.objects.filter(helper__user_id=actor.user_id)
    ).select_related("request", "request__area", "helper")


def offer_for(actor, pk: int) -> Offer:
    offer = (
        policy.scope(actor, "volunteers.view", Offer.objects.all())
        .select_related("request", "helper")
        .filter(pk=pk)
        .first()
    )
    if offer is None:
        raise Http404
    return offer


def report_for(actor, pk: int) -> ActivityReport:
    report = (
        policy.scope(actor, "volunteers.view", ActivityReport.objects.all())
        .select_related("offer", "offer__helper", "offer__request")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    return report


def busy_helper_ids(tenant_id: int, starts_at, ends_at) -> set[int]:
    return set(
        Offer.objects.filter(
            tenant_id=tenant_id, status__in=ACTIVE_OFFER_STATUSES,
            starts_at__lt=ends_at, ends_at__gt=starts_at,
        ).values_list("helper_id", flat=True)
    )  # fmt: skip


def uninsured_helpers(helpers, day: date) -> set[int]:
    fiscal_year = fiscal_year_of(day)
    insured = set(
        Insurance.objects.filter(
            helper__in=helpers, fiscal_year=fiscal_year, enrolled_on__lte=day
        ).values_list("helper_id", flat=True)
    )
    return {h.pk for h in helpers} - insured


# ---- figures (metrics and statistics) --------------------------------------------------------


def registered_count(tenant_id: int, fiscal_year: int, registry_key: str) -> int:
    """Active members of a registry at the end of the fiscal year (31 March)."""
    _start, end = fiscal_year_bounds(fiscal_year)
    return (
        RegistryMembership.objects.filter(
            tenant_id=tenant_id, registry__key=registry_key, joined_on__lte=end
        )
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=end))
        .values("helper_id")
        .distinct()
        .count()
    )


def registered_counts(tenant_id: int, fiscal_year: int) -> dict[str, int]:
    """registered_count of every registry of the tenant, in one query: {key: count}."""
    _start, end = fiscal_year_bounds(fiscal_year)
    return dict(
        RegistryMembership.objects.filter(tenant_id=tenant_id, joined_on__lte=end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=end))
        .values("registry__key")
        .annotate(n=Count("helper_id", distinct=True))
        .values_list("registry__key", "n")
    )


def _reports_in_year(tenant_id: int, fiscal_year: int):
    start, end = fiscal_year_bounds(fiscal_year)
    return ActivityReport.objects.filter(tenant_id=tenant_id, day__gte=start, day__lte=end).exclude(
        status=ReportStatus.REJECTED
    )


def activity_hours(tenant_id: int, fiscal_year: int) -> float:
    total = _reports_in_year(tenant_id, fiscal_year).aggregate(total=Sum("hours"))["total"]
    return float(total or 0)


def fsc_uses(tenant_id: int, fiscal_year: int) -> int:
    """ファミリー・サポート・センター uses: reported FSC activities in the fiscal year."""
    return _reports_in_year(tenant_id, fiscal_year).filter(offer__request__is_fsc=True).count()
