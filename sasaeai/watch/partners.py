"""Businesses with a 見守り協定 (WatchPartner) and what they report (PartnerReport).

Staff register a business and issue its report key, shown once: `wp_<prefix>_<secret>`, of
which only the prefix and the SHA-256 of the secret are kept; issuing again revokes the old
key. The prefix starts with the tenant's id (`<tenant id>t<random>`), so a key alone finds its
tenant (the API has no tenant in its URL) and the lookup runs inside that tenant's
row-level-security context. A report arrives through the public form or the API as the
partner (an actor with no user), lands in the desk's inbox, may be matched to a watched
person, passed to the consultation desk (core.intake) and closed. See docs/watch-partners.md.
"""

import hashlib
import hmac
import re
import secrets
from datetime import date

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership, Role
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core import events, intake, metrics
from sasaeai.core.fiscal import fiscal_year_bounds
from sasaeai.core.models import Area
from sasaeai.core.tenancy import tenant_context
from sasaeai.watch.models import (
    PartnerReport,
    ReportStatus,
    WatchedPerson,
    WatchPartner,
    WatchStatus,
)

KEY_PATTERN = re.compile(r"wp_(\d{1,6})t([0-9a-f]{4,8})_([A-Za-z0-9_-]{20,100})")
REPORT_RECEIVED = "watch.partner_report_received"
# The desk: who takes in what arrives (as the consultation intake queue's desk).
DESK_ROLES = (Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF, Role.COMMUNITY_SOCIAL_WORKER)


