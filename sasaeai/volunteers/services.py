"""Writes of the volunteers app. Every write: keyword-only, an actor, one transaction,
`full_clean()` first, audited; notifications leave after commit (core.events)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core import events
from sasaeai.core.errors import EditConflict
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.volunteers.models import (
    ACTIVE_OFFER_STATUSES,
    ActivityReport,
    Availability,
    AvailabilityException,
    Group,
    Helper,
    HelpRequest,
    Insurance,
    Offer,
    OfferStatus,
    Registry,
    RegistryMembership,
    ReportStatus,
    RequestSource,
    RequestStatus,
    RequestStatusChange,
    Skill,
)

S = RequestStatus
# The workflow: 受付 → 調整中 → マッチング → 事前打ち合わせ → 活動中 → 完了 / 中止.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.RECEIVED: (S.COORDINATING, S.MATCHED, S.CANCELLED),
    S.COORDINATING: (S.MATCHED, S.RECEIVED, S.CANCELLED),
    S.MATCHED: (S.BRIEFING, S.ACTIVE, S.COORDINATING, S.CANCELLED),
    S.BRIEFING: (S.ACTIVE, S.COORDINATING, S.CANCELLED),
    S.ACTIVE: (S.COMPLETED, S.CANCELLED),
    S.COMPLETED: (),
    S.CANCELLED: (S.RECEIVED,),
}
# Moves that need a reason: stopping, and going back.
NEEDS_REASON = {
    (S.COORDINATING, S.RECEIVED), (S.MATCHED, S.COORDINATING), (S.BRIEFING, S.COORDINATING),
    (S.CANCELLED, S.RECEIVED),
}  # fmt: skip


def _tenant(actor: Actor) -> int:
    if actor.tenant_id is None:
        raise ValidationError(_("Choose a municipality first."))
    return actor.tenant_id


def _place_in_area(obj) -> None:
    """Without a position of its own, a helper or request is placed at its district's centre,
    so that matching can measure distances (a resident does not give coordinates)."""
    if (obj.latitude is None or obj.longitude is None) and obj.area is not None:
        if obj.area.centroid_lat is not None and obj.area.centroid_lon is not None:
            obj.latitude, obj.longitude = obj.area.centroid_lat, obj.area.centroid_lon


def _managers_of(tenant_id: int) -> list[int]:
    return list(
        Membership.objects.active()
        .filter(tenant_id=tenant_id, role=Role.VOLUNTEER_COORDINATOR)
        .values_list("user_id", flat=True)
    )


# ---- registries, skills, groups --------------------------------------------------------------


@transaction.atomic
def registry_save(
    *, actor: Actor, key: str, name: str, order: int = 100, is_active: bool = True,
    registry: Registry | None = None,
) -> Registry:  # fmt: skip
    policy.require(actor, "volunteers.manage", registry)
    tenant_id = _tenant(actor)
    if registry is None:
        if Registry.objects.filter(tenant_id=tenant_id, key=key).exists():
            raise ValidationError({"key": _("A registry with this key already exists.")})
        registry = Registry(tenant_id=tenant_id, key=key)
    registry.name, registry.order, registry.is_active = name, order, is_active
    registry.full_clean()
    action = Action.UPDATE if registry.pk else Action.CREATE
    registry.save()
    audit_object(actor, action, registry, detail={"key": registry.key})
    return registry


@transaction.atomic
def skill_save(*, actor: Actor, key: str, name: str) -> Skill:
    policy.require(actor, "volunteers.manage")
    skill, created = Skill.objects.get_or_create(
        tenant_id=_tenant(actor), key=key, defaults={"name": name}
    )
    if not created and skill.name != name:
        skill.name = name
        skill.full_clean()
        skill.save()
    audit_object(actor, Action.CREATE if created else Action.UPDATE, skill)
    return skill


@transaction.atomic
def group_save(
    *, actor: Actor, name: str, representative: str = "", note: str = "",
    member_ids: Iterable[int] = (), group: Group | None = None,
) -> Group:  # fmt: skip
    policy.require(actor, "volunteers.manage", group)
    tenant_id = _tenant(actor)
    group = group or Group(tenant_id=tenant_id)
    group.name, group.representative, group.note = name, representative, note
    group.full_clean()
    action = Action.UPDATE if group.pk else Action.CREATE
    group.save()
    members = list(Helper.objects.filter(tenant_id=tenant_id, pk__in=list(member_ids)))
    group.members.set(members)
    audit_object(actor, action, group, detail={"members": [h.pk for h in members]})
    return group


# ---- helpers ---------------------------------------------------------------------------------

HELPER_FIELDS = (
    "name", "name_kana", "phone", "email", "address", "area", "latitude", "longitude",
    "qualifications", "languages", "mobility", "max_distance_km", "capacity",
    "consent_to_contact", "is_active", "registered_on", "note",
)  # fmt: skip


@transaction.atomic
def helper_save(
    *, actor: Actor, helper: Helper | None = None, skill_ids: Iterable[int] | None = None,
    user_id: int | None = None, **fields,
) -> Helper:  # fmt: skip
    """Register a helper (staff) or update one. A volunteer registers or edits only their own
    record (self-service): `user_id` is then always theirs."""
    tenant_id = _tenant(actor)
    own = actor.role == Role.VOLUNTEER
    if own:
        policy.require(actor, "volunteers.view", helper)
        user_id = actor.user_id
        if helper is None and Helper.objects.filter(tenant_id=tenant_id, user_id=user_id).exists():
            raise ValidationError(_("You are already registered."))
    else:
        policy.require(actor, "volunteers.manage", helper)
    unknown = set(fields) - set(HELPER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown helper fields: {sorted(unknown)}")
    helper = helper or Helper(tenant_id=tenant_id)
    if helper.pk is None and user_id is not None:
        helper.user_id = user_id
    for name, value in fields.items():
        setattr(helper, name, value)
    if helper.area is not None and helper.area.tenant_id != tenant_id:
        raise ValidationError({"area": _("Choose a district of this municipality.")})
    _place_in_area(helper)
    helper.full_clean()
    action = Action.UPDATE if helper.pk else Action.CREATE
    helper.save()
    if skill_ids is not None:
        helper.skills.set(Skill.objects.filter(tenant_id=tenant_id, pk__in=list(skill_ids)))
    audit_object(actor, action, helper, detail={"fields": sorted(fields)})
    return helper


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


@transaction.atomic
def availability_set(
    *, actor: Actor, helper: Helper, slots: Sequence[tuple[int, time, time]]
) -> list[Availability]:
    """Replace the weekly pattern. Refused whole when a slot is empty or two slots overlap."""
    _require_helper_edit(actor, helper)
    errors = []
    ordered = sorted(slots)
    for weekday, starts, ends in ordered:
        if not 0 <= weekday <= 6:
            errors.append(_("A weekday is 0 (Monday) to 6 (Sunday)."))
        if ends <= starts:
            errors.append(_("A time slot must end after it starts."))
    for (day_a, s_a, e_a), (day_b, s_b, e_b) in zip(ordered, ordered[1:], strict=False):
        if day_a == day_b and _overlaps(s_a, e_a, s_b, e_b):
            errors.append(
                _("Time slots overlap on the same weekday: %(a)s and %(b)s.")
                % {"a": f"{s_a:%H:%M}–{e_a:%H:%M}", "b": f"{s_b:%H:%M}–{e_b:%H:%M}"}
            )
    if errors:
        raise ValidationError({"availability": errors}, code="overlap")
    helper.availability.all().delete()
    rows = Availability.objects.bulk_create(
        [
            Availability(tenant_id=helper.tenant_id, helper=helper, weekday=d, starts=s, ends=e)
            for d, s, e in ordered
        ]
    )
    audit_object(actor, Action.UPDATE, helper, detail={"availability": len(rows)})
    return rows


@transaction.atomic
def availability_exception_add(
    *, actor: Actor, helper: Helper, day: date, note: str = ""
) -> AvailabilityException:
    _require_helper_edit(actor, helper)
    if helper.exceptions.filter(day=day).exists():
        raise ValidationError({"day": _("This day is already marked unavailable.")})
    row = AvailabilityException(tenant_id=helper.tenant_id, helper=helper, day=day, note=note)
    row.full_clean()
    row.save()
    audit_object(actor, Action.CREATE, row, subject=helper)
    return row


def _require_helper_edit(actor: Actor, helper: Helper) -> None:
    if actor.role == Role.VOLUNTEER:
        policy.require(actor, "volunteers.view", helper)
    else:
        policy.require(actor, "volunteers.manage", helper)


@transaction.atomic
def insurance_record(
    *, actor: Actor, helper: Helper, fiscal_year: int, plan: str, enrolled_on: date
) -> Insurance:
    policy.require(actor, "volunteers.manage", helper)
    if helper.insurances.filter(fiscal_year=fiscal_year).exists():
        raise ValidationError({"fiscal_year": _("Insurance for this fiscal year is recorded.")})
    row = Insurance(
        tenant_id=helper.tenant_id, helper=helper, fiscal_year=fiscal_year, plan=plan,
        enrolled_on=enrolled_on,
    )  # fmt: skip
    row.full_clean()
    if fiscal_year_of(enrolled_on) > fiscal_year:
        raise ValidationError({"enrolled_on": _("The enrolment date is after that fiscal year.")})
    row.save()
    audit_object(actor, Action.CREATE, row, subject=helper)
    return row


def is_insured(helper: Helper, day: date) -> bool:
    return helper.insurances.filter(fiscal_year=fiscal_year_of(day), enrolled_on__lte=day).exists()


@transaction.atomic
def registration_add(
    *, actor: Actor, helper: Helper, registry: Registry, joined_on: date
) -> RegistryMembership:
    policy.require(actor, "volunteers.manage", helper)
    if registry.tenant_id != helper.tenant_id:
        raise ValidationError({"registry": _("Choose a registry of this municipality.")})
    if helper.registrations.filter(registry=registry, left_on__isnull=True).exists():
        raise ValidationError({"registry": _("The helper is already in this registry.")})
    row = RegistryMembership(
        tenant_id=helper.tenant_id, helper=helper, registry=registry, joined_on=joined_on
    )
    row.full_clean()
    row.save()
    audit_object(actor, Action.CREATE, row, subject=helper, detail={"registry": registry.key})
    return row


@transaction.atomic
def registration_end(*, actor: Actor, membership: RegistryMembership, left_on: date) -> None:
    policy.require(actor, "volunteers.manage", membership)
    if left_on < membership.joined_on:
        raise ValidationError({"left_on": _("The leaving date is before the joining date.")})
    membership.left_on = left_on
    membership.save(update_fields=["left_on"])
    audit_object(actor, Action.UPDATE, membership, subject=membership.helper)


# ---- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestInput:
    title: str
    requester_name: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    requester_phone: str = ""
    address: str = ""
    share_phone: bool = False
    area_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    recurrence: str = "one_off"
    helpers_needed: int = 1
    fee_per_hour: int | None = None
    is_fsc: bool = False
    case_id: int | None = None
    skill_ids: tuple[int, ...] = ()


@transaction.atomic
def request_create(*, actor: Actor, data: RequestInput, now: datetime | None = None) -> HelpRequest:
    """A request from staff (or from a consultation case: its number only), or a resident's own."""
    tenant_id = _tenant(actor)
    now = now or timezone.now()
    if actor.role == Role.RESIDENT:
        policy.require(actor, "volunteers.request_help")
        source, requester_user_id, case_id = RequestSource.RESIDENT, actor.user_id, None
    else:
        policy.require(actor, "volunteers.manage")
        source = RequestSource.CASE if data.case_id else RequestSource.STAFF
        requester_user_id, case_id = None, data.case_id
    errors: dict[str, list[str]] = {}
    if data.starts_at < now:
        errors.setdefault("starts_at", []).append(_("The request's time is in the past."))
    if data.ends_at <= data.starts_at:
        errors.setdefault("ends_at", []).append(_("The end must be after the start."))
    if data.helpers_needed < 1:
        errors.setdefault("helpers_needed", []).append(_("At least one helper is needed."))
    if errors:
        raise ValidationError(errors)
    request = HelpRequest(
        tenant_id=tenant_id, title=data.title, description=data.description, source=source,
        case_id=case_id, requester_user_id=requester_user_id, requester_name=data.requester_name,
        requester_phone=data.requester_phone, address=data.address, share_phone=data.share_phone,
        area_id=data.area_id, latitude=data.latitude, longitude=data.longitude,
        starts_at=data.starts_at, ends_at=data.ends_at, recurrence=data.recurrence,
        helpers_needed=data.helpers_needed, fee_per_hour=data.fee_per_hour, is_fsc=data.is_fsc,
        created_by_id=actor.user_id,
    )  # fmt: skip
    if request.area is not None and request.area.tenant_id != tenant_id:
        raise ValidationError({"area_id": _("Choose a district of this municipality.")})
    _place_in_area(request)
    request.full_clean()
    request.save()
    if data.skill_ids:
        request.skills.set(Skill.objects.filter(tenant_id=tenant_id, pk__in=data.skill_ids))
    audit_object(actor, Action.CREATE, request, detail={"source": source})
    events.publish(
        "volunteers.request_received", tenant_id, _managers_of(tenant_id),
        reverse("volunteers:request_detail", args=[request.pk]),
        "volunteers.helprequest", request.pk, actor_id=actor.user_id,
    )  # fmt: skip
    return request


