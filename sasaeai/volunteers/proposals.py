"""From the database to the matching engine and back (the engine is `matching.py`, pure).

The engine is imported when a proposal is asked for, not at start-up: the pages work without it
until it is needed. Helpers' weekly patterns become concrete windows over the requests' dates,
minus their exception days; live offers count as load.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.volunteers.models import (
    ACTIVE_OFFER_STATUSES,
    Helper,
    HelpRequest,
    Offer,
    OfferStatus,
)


def _engine():
    from sasaeai.volunteers import matching

    return matching


def _windows(helper: Helper, first_day, last_day, engine) -> tuple:
    off = {e.day for e in helper.exceptions.all()}
    slots = defaultdict(list)
    for slot in helper.availability.all():
        slots[slot.weekday].append(slot)
    windows = []
    day = first_day
    tz = timezone.get_current_timezone()
    while day <= last_day:
        if day not in off:
            for slot in slots.get(day.weekday(), ()):
                windows.append(
                    engine.Window(
                        datetime.combine(day, slot.starts, tzinfo=tz),
                        datetime.combine(day, slot.ends, tzinfo=tz),
                    )
                )
        day += timedelta(days=1)
    return tuple(windows)


def helper_slots(tenant_id: int, requests: list[HelpRequest], engine=None) -> list:
    engine = engine or _engine()
    if not requests:
        return []
    first = min(timezone.localtime(r.starts_at).date() for r in requests)
    last = max(timezone.localtime(r.ends_at).date() for r in requests)
    years = {fiscal_year_of(first), fiscal_year_of(last)}
    helpers = (
        Helper.objects.filter(tenant_id=tenant_id, is_active=True)
        .prefetch_related("skills", "availability", "exceptions")
        .annotate(
            live=Count("offers", filter=Q(offers__status__in=ACTIVE_OFFER_STATUSES)),
            insured_count=Count(
                "insurances", filter=Q(insurances__fiscal_year__in=years), distinct=True
            ),
        )
    )
    return [
        engine.HelperSlot(
            id=h.pk,
            lat=h.latitude,
            lon=h.longitude,
            skills=frozenset(s.key for s in h.skills.all()),
            # The district a helper lives in is not a limit on where they help: any area.
            area_ids=frozenset(),
            availability=_windows(h, first, last, engine),
            insured=h.insured_count > 0,
            capacity=h.capacity,
            load=h.live,
            max_distance_km=h.max_distance_km,
        )  # fmt: skip
        for h in helpers
        if h.latitude is not None and h.longitude is not None
    ]


def request_slots(requests: list[HelpRequest], engine=None) -> list:
    engine = engine or _engine()
    history = defaultdict(set)
    excluded = defaultdict(set)
    live = defaultdict(int)
    for offer in Offer.objects.filter(request__in=requests).values(
        "request_id", "helper_id", "status"
    ):
        if offer["status"] in (OfferStatus.DECLINED, OfferStatus.WITHDRAWN):
            excluded[offer["request_id"]].add(offer["helper_id"])
        elif offer["status"] in ACTIVE_OFFER_STATUSES:
            excluded[offer["request_id"]].add(offer["helper_id"])
            live[offer["request_id"]] += 1
    # Helpers with a live offer overlapping a request's time are not proposed for it again
    # (confirming would refuse the pair).
    if requests:
        first = min(r.starts_at for r in requests)
        last = max(r.ends_at for r in requests)
        live_offers = Offer.objects.filter(
            tenant_id=requests[0].tenant_id, status__in=ACTIVE_OFFER_STATUSES,
            starts_at__lt=last, ends_at__gt=first,
        ).values_list("helper_id", "starts_at", "ends_at")  # fmt: skip
        for helper_id, starts_at, ends_at in live_offers:
            for r in requests:
                if starts_at < r.ends_at and r.starts_at < ends_at:
                    excluded[r.pk].add(helper_id)
    # Helpers who already helped the same requester: continuity is worth something.
    names = {r.requester_name for r in requests}
    for row in Offer.objects.filter(
        request__requester_name__in=names, status=OfferStatus.ACCEPTED
    ).values("request__requester_name", "helper_id"):
        history[row["request__requester_name"]].add(row["helper_id"])
    slots = []
    for r in requests:
        needed = r.helpers_needed - live[r.pk]
        if needed < 1 or r.latitude is None or r.longitude is None:
            continue
        slots.append(
            engine.RequestSlot(
                id=r.pk,
                lat=r.latitude,
                lon=r.longitude,
                skills=frozenset(s.key for s in r.skills.all()),
                area_id=r.area_id,
                window=engine.Window(r.starts_at, r.ends_at),
                helpers_needed=needed,
                excluded_helpers=frozenset(excluded[r.pk]),
                past_helpers=frozenset(history[r.requester_name]),
            )  # fmt: skip
        )
    return slots


def propose(tenant_id: int, requests: list[HelpRequest]):
    """The engine's proposal for these requests. Requests without a position are reported as
    unassigned here (the engine never sees them)."""
    engine = _engine()
    request_rows = request_slots(requests, engine)
    proposal = engine.propose(request_rows, helper_slots(tenant_id, requests, engine))
    placed = {r.id for r in request_rows}
    for r in requests:
        if r.pk not in placed and r.pk not in proposal.unassigned:
            if r.latitude is None or r.longitude is None:
                proposal.unassigned[r.pk] = "no_position"
            else:
                proposal.unassigned[r.pk] = "fully_offered"
    return proposal


def shortlist(tenant_id: int, request: HelpRequest, n: int = 10):
    engine = _engine()
    rows = request_slots([request], engine)
    if not rows:
        return []
    return engine.shortlist(rows[0], helper_slots(tenant_id, [request], engine), n=n)