class KeyRefused(Exception):
    """A report key that may not report: `code` for machines, `message` in Japanese."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ---- rate limit -----------------------------------------------------------------------------

REPORTS_PER_HOUR = 20  # per key and per sending address: a business sends a few a day


def over_limit(bucket: str) -> bool:
    """Count one report attempt in `bucket` ("ip:…", "key:…"); True past the hourly limit."""
    key = f"watch:partner-reports:{bucket}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:
        return False
    return count > REPORTS_PER_HOUR


# ---- keys -----------------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def partner_key_issue(*, actor, partner: WatchPartner) -> str:
    """A new key for the partner, returned once; the previous key stops working at once."""
    policy.require(actor, "watch.manage_partners", partner)
    with transaction.atomic():
        partner = WatchPartner.objects.select_for_update().get(pk=partner.pk)
        prefix = _unused_prefix(partner.tenant_id)
        secret = secrets.token_urlsafe(32)
        partner.report_key_prefix = prefix
        partner.report_key_hash = hash_secret(secret)
        partner.report_key_issued_at = timezone.now()
        partner.save(update_fields=["report_key_prefix", "report_key_hash", "report_key_issued_at"])
        audit_object(actor, Action.UPDATE, partner, detail={"report_key": "issued"})
    return f"wp_{prefix}_{secret}"


def _unused_prefix(tenant_id: int) -> str:
    while True:
        prefix = f"{tenant_id}t{secrets.token_hex(4)[: 11 - len(str(tenant_id))]}"
        if not WatchPartner.objects.filter(tenant_id=tenant_id, report_key_prefix=prefix).exists():
            return prefix


def partner_key_revoke(*, actor, partner: WatchPartner) -> None:
    policy.require(actor, "watch.manage_partners", partner)
    with transaction.atomic():
        WatchPartner.objects.filter(pk=partner.pk).update(
            report_key_prefix="", report_key_hash="", report_key_issued_at=None
        )
        audit_object(actor, Action.UPDATE, partner, detail={"report_key": "revoked"})


def partner_for_key(raw: str, *, tenant_id: int | None = None) -> WatchPartner:
    """The partner a key belongs to, if it may report today; KeyRefused otherwise.

    `tenant_id` (the public form's tenant) must be the key's own tenant.
    """
    match = KEY_PATTERN.fullmatch((raw or "").strip())
    invalid = KeyRefused("invalid_key", _("The watch-over report key is not valid."))
    if match is None:
        raise invalid
    key_tenant = int(match[1])
    if tenant_id is not None and key_tenant != tenant_id:
        raise invalid
    with tenant_context(key_tenant):
        partner = (
            WatchPartner.objects.filter(
                tenant_id=key_tenant, report_key_prefix=f"{match[1]}t{match[2]}"
            )
            .select_related("tenant")
            .first()
        )
    if partner is None or not hmac.compare_digest(partner.report_key_hash, hash_secret(match[3])):
        raise invalid
    _check_in_force(partner)
    return partner


def _check_in_force(partner: WatchPartner) -> None:
    today = timezone.localdate()
    if not partner.is_active or not partner.tenant.is_active:
        raise KeyRefused(
            "partner_inactive", _("Reports from this business are not accepted at present.")
        )
    if partner.agreement_ends_on is not None and partner.agreement_ends_on < today:
        raise KeyRefused(
            "agreement_ended",
            _(
                "The watch-over agreement has ended. "
                "Please contact the municipality or the social welfare council."
            ),
        )


def partner_actor(partner: WatchPartner, ip_address: str | None) -> policy.Actor:
    """Who acts when a business reports: no member, no role; the audit names the partner."""
    return policy.Actor(
        user_id=None, username=f"partner:{partner.pk}:{partner.name}"[:150],
        tenant_id=partner.tenant_id, membership_id=None, role=None, ip_address=ip_address,
    )  # fmt: skip


# ---- partners (staff) -----------------------------------------------------------------------

PARTNER_FIELDS = (
    "name", "kind", "agreement_on", "agreement_ends_on", "contact_name", "contact_phone",
    "contact_email", "is_active",
)  # fmt: skip


def partner_save(*, actor, partner: WatchPartner | None = None, **values) -> WatchPartner:
    """Register a business with its agreement, or change it."""
    creating = partner is None
    if creating:
        policy.require(actor, "watch.manage_partners")
        partner = WatchPartner(tenant_id=actor.tenant_id)
    else:
        policy.require(actor, "watch.manage_partners", partner)
    for name in PARTNER_FIELDS:
        if name in values:
            setattr(partner, name, values[name])
    ends = partner.agreement_ends_on
    if ends is not None and partner.agreement_on and ends < partner.agreement_on:
        raise ValidationError(
            {"agreement_ends_on": _("The agreement cannot end before it was signed.")}
        )
    with transaction.atomic():
        partner.full_clean()
        # The key's fields are the key services' own: a stale copy must not write them back.
        partner.save(update_fields=None if creating else list(PARTNER_FIELDS))
        audit_object(actor, Action.CREATE if creating else Action.UPDATE, partner)
    return partner


def partners_visible_to(actor) -> QuerySet[WatchPartner]:
    return policy.scope(actor, "watch.manage_partners", WatchPartner.objects.all())


def partner_for(actor, pk: int) -> WatchPartner:
    partner = partners_visible_to(actor).filter(pk=pk).first()
    if partner is None:
        raise Http404
    return partner


def in_force_on(day: date, tenant_id: int) -> QuerySet[WatchPartner]:
    return WatchPartner.objects.filter(
        Q(agreement_ends_on__isnull=True) | Q(agreement_ends_on__gte=day),
        tenant_id=tenant_id, is_active=True, agreement_on__lte=day,
    )  # fmt: skip


# ---- reports --------------------------------------------------------------------------------

REPORT_FIELDS = (
    "observed_on", "subject_name", "address", "description", "is_urgent", "reporter_name",
    "reporter_phone",
)  # fmt: skip


def report_receive(*, actor, partner: WatchPartner, **values) -> PartnerReport:
    """A business's report (form or API), as the partner's actor; urgent ones notify the desk."""
    _check_in_force(partner)
    report = PartnerReport(
        tenant_id=partner.tenant_id, partner=partner, received_at=timezone.now(),
        observed_on=values.get("observed_on") or timezone.localdate(),
    )  # fmt: skip
    for name in REPORT_FIELDS:
        if name in values and values[name] is not None:
            setattr(report, name, values[name])
    for name in ("description", "address", "subject_name", "reporter_name", "reporter_phone"):
        setattr(report, name, (getattr(report, name) or "").strip())
    _check_report(report)
    with transaction.atomic():
        report.full_clean()
        report.save()
        audit_object(actor, Action.CREATE, report)
        if report.is_urgent:
            events.publish(
                REPORT_RECEIVED, report.tenant_id, desk_user_ids(report.tenant_id),
                reverse("watch:report_detail", args=[report.pk]), "watch.partnerreport",
                report.pk,
            )  # fmt: skip
    return report


def _check_report(report: PartnerReport) -> None:
    errors = {}
    if not report.description:
        errors["description"] = _("Write down what you noticed.")
    if not report.address:
        errors["address"] = _("Enter the address (or the place) where you noticed it.")
    if report.observed_on and report.observed_on > timezone.localdate():
        errors["observed_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)


def desk_user_ids(tenant_id: int) -> list[int]:
    """Active members of the tenant in a desk role: they hear of an urgent report at once."""
    return list(
        Membership.objects.active()
        .filter(tenant_id=tenant_id, role__in=[r.value for r in DESK_ROLES])
        .values_list("user_id", flat=True)
    )


def reports_visible_to(actor, *, status: str = "") -> QuerySet[PartnerReport]:
    """The inbox: new first, urgent on top of each status, newest first."""
    rows = policy.scope(actor, "watch.view_reports", PartnerReport.objects.all())
    if status:
        rows = rows.filter(status=status)
    first = Case(
        When(status=ReportStatus.NEW, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return rows.select_related("partner", "watched").order_by(
        first, "-is_urgent", "-received_at", "-pk"
    )


def report_for(actor, pk: int) -> PartnerReport:
    report = reports_visible_to(actor).filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


def watched_candidates(actor, report: PartnerReport, query: str = "") -> QuerySet[WatchedPerson]:
    """Watched people who may be the report's subject: by the name or address typed, else by
    the report's own name and address (the desk's rights on the watch list apply)."""
    rows = policy.scope(actor, "watch.view", WatchedPerson.objects.all())
    terms = [query.strip()] if query.strip() else [report.subject_name, report.address[:12]]
    condition = Q()
    for term in filter(None, terms):
        condition |= Q(name__contains=term) | Q(name_kana__contains=term)
        condition |= Q(address__contains=term)
    if not condition:
        return rows.none()
    return rows.filter(condition, status=WatchStatus.ACTIVE).select_related("area")[:20]


def report_match(*, actor, report: PartnerReport, watched: WatchedPerson | None) -> PartnerReport:
    """Link the report to a watched person (or unlink it with None)."""
    policy.require(actor, "watch.view_reports", report)
    if watched is not None:
        policy.require(actor, "watch.view", watched)
    with transaction.atomic():
        report.watched = watched
        if watched is not None and watched.area_id and report.area_id is None:
            report.area_id = watched.area_id
        report.full_clean()
        report.save(update_fields=["watched", "area"])
        audit_object(actor, Action.UPDATE, report, detail={"watched": getattr(watched, "pk", None)})
    return report


def report_set_area(*, actor, report: PartnerReport, area: Area | None) -> PartnerReport:
    policy.require(actor, "watch.view_reports", report)
    if area is not None and area.tenant_id != actor.tenant_id:
        raise Http404
    with transaction.atomic():
        report.area = area
        report.save(update_fields=["area"])
        audit_object(actor, Action.UPDATE, report, detail={"area": getattr(area, "pk", None)})
    return report


def report_pass_on(*, actor, report: PartnerReport) -> PartnerReport:
    """「相談窓口へつなぐ」: the desk gets an intake; the report keeps its number and page."""
    policy.require(actor, "watch.view_reports", report)
    if report.intake_reference is not None:
        raise ValidationError(_("This report has already been passed to the consultation desk."))
    if report.status == ReportStatus.CLOSED:
        raise ValidationError(_("This report is closed."))
    with transaction.atomic():
        receipt = intake.pass_concern(actor, _concern_of(report))
        report.intake_reference = receipt.reference
        report.intake_url = receipt.url
        report.status = ReportStatus.PASSED_ON
        report.handled_by_id = actor.user_id
        report.handled_at = timezone.now()
        report.save(update_fields=_HANDLED + ["intake_reference", "intake_url"])
        audit_object(actor, Action.UPDATE, report, detail={"intake": receipt.reference})
    return report


_HANDLED = ["status", "handled_by", "handled_at"]


def _concern_of(report: PartnerReport) -> intake.Concern:
    watched = report.watched
    description = _("Reported by %(partner)s (watch-over agreement): %(text)s") % {
        "partner": report.partner.name, "text": report.description,
    }  # fmt: skip
    return intake.Concern(
        tenant_id=report.tenant_id, description=description, source="watch.partner_report",
        source_id=report.pk, subject_name=watched.name if watched else report.subject_name,
        subject_name_kana=watched.name_kana if watched else "",
        subject_address=watched.address if watched else report.address,
        subject_phone=watched.phone if watched else "", area_id=report.area_id,
        urgent=report.is_urgent,
    )  # fmt: skip


def report_close(*, actor, report: PartnerReport, note: str) -> PartnerReport:
    policy.require(actor, "watch.view_reports", report)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write down how the report was handled.")})
    if report.status == ReportStatus.CLOSED:
        raise ValidationError(_("This report is closed."))
    with transaction.atomic():
        report.status = ReportStatus.CLOSED
        report.handled_by_id = actor.user_id
        report.handled_at = timezone.now()
        report.save(update_fields=_HANDLED)
        audit_object(actor, Action.UPDATE, report, detail={"closed": note[:500]})
    return report


# ---- figures --------------------------------------------------------------------------------


def report_count(tenant_id: int, fiscal_year: int) -> int:
    """通報件数: reports received in the fiscal year."""
    start, end = fiscal_year_bounds(fiscal_year)
    return PartnerReport.objects.filter(
        tenant_id=tenant_id, received_at__date__gte=start, received_at__date__lte=end
    ).count()


def partner_count(tenant_id: int, fiscal_year: int) -> int:
    """見守り協定締結事業者数: agreements in force at the fiscal year's end."""
    return in_force_on(fiscal_year_bounds(fiscal_year)[1], tenant_id).count()