@transaction.atomic
def request_transition(
    *, actor: Actor, request: HelpRequest, to_status: str, reason: str = "",
    version: int | None = None,
) -> HelpRequest:  # fmt: skip
    policy.require(actor, "volunteers.manage", request)
    request = HelpRequest.objects.select_for_update().get(pk=request.pk)
    if version is not None and version != request.version:
        raise EditConflict(
            _("Someone changed this request after you opened it. Reload and try again."),
            code="conflict",
        )
    current = request.status
    if to_status not in TRANSITIONS.get(current, ()):
        raise ValidationError(
            _("A request cannot go from %(from)s to %(to)s.")
            % {"from": S(current).label, "to": S(to_status).label if to_status in S else to_status},
            code="transition",
        )
    reason = reason.strip()
    if (to_status == S.CANCELLED or (current, to_status) in NEEDS_REASON) and not reason:
        raise ValidationError({"reason": _("Give a reason for this change.")}, code="reason")
    request.status, request.status_reason = to_status, reason
    request.version += 1
    request.save(update_fields=["status", "status_reason", "version"])
    RequestStatusChange.objects.create(
        tenant_id=request.tenant_id, request=request, from_status=current, to_status=to_status,
        reason=reason, changed_by_id=actor.user_id,
    )  # fmt: skip
    if to_status == S.CANCELLED:
        for offer in request.offers.filter(status__in=ACTIVE_OFFER_STATUSES).select_related(
            "helper"
        ):
            offer.status = OfferStatus.WITHDRAWN
            offer.response_note = reason
            offer.save(update_fields=["status", "response_note"])
            _tell_withdrawn(actor, offer)
    audit_object(actor, Action.UPDATE, request, detail={"from": current, "to": to_status})
    return request


