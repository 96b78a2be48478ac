"""Figures the consultation module publishes into the metrics registry for the plans.

Each counts what was recorded in one fiscal year (April to March), so past years can be
recomputed and agree with the statistics page, which is built from the same functions.
The figures are anonymous counts over the whole tenant: no row rule applies, because a
plan committee member reads the total, not the cases. Anonymisation keeps every row, date,
channel, concern and district, so the counts do not change when records are anonymised.
"""

import datetime
from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.fiscal import fiscal_year_bounds
from sasaeai.core.tenancy import tenant_context

CSW_ROLE = "community_social_worker"


# ---- the fiscal year as a window -------------------------------------------------------------


def day_bounds(fiscal_year: int) -> tuple[datetime.date, datetime.date]:
    return fiscal_year_bounds(fiscal_year)


def time_bounds(fiscal_year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """[1 April 00:00, next 1 April 00:00) in the local time zone, so indexes on the
    timestamp columns can be used (a `__date` lookup would convert every row)."""
    start, end = fiscal_year_bounds(fiscal_year)
    zone = timezone.get_current_timezone()
    first = datetime.datetime.combine(start, datetime.time.min)
    after = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(first, zone), timezone.make_aware(after, zone)


def in_year(field: str, fiscal_year: int) -> Q:
    start, after = time_bounds(fiscal_year)
    return Q(**{f"{field}__gte": start, f"{field}__lt": after})


def days_in_year(field: str, fiscal_year: int) -> Q:
    start, end = day_bounds(fiscal_year)
    return Q(**{f"{field}__gte": start, f"{field}__lte": end})


# ---- the querysets the figures count -----------------------------------------------------------


def consultations(tenant_id: int, fiscal_year: int) -> QuerySet:
    from sasaeai.consultation.models import Consultation

    return Consultation.objects.filter(in_year("received_at", fiscal_year), tenant_id=tenant_id)


def cases_opened(tenant_id: int, fiscal_year: int) -> QuerySet:
    from sasaeai.consultation.models import Case

    return Case.objects.filter(days_in_year("opened_on", fiscal_year), tenant_id=tenant_id)


def cases_closed(tenant_id: int, fiscal_year: int) -> QuerySet:
    from sasaeai.consultation.models import Case, CaseStatus

    return Case.objects.filter(
        days_in_year("closed_on", fiscal_year), tenant_id=tenant_id, status=CaseStatus.CLOSED
    )


def referrals(tenant_id: int, fiscal_year: int) -> QuerySet:
    from sasaeai.consultation.models import Referral

    return Referral.objects.filter(in_year("sent_at", fiscal_year), tenant_id=tenant_id)


def conferences(tenant_id: int, fiscal_year: int) -> QuerySet:
    from sasaeai.consultation.models import Conference

    return Conference.objects.filter(in_year("held_at", fiscal_year), tenant_id=tenant_id)


def activities(tenant_id: int, fiscal_year: int) -> QuerySet:
    from sasaeai.consultation.models import Activity

    return Activity.objects.filter(in_year("occurred_at", fiscal_year), tenant_id=tenant_id)


def contact_activities(tenant_id: int, fiscal_year: int) -> QuerySet:
    from sasaeai.consultation.models import CONTACT_KINDS

    return activities(tenant_id, fiscal_year).filter(kind__in=CONTACT_KINDS)


def outreach_contacts(tenant_id: int, fiscal_year: int) -> QuerySet:
    """Contacts (interview, call, visit, accompanying) made as outreach (アウトリーチ):
    marked so on the activity, or on a case opened as an outreach case."""
    return contact_activities(tenant_id, fiscal_year).filter(
        Q(is_outreach=True) | Q(case__is_outreach=True)
    )


def concern_consultations(tenant_id: int, fiscal_year: int, code: str) -> QuerySet:
    """Consultations received in the year about a concern: tagged on the consultation
    itself, or on the case it was taken into (a concern often shows only in assessment)."""
    return (
        consultations(tenant_id, fiscal_year)
        .filter(Q(concerns__code=code) | Q(case__concerns__code=code))
        .distinct()
    )


def concern_cases_without_intake(tenant_id: int, fiscal_year: int, code: str) -> QuerySet:
    """Cases opened in the year with the concern that no consultation record led to
    (opened directly, e.g. found by outreach): counted once, not twice, with the above."""
    from sasaeai.consultation.models import Consultation

    return (
        cases_opened(tenant_id, fiscal_year)
        .filter(concerns__code=code)
        .exclude(Exists(Consultation.objects.filter(case=OuterRef("pk"))))
        .distinct()
    )


def concern_count(tenant_id: int, fiscal_year: int, code: str) -> int:
    return (
        concern_consultations(tenant_id, fiscal_year, code).count()
        + concern_cases_without_intake(tenant_id, fiscal_year, code).count()
    )


def new_persons(tenant_id: int, fiscal_year: int) -> QuerySet:
    """Persons consulted about for the first time in the year: a consultation about them or
    a case they are on starts in the year, and none did before it."""
    from sasaeai.consultation.models import CasePerson, Consultation, Person

    start, end = day_bounds(fiscal_year)
    year_start, year_after = time_bounds(fiscal_year)
    about = Consultation.objects.filter(person=OuterRef("pk"))
    on_case = CasePerson.objects.filter(person=OuterRef("pk"))
    in_the_year = Exists(
        about.filter(received_at__gte=year_start, received_at__lt=year_after)
    ) | Exists(on_case.filter(case__opened_on__gte=start, case__opened_on__lte=end))
    before = Exists(about.filter(received_at__lt=year_start)) | Exists(
        on_case.filter(case__opened_on__lt=start)
    )
    return Person.objects.filter(in_the_year, tenant_id=tenant_id).exclude(before)


def csw_support_count(tenant_id: int, fiscal_year: int) -> int:
    """コミュニティソーシャルワーカー（CSW）による総合的福祉相談支援件数: consultations a CSW
    received, plus contacts (interview, call, visit, accompanying) a CSW recorded on cases.
    The role is the one the worker had when recording, kept on the row."""
    received = consultations(tenant_id, fiscal_year).filter(received_by_role=CSW_ROLE).count()
    contacts = contact_activities(tenant_id, fiscal_year).filter(author_role=CSW_ROLE).count()
    return received + contacts


# ---- registration --------------------------------------------------------------------------


def _in_tenant(fn: Callable[[int, int], int]) -> Callable[[int, int], int]:
    """Run the count as the tenant, so PostgreSQL's row-level security lets it through."""

    def compute(tenant_id: int, fiscal_year: int) -> int:
        with tenant_context(tenant_id):
            return fn(tenant_id, fiscal_year)

    return compute


def _counting(queryset_of: Callable[[int, int], QuerySet], **filters) -> Callable[[int, int], int]:
    return _in_tenant(
        lambda tenant_id, year: queryset_of(tenant_id, year).filter(**filters).count()
    )


def _metric(key: str, label, unit, compute) -> None:
    metrics.register(
        metrics.Metric(
            key=f"consultation.{key}",
            label=label,
            unit=unit,
            compute=compute,
            source="consultation",
        )
    )


def register_metrics() -> None:
    from sasaeai.consultation.models import AgencyKind, Channel, ConferenceKind
    from sasaeai.consultation.services import DEFAULT_CONCERNS

    consultations_unit, cases_unit = _("consultations"), _("cases")
    _metric(
        "consultations_received",
        _("Consultations received"),
        consultations_unit,
        _counting(consultations),
    )
    for channel in Channel:
        _metric(
            f"consultations_{channel.value}",
            format_lazy(_("Consultations received: {channel}"), channel=channel.label),
            consultations_unit,
            _counting(consultations, channel=channel.value),
        )
    for code, name in DEFAULT_CONCERNS:
        _metric(
            f"concern_{code}",
            format_lazy(
                _(
                    "Consultations about {concern} (tagged on the consultation or its case; "
                    "cases opened without a consultation record count once)"
                ),
                concern=name,
            ),  # fmt: skip
            consultations_unit,
            _in_tenant(lambda tenant_id, year, code=code: concern_count(tenant_id, year, code)),
        )
    _metric(
        "new_persons",
        _("Persons consulted about for the first time"),
        _("persons"),
        _counting(new_persons),
    )
    _metric("cases_opened", _("Cases opened"), cases_unit, _counting(cases_opened))
    _metric("cases_closed", _("Cases closed"), cases_unit, _counting(cases_closed))
    _metric("referrals", _("Referrals to agencies"), _("referrals"), _counting(referrals))
    for kind in AgencyKind:
        _metric(
            f"referrals_{kind.value}",
            format_lazy(_("Referrals to agencies: {kind}"), kind=kind.label),
            _("referrals"),
            _counting(referrals, agency__kind=kind.value),
        )
    _metric("conferences_held", _("Case conferences held"), _("meetings"), _counting(conferences))
    for kind in ConferenceKind:
        _metric(
            f"conferences_{kind.value}",
            format_lazy(_("Case conferences held: {kind}"), kind=kind.label),
            _("meetings"),
            _counting(conferences, kind=kind.value),
        )
    _metric(
        "outreach_contacts",
        _("Outreach contacts (interviews, calls, visits, accompanying on outreach)"),
        _("contacts"),
        _counting(outreach_contacts),
    )
    _metric(
        "csw_support_count",
        _("Consultation support by community social workers (consultations a CSW received "
          "plus contacts a CSW recorded)"),
        consultations_unit,
        _in_tenant(csw_support_count),
    )  # fmt: skip
