"""The matching page with a stand-in engine of the agreed interface (the real `matching.py` is
written separately): what the page sends to the engine and what it shows and confirms."""

import sys
import types
from dataclasses import dataclass, field

import pytest

from sasaeai.accounts.models import Role
from sasaeai.volunteers.models import Offer
from tests.volunteers.factories import make_helper, make_request

SEEN = {}


@dataclass(frozen=True)
class Window:
    starts_at: object
    ends_at: object


@dataclass(frozen=True)
class RequestSlot:
    id: int
    lat: float
    lon: float
    skills: frozenset = frozenset()
    area_id: int | None = None
    window: Window | None = None
    household: object = None
    helpers_needed: int = 1
    excluded_helpers: frozenset = frozenset()
    past_helpers: frozenset = frozenset()
    preferred_helpers: frozenset = frozenset()


@dataclass(frozen=True)
class HelperSlot:
    id: int
    lat: float
    lon: float
    skills: frozenset = frozenset()
    area_ids: frozenset = frozenset()
    availability: tuple = ()
    insured: bool = True
    household: object = None
    capacity: int = 1
    load: int = 0
    max_distance_km: float | None = None


@dataclass
class Pair:
    request_id: int
    helper_id: int
    cost: float
    distance_km: float
    reasons: list = field(default_factory=list)


@dataclass
class Proposal:
    pairs: list
    unassigned: dict
    alternatives: dict
    total_cost: float = 0
    lower_bound: float = 0
    seconds: float = 0
    candidate_arcs: int = 0


def propose(requests, helpers, weights=None, k=None):
    SEEN["requests"], SEEN["helpers"] = list(requests), list(helpers)
    ordered = sorted(helpers, key=lambda h: h.id)
    pairs, alternatives, unassigned = [], {}, {}
    for request in requests:
        usable = [h for h in ordered if request.skills <= h.skills]
        if not usable:
            unassigned[request.id] = "スキルが合う担い手がいません"
            continue
        pairs.append(Pair(request.id, usable[0].id, 1.0, 0.4, ["近い", "スキル一致"]))
        alternatives[request.id] = [Pair(request.id, h.id, 2.0, 1.2) for h in usable[1:4]]
    return Proposal(pairs, unassigned, alternatives)


def shortlist(request, helpers, n=10):
    return [Pair(request.id, h.id, 1.0, 0.5, ["近い"]) for h in helpers][:n]


@pytest.fixture
def engine(monkeypatch):
    module = types.ModuleType("sasaeai.volunteers.matching")
    for name, value in dict(globals()).items():
        if name in {
            "Window",
            "RequestSlot",
            "HelperSlot",
            "Pair",
            "Proposal",
            "propose",
            "shortlist",
        }:
            setattr(module, name, value)
    import sasaeai.volunteers as package

    monkeypatch.setitem(sys.modules, "sasaeai.volunteers.matching", module)
    monkeypatch.setattr(package, "matching", module, raising=False)
    return module


def test_the_page_shows_pairs_with_reasons_and_alternatives_and_confirms_a_changed_pair(
    world, engine
):
    first, second = make_helper(world, "一番"), make_helper(world, "二番")
    request = make_request(world)
    client = world.client_for(world.user(Role.VOLUNTEER_COORDINATOR))
    page = client.post("/volunteers/matching/", {"action": "run", "request": [request.pk]})
    body = page.content.decode()
    assert body.count('data-testid="match-row"') == 1
    assert "近い" in body and "二番" in body and 'data-testid="confirm-matching"' in body
    assert not Offer.objects.exists()  # nothing is sent before confirmation
    (slot,) = SEEN["requests"]
    assert slot.window.starts_at == request.starts_at
    assert {h.id for h in SEEN["helpers"]} == {first.pk, second.pk}
    client.post(
        "/volunteers/matching/",
        {"action": "confirm", "count": "1", "keep-0": "1", "request-0": request.pk,
         "helper-0": second.pk, "reasons-0": "近い"},
    )  # fmt: skip
    assert Offer.objects.get().helper == second


def test_a_request_with_no_feasible_helper_is_reported_with_its_reason(world, engine):
    from sasaeai.volunteers import services
    from tests.volunteers.factories import coordinator

    skill = services.skill_save(actor=coordinator(world), key="sign", name="手話")
    make_helper(world)
    request = make_request(world, skill_ids=(skill.pk,))
    client = world.client_for(world.user(Role.VOLUNTEER_COORDINATOR))
    body = client.post(
        "/volunteers/matching/", {"action": "run", "request": [request.pk]}
    ).content.decode()
    assert 'data-testid="unassigned"' in body and "スキルが合う担い手がいません" in body


def test_the_shortlist_ranks_helpers_and_sends_one_offer(world, engine):
    helper = make_helper(world)
    request = make_request(world)
    client = world.client_for(world.user(Role.VOLUNTEER_COORDINATOR))
    body = client.get(f"/volunteers/requests/{request.pk}/shortlist/").content.decode()
    assert 'data-testid="shortlist-row"' in body and helper.name in body
    client.post(f"/volunteers/requests/{request.pk}/shortlist/", {"helper": helper.pk})
    assert Offer.objects.get().helper == helper