@transaction.atomic
def request_set_terms(
    *, actor: Actor, request: HelpRequest, is_fsc: bool, fee_per_hour: int | None
) -> HelpRequest:
    """The coordinator decides which service a request falls under (a resident does not know):
    ファミリー・サポート・センター or not, and the fee per hour of a paid service."""
    policy.require(actor, "volunteers.manage", request)
    request = HelpRequest.objects.select_for_update().get(pk=request.pk)
    if request.status in (S.COMPLETED, S.CANCELLED):
        raise ValidationError(_("A finished request cannot be changed."))
    if fee_per_hour is not None and fee_per_hour < 0:
        raise ValidationError({"fee_per_hour": _("The fee cannot be negative.")})
    request.is_fsc, request.fee_per_hour = is_fsc, fee_per_hour
    request.version += 1
    request.full_clean()
    request.save(update_fields=["is_fsc", "fee_per_hour", "version"])
    audit_object(
        actor, Action.UPDATE, request, detail={"is_fsc": is_fsc, "fee_per_hour": fee_per_hour}
    )
    return request


# ---- offers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairChoice:
    request_id: int
    helper_id: int
    reasons: str = ""


@transaction.atomic
def offers_confirm(*, actor: Actor, pairs: Sequence[PairChoice]) -> list[Offer]:
    """Turn the coordinator's confirmed pairs into offers, then notify the helpers.

    All or nothing. The helpers' rows are locked (in id order, so two coordinators queue rather
    than deadlock); a helper who already holds a live offer overlapping the request's time
    refuses the pair: the coordinator who confirms second is told who to choose again.
    """
    policy.require(actor, "volunteers.manage")
    tenant_id = _tenant(actor)
    if not pairs:
        raise ValidationError(_("Choose at least one pair to confirm."))
    requests = {
        r.pk: r
        for r in policy.scope(actor, "volunteers.manage", HelpRequest.objects.all())
        .select_for_update()
        .filter(pk__in={p.request_id for p in pairs})
    }
    helper_ids = sorted({p.helper_id for p in pairs})
    helpers = {
        h.pk: h
        for h in Helper.objects.select_for_update()
        .filter(tenant_id=tenant_id, pk__in=helper_ids, is_active=True)
        .order_by("pk")
    }
    errors = []
    seen: list[tuple[int, datetime, datetime]] = []
    for pair in pairs:
        request, helper = requests.get(pair.request_id), helpers.get(pair.helper_id)
        if request is None or helper is None:
            errors.append(_("A request or helper of this proposal no longer exists."))
            continue
        if request.status not in (S.RECEIVED, S.COORDINATING, S.MATCHED):
            errors.append(
                _("「%(title)s」 is no longer waiting for helpers.") % {"title": request.title}
            )
            continue
        clash = (
            Offer.objects.filter(helper=helper, status__in=ACTIVE_OFFER_STATUSES)
            .filter(starts_at__lt=request.ends_at, ends_at__gt=request.starts_at)
            .exists()
        ) or any(
            h == helper.pk and _overlaps(s, e, request.starts_at, request.ends_at)
            for h, s, e in seen
        )
        if clash:
            errors.append(
                _(
                    "%(helper)s already has an offer at the time of 「%(title)s」 (another "
                    "coordinator may have just confirmed it). Choose another helper."
                )
                % {"helper": helper.name, "title": request.title}
            )
            continue
        seen.append((helper.pk, request.starts_at, request.ends_at))
    if errors:
        raise ValidationError([ValidationError(e, code="conflict") for e in errors])
    offers = []
    try:
        with transaction.atomic():
            for pair in pairs:
                request = requests[pair.request_id]
                offer = Offer(
                    tenant_id=tenant_id, request=request, helper_id=pair.helper_id,
                    status=OfferStatus.OFFERED, starts_at=request.starts_at,
                    ends_at=request.ends_at, reasons=pair.reasons[:2000],
                    confirmed_by_id=actor.user_id,
                )  # fmt: skip
                offer.full_clean(validate_constraints=False)
                offer.save()
                offers.append(offer)
    except IntegrityError as error:
        raise ValidationError(
            _("This helper was just offered the same request by someone else."), code="conflict"
        ) from error
    for request in {o.request_id: o.request for o in offers}.values():
        if request.status in (S.RECEIVED, S.COORDINATING):
            old = request.status
            request.status = S.MATCHED
            request.version += 1
            request.save(update_fields=["status", "version"])
            RequestStatusChange.objects.create(
                tenant_id=tenant_id, request=request, from_status=old, to_status=S.MATCHED,
                changed_by_id=actor.user_id,
            )  # fmt: skip
    for offer in offers:
        audit_object(actor, Action.CREATE, offer, subject=offer.helper)
        helper = helpers[offer.helper_id]
        events.publish(
            "volunteers.offer_received", tenant_id, [helper.user_id],
            reverse("volunteers:my_offer", args=[offer.pk]), "volunteers.offer", offer.pk,
            actor_id=actor.user_id,
        )  # fmt: skip
    return offers