def _reports_metric(tenant_id: int, fiscal_year: int) -> int:
    with tenant_context(tenant_id):
        return report_count(tenant_id, fiscal_year)


def _partners_metric(tenant_id: int, fiscal_year: int) -> int:
    with tenant_context(tenant_id):
        return partner_count(tenant_id, fiscal_year)


def partner_metrics() -> None:
    metrics.register(
        metrics.Metric(
            key="watch.partner_reports", label=gettext_lazy("Reports from watch-over partners"),
            unit=gettext_lazy("reports"), compute=_reports_metric, source="watch",
        )
    )  # fmt: skip
    metrics.register(
        metrics.Metric(
            key="watch.partners",
            label=gettext_lazy("Businesses with a watch-over agreement (at the fiscal year end)"),
            unit=gettext_lazy("businesses"), compute=_partners_metric, source="watch",
        )
    )  # fmt: skip


def register_partner_events() -> None:
    events.register(
        events.EventKind(
            key=REPORT_RECEIVED, label=gettext_lazy("An urgent report from a watch-over partner"),
            asks_action=True, source="watch",
        )
    )  # fmt: skip


# ---- demo -----------------------------------------------------------------------------------

DEMO_PARTNERS = (
    ("桶川新聞販売所（デモ）", "newspaper"), ("ガス検針センター（デモ）", "utility"),
    ("地域生協 宅配（デモ）", "delivery"), ("信用金庫 駅前支店（デモ）", "bank"),
)  # fmt: skip
DEMO_REPORTS = (
    ("新聞が3日分たまっている（デモ）", True),
    ("ガスメーターが数日動いていない（デモ）", False),
    ("配達のとき、同じ注文を何度も繰り返している様子（デモ）", False),
)


