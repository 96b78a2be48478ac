"""Writes to the resource directory: staff edits, confirmation, public proposals, map settings.

Every write is audited. Nothing the public sends changes a record: a proposal waits for a
member of staff, who edits the record (or creates an unpublished draft) themselves.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core.models import AreaKind
from sasaeai.core.selectors import areas_containing
from sasaeai.resources import schedules, selectors
from sasaeai.resources.models import (
    Category,
    Location,
    MapSettings,
    Phone,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Schedule,
    Service,
    ServiceAtLocation,
)
from sasaeai.resources.search import service_search_text

JAPAN_LAT = (20.0, 46.0)
JAPAN_LON = (122.0, 154.0)


@dataclass
class ServiceInput:
    """What the staff form edits: the service, its one main location and its hours."""

    name: str
    alternate_name: str = ""
    description: str = ""
    categories: tuple[Category, ...] = ()
    audiences: tuple[str, ...] = ("everyone",)
    is_free: bool = False
    fees_description: str = ""
    url: str = ""
    email: str = ""
    phone: str = ""
    postal_code: str = ""
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    transportation: str = ""
    accessibility: str = ""
    step_free: bool = False
    accessible_toilet: bool = False
    parking: bool = False
    schedule_text: str = ""
    languages: str = "日本語"
    eligibility_description: str = ""
    application_process: str = ""
    status: str = "active"
    is_published: bool = True


def check_position(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": _("Give both latitude and longitude, or neither.")})
    if latitude is None:
        return
    if not (JAPAN_LAT[0] <= latitude <= JAPAN_LAT[1] and JAPAN_LON[0] <= longitude <= JAPAN_LON[1]):
        raise ValidationError({"latitude": _("The position is outside Japan.")})


def parse_hours(text: str) -> list[schedules.RuleSpec]:
    try:
        return schedules.parse_schedule_text(text)
    except schedules.ScheduleParseError as error:
        raise ValidationError({"schedule_text": str(error)}) from error


def refresh_search_text(service: Service) -> None:
    categories = list(service.categories.all())
    addresses = [
        part
        for at in service.at_locations.select_related("location")
        for part in (at.location.name, at.location.address)
    ]
    service.search_text = service_search_text(
        service.name,
        service.alternate_name,
        service.description,
        service.organization.name if service.organization_id else "",
        *addresses,
        *[c.name for c in categories],
        *[c.name_kana for c in categories],
    )
    Service.objects.filter(pk=service.pk).update(search_text=service.search_text)


def _place_areas(location: Location) -> None:
    location.area = location.school_district = None
    if not location.has_position:
        return
    for area in areas_containing(
        tenant_id=location.tenant_id, lat=location.latitude, lon=location.longitude
    ):
        if area.kind == AreaKind.DISTRICT and location.area is None:
            location.area = area
        if area.kind == AreaKind.JUNIOR_HIGH_SCHOOL_DISTRICT and location.school_district is None:
            location.school_district = area


def service_save(
    *, actor: Actor, data: ServiceInput, service: Service | None = None, version: int | None = None
) -> Service:
    """Create or update a service with its main location, phone and hours.

    `version` is the one the editor started from: if someone saved in between, the save is
    refused rather than silently overwriting their change.
    """
    policy.require(actor, "resources.manage_resource", service)
    return write_service(actor=actor, data=data, service=service, version=version)


@transaction.atomic
def write_service(
    *, actor: Actor, data: ServiceInput, service: Service | None = None, version: int | None = None
) -> Service:
    """service_save without the permission check, for the demo loader and other services."""
    check_position(data.latitude, data.longitude)
    rules = parse_hours(data.schedule_text)
    if any(c.tenant_id != actor.tenant_id for c in data.categories):
        raise ValidationError({"categories": _("Unknown category.")})
    if service is None:
        service = Service(tenant_id=actor.tenant_id)
    else:
        current = Service.objects.select_for_update().get(pk=service.pk)
        if version is not None and current.version != version:
            raise ValidationError(
                _(
                    "Someone else saved this record while you were editing it. Reload and redo your change."
                )
            )
        service.version = current.version + 1
    fields = ("name", "alternate_name", "description", "is_free", "fees_description", "url",
              "email", "languages", "eligibility_description", "application_process", "status",
              "is_published")  # fmt: skip
    for name in fields:
        setattr(service, name, getattr(data, name))
    service.audiences = "," + ",".join(data.audiences or ("everyone",)) + ","
    creating = service.pk is None
    service.save()
    service.categories.set(data.categories)
    location = _main_location(service)
    for name in ("postal_code", "address", "latitude", "longitude", "transportation",
                 "accessibility", "step_free", "accessible_toilet", "parking"):  # fmt: skip
        setattr(location, name, getattr(data, name))
    location.name = location.name or data.name
    _place_areas(location)
    location.save()
    ServiceAtLocation.objects.get_or_create(
        tenant_id=service.tenant_id, service=service, location=location
    )
    _replace_phone(service, data.phone)
    _replace_schedules(service, location, rules)
    refresh_search_text(service)
    selectors.forget_twins(service.tenant_id)
    audit_object(actor, Action.CREATE if creating else Action.UPDATE, service)
    return service


def _main_location(service: Service) -> Location:
    at = service.at_locations.select_related("location").order_by("id").first()
    return at.location if at else Location(tenant_id=service.tenant_id, name=service.name)


def _replace_phone(service: Service, number: str) -> None:
    service.phones.filter(kind="voice").delete()
    if number.strip():
        Phone.objects.create(tenant_id=service.tenant_id, service=service, number=number.strip())


def _replace_schedules(service: Service, location: Location, rules) -> None:
    service.schedules.all().delete()
    Schedule.objects.bulk_create(
        Schedule(
            tenant_id=service.tenant_id, service=service, location=location, freq=rule.freq,
            interval=rule.interval, byday=rule.byday, bymonthday=rule.bymonthday,
            opens_at=rule.opens_at, closes_at=rule.closes_at, valid_from=rule.valid_from,
            valid_to=rule.valid_to, closed_on_holidays=rule.closed_on_holidays,
            description=rule.description,
            weekday_mask=schedules.weekday_mask(rule.freq, rule.byday, rule.bymonthday),
        )
        for rule in rules
    )  # fmt: skip


def service_confirm(*, actor: Actor, service: Service) -> Service:
    """Staff checked the record with the place itself: it is current as of now."""
    policy.require(actor, "resources.manage_resource", service)
    service.last_confirmed_at = timezone.now()
    service.last_confirmed_by_id = actor.user_id
    Service.objects.filter(pk=service.pk).update(
        last_confirmed_at=service.last_confirmed_at, last_confirmed_by_id=actor.user_id
    )
    audit_object(actor, Action.UPDATE, service, detail={"confirmed": True})
    return service


PROPOSAL_LIMITS = {"place_name": 200, "body": 4000, "proposer_name": 100, "proposer_contact": 200}


def proposal_submit(
    *,
    tenant_id: int,
    kind: str,
    body: str,
    service: Service | None = None,
    place_name: str = "",
    proposer_name: str = "",
    proposer_contact: str = "",
    ip_address: str | None = None,
) -> Proposal:
    """A resident's proposal, stored as plain text (templates escape it on the way out)."""
    values = {
        "place_name": place_name.strip(),
        "body": body.strip(),
        "proposer_name": proposer_name.strip(),
        "proposer_contact": proposer_contact.strip(),
    }
    errors = {}
    if not values["body"]:
        errors["body"] = [_("Write what should be added or corrected.")]
    if kind == ProposalKind.NEW_PLACE and not values["place_name"]:
        errors["place_name"] = [_("Give the name of the place.")]
    for name, limit in PROPOSAL_LIMITS.items():
        if len(values[name]) > limit:
            errors.setdefault(name, []).append(
                _("At most %(limit)d characters.") % {"limit": limit}
            )
    if kind not in ProposalKind.values:
        errors["kind"] = [_("Unknown kind of proposal.")]
    if errors:
        raise ValidationError(errors)
    proposal = Proposal.objects.create(tenant_id=tenant_id, kind=kind, service=service, **values)
    public = Actor(user_id=None, username="public", tenant_id=tenant_id, membership_id=None,
                   role=None, ip_address=ip_address)  # fmt: skip
    audit_object(public, Action.CREATE, proposal)
    return proposal