@transaction.atomic
def offer_respond(*, actor: Actor, offer: Offer, accept: bool, note: str = "") -> Offer:
    policy.require(actor, "volunteers.respond_offer", offer)
    offer = Offer.objects.select_for_update().select_related("request").get(pk=offer.pk)
    if offer.status != OfferStatus.OFFERED:
        raise ValidationError(_("This offer has already been answered or withdrawn."))
    offer.status = OfferStatus.ACCEPTED if accept else OfferStatus.DECLINED
    offer.responded_at = timezone.now()
    offer.response_note = note[:300]
    offer.save(update_fields=["status", "responded_at", "response_note"])
    audit_object(actor, Action.UPDATE, offer, subject=offer.helper, detail={"to": offer.status})
    events.publish(
        "volunteers.offer_answered", offer.tenant_id, [offer.confirmed_by_id],
        reverse("volunteers:request_detail", args=[offer.request_id]), "volunteers.offer",
        offer.pk, actor_id=actor.user_id,
    )  # fmt: skip
    return offer


@transaction.atomic
def offer_withdraw(*, actor: Actor, offer: Offer, reason: str) -> Offer:
    policy.require(actor, "volunteers.manage", offer)
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for this change.")})
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.status not in ACTIVE_OFFER_STATUSES:
        raise ValidationError(_("This offer is no longer open."))
    offer.status, offer.response_note = OfferStatus.WITHDRAWN, reason.strip()[:300]
    offer.save(update_fields=["status", "response_note"])
    audit_object(actor, Action.UPDATE, offer, subject=offer.helper, detail={"to": offer.status})
    _tell_withdrawn(actor, offer)
    return offer


