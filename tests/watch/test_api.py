"""/api/v1/watch: the people the caller may see, and contacts from phones (4xx in Japanese)."""

import pytest
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.watch.models import Contact
from tests.watch.factories import make_person, watch_by

pytestmark = pytest.mark.django_db
BASE = "/api/v1/watch"


def _client(world, role):
    return world.client_for(world.user(role))


def test_the_people_list_is_scoped_paginated_and_audited(world):
    mine = make_person(world, name="一", area=world.sub_district)
    make_person(world, name="二", area=world.other_district)
    response = _client(world, Role.WELFARE_COMMISSIONER).get(f"{BASE}/people?limit=10")
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 1 and [p["id"] for p in body["items"]] == [mine.pk]
    assert AuditEntry.objects.filter(
        action="read", object_type="watch.watchedperson", object_id=str(mine.pk)
    ).exists()


def test_the_missed_list_through_the_api(world):
    late = make_person(world, name="遅", started_days_ago=30)
    make_person(world, name="新", started_days_ago=1)
    body = _client(world, Role.MUNICIPAL_STAFF).get(f"{BASE}/people?missed=true").json()
    assert [p["id"] for p in body["items"]] == [late.pk]


def test_one_person_and_another_districts_person_is_404(world):
    other = make_person(world, area=world.other_district)
    client = _client(world, Role.WELFARE_COMMISSIONER)
    response = client.get(f"{BASE}/people/{other.pk}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    mine = make_person(world, name="自区", area=world.sub_district)
    body = client.get(f"{BASE}/people/{mine.pk}").json()
    assert body["name"] == "自区" and body["reason"] == "ひとり暮らし"


def test_a_phone_records_a_concern_and_gets_the_intake_number(world):
    person = make_person(world)
    watch_by(world, person, Role.VOLUNTEER)
    response = _client(world, Role.VOLUNTEER).post(
        f"{BASE}/people/{person.pk}/contacts",
        {"result": "concern", "note": "元気がない", "kind": "visit"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["intake_reference"] and body["intake_url"]
    assert Contact.objects.get().intake_reference == body["intake_reference"]


def test_bad_contacts_are_4xx_in_japanese_and_save_nothing(world):
    person = make_person(world)
    client = _client(world, Role.COMMUNITY_SOCIAL_WORKER)
    url = f"{BASE}/people/{person.pk}/contacts"
    future = client.post(
        url, {"result": "ok", "occurred_on": "2999-01-01"}, content_type="application/json"
    )
    assert future.status_code == 422
    assert future.json()["error"]["codes"]["occurred_on"] == ["future_date"]
    assert "未来" in future.json()["error"]["fields"]["occurred_on"][0]
    unknown = client.post(url, {"result": "fine"}, content_type="application/json")
    assert unknown.status_code == 422 and "result" in unknown.json()["error"]["fields"]
    bad_date = client.post(
        url, {"result": "ok", "occurred_on": "昨日"}, content_type="application/json"
    )
    assert bad_date.status_code == 422
    missing = client.post(url, {}, content_type="application/json")
    assert missing.status_code == 422
    assert not Contact.objects.exists()
    today = timezone.localdate().isoformat()
    assert (
        client.post(
            url, {"result": "ok", "occurred_on": today}, content_type="application/json"
        ).status_code
        == 201
    )


def test_a_volunteer_cannot_record_for_someone_they_do_not_watch(world):
    person = make_person(world)
    response = _client(world, Role.VOLUNTEER).post(
        f"{BASE}/people/{person.pk}/contacts", {"result": "ok"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert not Contact.objects.exists()