@transaction.atomic
def proposal_review(*, actor: Actor, proposal: Proposal, accept: bool, note: str = "") -> Proposal:
    """Accept or reject. Accepting a new place creates an unpublished draft for staff to edit."""
    policy.require(actor, "resources.review_proposal", proposal)
    if proposal.status != ProposalStatus.PENDING:
        raise ValidationError(_("This proposal has already been reviewed."))
    proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
    proposal.reviewed_by_id = actor.user_id
    proposal.reviewed_at = timezone.now()
    proposal.review_note = note.strip()
    proposal.save()
    if accept and proposal.kind == ProposalKind.NEW_PLACE:
        draft = Service.objects.create(
            tenant_id=proposal.tenant_id,
            name=proposal.place_name,
            description=proposal.body,
            is_published=False,
        )
        refresh_search_text(draft)
        proposal.service = draft
        proposal.save(update_fields=["service"])
        audit_object(actor, Action.CREATE, draft, detail={"from_proposal": proposal.pk})
    audit_object(actor, Action.UPDATE, proposal, detail={"status": proposal.status})
    return proposal


def map_settings_save(*, actor: Actor, **values) -> MapSettings:
    policy.require(actor, "resources.manage_map")
    settings_row, _created = MapSettings.objects.get_or_create(tenant_id=actor.tenant_id)
    for name, value in values.items():
        setattr(settings_row, name, value)
    if settings_row.tile_source == "custom" and not settings_row.tile_url:
        raise ValidationError({"tile_url": _("Give the internal tile server's URL template.")})
    settings_row.full_clean()
    settings_row.save()
    audit_object(actor, Action.UPDATE, settings_row, detail=values)
    return settings_row