def _tell_withdrawn(actor: Actor, offer: Offer) -> None:
    events.publish(
        "volunteers.offer_withdrawn", offer.tenant_id, [offer.helper.user_id],
        reverse("volunteers:my_offer", args=[offer.pk]), "volunteers.offer", offer.pk,
        actor_id=actor.user_id,
    )  # fmt: skip


# ---- activity reports ------------------------------------------------------------------------


def _hours(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@transaction.atomic
def report_submit(
    *, actor: Actor, offer: Offer, day: date, hours, note: str = "", today: date | None = None
) -> ActivityReport:
    """The helper (or a coordinator for them) reports an activity; the fee follows the hours."""
    policy.require(actor, "volunteers.report_activity", offer)
    offer = Offer.objects.select_related("request", "helper").get(pk=offer.pk)
    if offer.status != OfferStatus.ACCEPTED:
        raise ValidationError(_("Only an accepted offer can be reported."))
    value = _hours(hours)
    errors: dict[str, list[str]] = {}
    if value is None or value <= 0:
        message = _("Enter the hours of the activity.")
        if offer.request.fee_per_hour:
            message = _("This is a paid activity: the fee is counted from the hours. %(m)s") % {
                "m": message
            }
        errors["hours"] = [message]
    elif value > 24:
        errors["hours"] = [_("An activity report covers at most 24 hours.")]
    if day > (today or timezone.localdate()):
        errors["day"] = [_("An activity cannot be reported before it happened.")]
    if errors:
        raise ValidationError(errors)
    fee = None
    if offer.request.fee_per_hour:
        fee = int((value * offer.request.fee_per_hour).to_integral_value())
    report = ActivityReport(
        tenant_id=offer.tenant_id, offer=offer, day=day, hours=value, note=note, fee=fee,
        submitted_by_id=actor.user_id,
    )  # fmt: skip
    report.full_clean()
    report.save()
    audit_object(actor, Action.CREATE, report, subject=offer.helper)
    events.publish(
        "volunteers.report_submitted", offer.tenant_id, _managers_of(offer.tenant_id),
        reverse("volunteers:request_detail", args=[offer.request_id]),
        "volunteers.activityreport", report.pk, actor_id=actor.user_id,
    )  # fmt: skip
    return report


@transaction.atomic
def report_sign_off(
    *, actor: Actor, report: ActivityReport, approve: bool = True
) -> ActivityReport:
    policy.require(actor, "volunteers.manage", report)
    report = ActivityReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("This report has already been signed off or returned."))
    report.status = ReportStatus.SIGNED_OFF if approve else ReportStatus.REJECTED
    report.signed_off_by_id, report.signed_off_at = actor.user_id, timezone.now()
    report.save(update_fields=["status", "signed_off_by", "signed_off_at"])
    audit_object(actor, Action.UPDATE, report, detail={"to": report.status})
    return report
