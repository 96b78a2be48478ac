import json
from datetime import timedelta

from django.utils import timezone

from sasaeai.accounts.models import Role
from tests.volunteers.factories import make_helper, make_request, offer


def _post(client, url, payload):
    return client.post(url, json.dumps(payload, default=str), content_type="application/json")


def test_a_resident_creates_a_request_and_lists_only_their_own(world):
    make_request(world, "他人の依頼")
    client = world.client_for(world.user(Role.RESIDENT))
    starts = timezone.now() + timedelta(days=1)
    response = _post(
        client, "/api/v1/volunteers/requests",
        {"title": "買い物支援", "requester_name": "住民", "starts_at": starts.isoformat(),
         "ends_at": (starts + timedelta(hours=1)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    titles = [r["title"] for r in client.get("/api/v1/volunteers/requests").json()["items"]]
    assert titles == ["買い物支援"]


def test_a_request_in_the_past_is_a_422_with_the_error_shape(world):
    client = world.client_for(world.user(Role.VOLUNTEER_COORDINATOR))
    starts = timezone.now() - timedelta(days=1)
    response = _post(
        client, "/api/v1/volunteers/requests",
        {"title": "x", "requester_name": "y", "starts_at": starts.isoformat(),
         "ends_at": (starts + timedelta(hours=1)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 422
    assert "error" in response.json()


def test_a_second_confirmation_of_the_same_helper_is_refused_over_the_api(world):
    helper = make_helper(world)
    first, second = make_request(world, "一"), make_request(world, "二")
    client = world.client_for(world.user(Role.VOLUNTEER_COORDINATOR))
    ok = _post(client, "/api/v1/volunteers/offers/confirm",
               {"pairs": [{"request_id": first.pk, "helper_id": helper.pk}]})  # fmt: skip
    assert ok.status_code == 201
    refused = _post(client, "/api/v1/volunteers/offers/confirm",
                    {"pairs": [{"request_id": second.pk, "helper_id": helper.pk}]})  # fmt: skip
    assert refused.status_code == 422
    assert helper.name in json.dumps(refused.json(), ensure_ascii=False)


def test_a_volunteer_accepts_and_reports_over_the_api(world):
    helper = make_helper(world, user=world.user(Role.VOLUNTEER))
    made = offer(world, make_request(world), helper)
    client = world.client_for(world.user(Role.VOLUNTEER))
    accepted = _post(client, f"/api/v1/volunteers/offers/{made.pk}/respond", {"accept": True})
    assert accepted.json()["status"] == "accepted"
    report = _post(
        client, f"/api/v1/volunteers/offers/{made.pk}/reports",
        {"day": timezone.localdate().isoformat(), "hours": "2"},
    )  # fmt: skip
    assert report.status_code == 201 and report.json()["hours"] in ("2", "2.00", 2)
    assert client.get("/api/v1/volunteers/helpers").status_code == 403


def test_a_coordinator_lists_helpers_and_offers(world):
    helper = make_helper(world)
    offer(world, make_request(world), helper)
    client = world.client_for(world.user(Role.VOLUNTEER_COORDINATOR))
    helpers = client.get("/api/v1/volunteers/helpers").json()["items"]
    assert [h["name"] for h in helpers] == [helper.name]
    offers = client.get("/api/v1/volunteers/offers").json()["items"]
    assert [o["helper_id"] for o in offers] == [helper.pk]
    assert client.get(f"/api/v1/volunteers/helpers/{helper.pk}").json()["id"] == helper.pk