def load_partner_demo(tenants: dict) -> None:
    """Partners with agreements, a few reports and a 支え合いマップ of 40 households per city."""
    from sasaeai.core.demo import CITIES
    from sasaeai.watch.mutual_aid_map import load_map_demo

    for city in CITIES:
        tenant = tenants.get(city.code)
        if tenant is None:
            continue
        staff = policy.Actor(
            user_id=None, username="demo-loader", tenant_id=tenant.pk, membership_id=None,
            role=Role.MUNICIPAL_STAFF, otp_verified=True,
        )  # fmt: skip
        with tenant_context(tenant.pk):
            _load_partners(staff)
            load_map_demo(staff)


def _load_partners(staff) -> None:
    today = timezone.localdate()
    found = []
    for index, (name, kind) in enumerate(DEMO_PARTNERS):
        found.append(
            partner_save(
                actor=staff,
                name=name,
                kind=kind,
                agreement_on=date(2020 + index, 4, 1),
                contact_name="担当者（デモ）",
            )  # fmt: skip
        )
    for index, (text, urgent) in enumerate(DEMO_REPORTS):
        partner = found[index % len(found)]
        report_receive(
            actor=partner_actor(partner, None), partner=partner, description=text,
            address=f"南{index + 1}丁目{index + 3}番（デモ）", is_urgent=urgent,
            observed_on=today, reporter_name="配達員（デモ）",
        )  # fmt: skip
