"""福祉避難所 from the resources directory: recorded from a place, agreement and capacity, the
plans assigned directly, and a shelter that left the directory stays, flagged."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.disaster import evacuation
from sasaeai.disaster.models import DestinationKind, PlanStatus, WelfareShelter
from sasaeai.resources.models import Service
from tests.disaster.evacuation_factories import make_entry, make_plan, make_shelter
from tests.resources.factories import make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(world):
    return world.actor(Role.MUNICIPAL_STAFF)


@pytest.fixture
def place_service(world):
    return make_service(
        world.tenant_a, "ZQ#A特養ひまわり", categories=("welfare_shelter",), address="桶川市若宮1-1",
        phone="048-786-0001",
    )  # fmt: skip


def _place_id(service):
    return service.at_locations.get().location_id


def test_a_shelter_is_recorded_from_a_directory_place(world, staff, place_service):
    shelter = evacuation.shelter_save(
        actor=staff, place_id=_place_id(place_service),
        data={"operator": "社会福祉法人ひまわり会", "agreement_on": datetime.date(2024, 6, 1),
              "capacity": 20, "targets": ["older", "medical"], "accepts_direct": True},
    )  # fmt: skip
    stored = WelfareShelter.objects.get(pk=shelter.pk)
    assert stored.name == "ZQ#A特養ひまわり" and stored.address == "桶川市若宮1-1"
    assert stored.phone == "048-786-0001" and stored.capacity == 20 and stored.accepts_direct
    assert stored.targets == ["older", "medical"]


def test_a_place_outside_the_category_or_twice_is_refused(world, staff, place_service):
    other = make_service(world.tenant_a, "子ども食堂")
    with pytest.raises(ValidationError):
        evacuation.shelter_save(actor=staff, place_id=_place_id(other), data={})
    evacuation.shelter_save(actor=staff, place_id=_place_id(place_service), data={})
    with pytest.raises(ValidationError):
        evacuation.shelter_save(actor=staff, place_id=_place_id(place_service), data={})
    assert WelfareShelter.objects.count() == 1


def test_bad_agreement_input_is_refused(world, staff, place_service):
    future = timezone.localdate() + datetime.timedelta(days=10)
    with pytest.raises(ValidationError):
        evacuation.shelter_save(
            actor=staff, place_id=_place_id(place_service), data={"agreement_on": future}
        )
    with pytest.raises(ValidationError):
        evacuation.shelter_save(
            actor=staff, place_id=_place_id(place_service), data={"targets": ["dogs"]}
        )
    assert not WelfareShelter.objects.exists()


def test_only_shelter_managers_record_shelters(world, place_service):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        evacuation.shelter_save(
            actor=world.actor(Role.CARE_PLANNER), place_id=_place_id(place_service), data={}
        )


def test_a_shelter_that_left_the_directory_stays_flagged(world, staff, place_service):
    shelter = evacuation.shelter_save(actor=staff, place_id=_place_id(place_service), data={})
    Service.objects.filter(pk=place_service.pk).update(is_published=False)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    page = client.get("/disaster/shelters/").content.decode()
    assert "ZQ#A特養ひまわり" in page and 'data-testid="not-in-directory"' in page
    assert WelfareShelter.objects.filter(pk=shelter.pk, is_active=True).exists()


def test_the_list_offers_unrecorded_places_and_counts_direct_plans(world, staff, place_service):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    page = client.get("/disaster/shelters/").content.decode()
    assert 'data-testid="candidate"' in page and f"?place={_place_id(place_service)}" in page
    added = client.post(
        f"/disaster/shelters/new/?place={_place_id(place_service)}",
        {"capacity": 1, "accepts_direct": "on", "is_active": "on", "targets": ["older"]},
    )
    assert added.status_code == 302
    shelter = WelfareShelter.objects.get()
    plan = make_plan(make_entry(world.tenant_a, world.district))
    evacuation.plan_update(
        actor=staff, plan=plan, version=1,
        data={"destination_kind": DestinationKind.WELFARE_SHELTER, "shelter_id": shelter.pk},
    )  # fmt: skip
    listed = evacuation.shelters_visible_to(staff).get(pk=shelter.pk)
    assert listed.direct_plans == 1
    page = client.get("/disaster/shelters/").content.decode()
    assert 'data-testid="candidate"' not in page and 'class="warning"' in page


def test_an_ended_plan_no_longer_takes_a_place(world, staff):
    shelter = make_shelter(world.tenant_a, capacity=1)
    plan = make_plan(make_entry(world.tenant_a, world.district))
    evacuation.plan_update(
        actor=staff, plan=plan, version=1,
        data={"destination_kind": DestinationKind.WELFARE_SHELTER, "shelter_id": shelter.pk},
    )  # fmt: skip
    evacuation.plan_update(actor=staff, plan=plan, version=2, data={"status": PlanStatus.ENDED})
    assert evacuation.direct_assignments(shelter) == 0


def test_shelter_agreements_count_active_shelters_signed_by_the_year_end(world):
    make_shelter(world.tenant_a, "一", agreement_on=datetime.date(2024, 3, 31))
    make_shelter(world.tenant_a, "二", agreement_on=datetime.date(2025, 3, 31))
    make_shelter(world.tenant_a, "三", agreement_on=datetime.date(2025, 4, 1))
    make_shelter(world.tenant_a, "四", agreement_on=datetime.date(2024, 1, 1), is_active=False)
    make_shelter(world.tenant_a, "五")  # no agreement yet
    make_shelter(world.tenant_b, "六", agreement_on=datetime.date(2024, 1, 1))
    assert evacuation.shelter_agreements(world.tenant_a.pk, 2023) == 1
    assert evacuation.shelter_agreements(world.tenant_a.pk, 2024) == 2
    from sasaeai.core import metrics

    assert (
        metrics.compute(
            "disaster.shelter_agreements", tenant_id=world.tenant_a.pk, fiscal_year=2025
        )
        == 3
    )


def test_the_shelter_api_lists_shelters_with_direct_plans(world):
    make_shelter(world.tenant_a, "ZQ#A避難所")
    make_shelter(world.tenant_b, "ZQ#B避難所")
    client = world.client_for(world.user(Role.CARE_PLANNER))
    body = client.get("/api/v1/disaster/shelters").json()
    assert [s["name"] for s in body] == ["ZQ#A避難所"] and body[0]["direct_plans"] == 0
