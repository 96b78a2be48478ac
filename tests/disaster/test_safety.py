"""安否確認: marks from phones, the latest shown (newest marked_at, whatever the arrival order),
unreachable people first, the history on the entry page, the phone API."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.disaster import emergency
from sasaeai.disaster.models import SafetyCheck, SafetyState, SafetyStatus
from tests.disaster.test_emergency_scene import Scene, make_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(world):
    return Scene(world)


def mark(world, declaration, entry, state, *, role=Role.MUNICIPAL_STAFF, at=None, place=""):
    return emergency.safety_mark(
        actor=world.actor(role), declaration=declaration, entry=entry,
        data=emergency.MarkInput(state=state, place=place, marked_at=at),
    )  # fmt: skip


def ago(minutes):
    return timezone.now() - datetime.timedelta(minutes=minutes)


# ---- marks and the latest ------------------------------------------------------------------------


def test_every_mark_is_kept_and_the_newest_marked_at_is_shown(world, scene):
    declaration = scene.declare()
    mark(world, declaration, scene.unconsented, SafetyState.NEEDS_HELP, at=ago(10))
    mark(world, declaration, scene.unconsented, SafetyState.SAFE, at=ago(5))
    status = SafetyStatus.objects.get(entry=scene.unconsented)
    assert status.state == SafetyState.SAFE and status.marks == 2
    assert SafetyCheck.objects.filter(entry=scene.unconsented).count() == 2


def test_a_late_offline_mark_with_an_older_time_does_not_override(world, scene):
    declaration = scene.declare()
    newer = mark(world, declaration, scene.unconsented, SafetyState.SAFE, at=ago(5))
    # The helper's phone was offline: its mark, made 30 minutes ago, arrives now.
    mark(
        world, declaration, scene.unconsented, SafetyState.NEEDS_HELP,
        role=Role.EVACUATION_HELPER, at=ago(30),
    )  # fmt: skip
    status = SafetyStatus.objects.get(entry=scene.unconsented)
    assert status.state == SafetyState.SAFE and status.latest_check_id == newer.pk
    assert status.marks == 2
    history = list(emergency.checks_of(declaration, scene.unconsented))
    assert [c.state for c in history] == [SafetyState.SAFE, SafetyState.NEEDS_HELP]


def test_evacuated_needs_a_place_and_nothing_is_saved_without_it(world, scene):
    declaration = scene.declare()
    with pytest.raises(ValidationError) as error:
        mark(world, declaration, scene.unconsented, SafetyState.EVACUATED)
    assert "place" in error.value.message_dict
    assert not SafetyCheck.objects.exists() and not SafetyStatus.objects.exists()
    mark(world, declaration, scene.unconsented, SafetyState.EVACUATED, place="桶川東小学校")
    assert SafetyStatus.objects.get().place == "桶川東小学校"


def test_a_mark_from_the_future_and_an_unknown_state_are_refused(world, scene):
    declaration = scene.declare()
    with pytest.raises(ValidationError) as error:
        mark(world, declaration, scene.unconsented, SafetyState.SAFE, at=ago(-60))
    assert "marked_at" in error.value.message_dict
    with pytest.raises(ValidationError):
        mark(world, declaration, scene.unconsented, "fine")
    assert not SafetyCheck.objects.exists()


def test_no_marks_on_an_ended_declaration(world, scene):
    declaration = scene.declare()
    emergency.declaration_end(actor=world.actor(Role.SYSTEM_ADMIN), declaration=declaration)
    with pytest.raises(emergency.DeclarationEnded):
        mark(world, declaration, scene.unconsented, SafetyState.SAFE)
    assert not SafetyCheck.objects.exists()


def test_a_person_outside_the_declared_areas_or_the_actors_view_is_404(world, scene):
    declaration = scene.declare()
    with pytest.raises(Http404):
        mark(world, declaration, scene.elsewhere, SafetyState.SAFE)  # not declared
    with pytest.raises(Http404):  # another tenant's person
        mark(world, declaration, scene.other_tenant, SafetyState.SAFE)
    world.district.refresh_from_db()
    # The commissioner of 桶川地区, left out of the declaration, sees only the consented.
    emergency.declaration_end(actor=world.actor(Role.SYSTEM_ADMIN), declaration=declaration)
    declaration = scene.declare(includes_commissioners=False)
    with pytest.raises(Http404):
        mark(world, declaration, scene.unconsented, SafetyState.SAFE,
             role=Role.WELFARE_COMMISSIONER)  # fmt: skip
    mark(world, declaration, scene.consented, SafetyState.SAFE, role=Role.WELFARE_COMMISSIONER)
    assert not SafetyCheck.objects.filter(entry=scene.unconsented).exists()


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.RESIDENT, Role.CARE_PLANNER])
def test_roles_without_the_permission_may_not_mark(world, scene, role):
    declaration = scene.declare()
    with pytest.raises(PermissionDenied):
        mark(world, declaration, scene.unconsented, SafetyState.SAFE, role=role)


def test_a_mark_is_audited_with_the_person_as_subject(world, scene):
    declaration = scene.declare()
    check = mark(world, declaration, scene.unconsented, SafetyState.SAFE)
    entry = AuditEntry.objects.get(object_type="disaster.safetycheck", object_id=str(check.pk))
    assert entry.action == Action.CREATE
    assert entry.subject_type == "disaster.registerentry"
    assert entry.subject_id == str(scene.unconsented.pk)


# ---- the list: unreachable first -----------------------------------------------------------------


def test_unknown_and_unmarked_first_then_needs_help_then_the_longest_since_marked(world, scene):
    declaration = scene.declare()
    a = world.tenant_a
    safe_long_ago = make_entry(a, world.district, "A-010", "あ無事前")
    safe_recent = make_entry(a, world.district, "A-011", "い無事後")
    helpless = make_entry(a, world.district, "A-012", "う要支援")
    unknown = make_entry(a, world.district, "A-013", "え不明")
    mark(world, declaration, safe_long_ago, SafetyState.SAFE, at=ago(50))
    mark(world, declaration, safe_recent, SafetyState.SAFE, at=ago(5))
    mark(world, declaration, helpless, SafetyState.NEEDS_HELP, at=ago(1))
    mark(world, declaration, unknown, SafetyState.UNKNOWN, at=ago(20))
    mark(world, declaration, scene.consented, SafetyState.EVACUATED, at=ago(40), place="公民館")
    order = [
        e.resident_key
        for e in emergency.safety_list(world.actor(Role.MUNICIPAL_STAFF), declaration)
    ]
    # A-001 has no mark (nulls first), then the unknown; needs help; then oldest mark first.
    assert order == ["A-001", "A-013", "A-012", "A-010", "A-002", "A-011"]


def test_my_list_is_what_rules_let_the_supporter_see_and_an_area_list_narrows_it(world, scene):
    declaration = scene.declare(areas=[world.district, world.other_district])
    helper = world.actor(Role.EVACUATION_HELPER)
    mine = {e.resident_key for e in emergency.safety_list(helper, declaration)}
    assert mine == {"A-001", "A-002", "A-003"}
    staff = world.actor(Role.MUNICIPAL_STAFF)
    area = {
        e.resident_key
        for e in emergency.safety_list(staff, declaration, area_id=world.other_district.pk)
    }
    assert area == {"A-003"}
    commissioner = world.actor(Role.WELFARE_COMMISSIONER)
    assert {e.resident_key for e in emergency.safety_list(commissioner, declaration)} == {
        "A-001",
        "A-002",
    }


def test_the_phone_list_shows_phone_links_and_audits_the_people_shown(world, scene):
    declaration = scene.declare()
    client = world.client_for(world.user(Role.EVACUATION_HELPER))
    response = client.get(reverse("disaster:emergency_safety", args=[declaration.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'href="tel:090-0000-0000"' in body and "width=device-width" in body
    assert scene.unconsented.name in body and scene.elsewhere.name not in body
    audited = set(
        AuditEntry.objects.filter(
            actor_username="a-evacuation_helper", subject_type="disaster.registerentry"
        ).values_list("subject_id", flat=True)
    )
    assert audited == {str(scene.unconsented.pk), str(scene.consented.pk)}


def test_the_entry_page_marks_and_shows_the_whole_history(world, scene):
    declaration = scene.declare()
    mark(world, declaration, scene.unconsented, SafetyState.NEEDS_HELP, at=ago(30))
    client = world.client_for(world.user(Role.EVACUATION_HELPER))
    url = reverse("disaster:emergency_safety_entry", args=[declaration.pk, scene.unconsented.pk])
    assert client.get(url).status_code == 200
    assert AuditEntry.objects.filter(
        actor_username="a-evacuation_helper", object_type="disaster.registerentry",
        object_id=str(scene.unconsented.pk),
    ).exists()  # fmt: skip
    response = client.post(url, {"state": SafetyState.SAFE, "note": "声かけ済"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert page.count('data-testid="check"') == 2
    assert SafetyStatus.objects.get(entry=scene.unconsented).state == SafetyState.SAFE


def test_evacuated_without_place_on_the_page_shows_a_japanese_error(world, scene):
    declaration = scene.declare()
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = reverse("disaster:emergency_safety_entry", args=[declaration.pk, scene.unconsented.pk])
    response = client.post(url, {"state": SafetyState.EVACUATED}, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert "避難先を入力してください" in response.content.decode()
    assert not SafetyCheck.objects.exists()


# ---- the phone API -------------------------------------------------------------------------------


def post_check(client, declaration, payload):
    return client.post(
        f"/api/v1/disaster/declarations/{declaration.pk}/checks",
        data=json.dumps(payload), content_type="application/json", HTTP_ACCEPT_LANGUAGE="ja",
    )  # fmt: skip


def test_the_api_lists_active_declarations(world, scene):
    declaration = scene.declare()
    client = world.client_for(world.user(Role.EVACUATION_HELPER))
    body = client.get("/api/v1/disaster/declarations").json()
    assert [d["id"] for d in body] == [declaration.pk]
    assert body[0]["area_names"] == [world.district.name]
    emergency.declaration_end(actor=world.actor(Role.SYSTEM_ADMIN), declaration=declaration)
    assert client.get("/api/v1/disaster/declarations").json() == []


def test_the_api_records_an_offline_mark_with_its_time(world, scene):
    declaration = scene.declare()
    client = world.client_for(world.user(Role.EVACUATION_HELPER))
    newer = post_check(client, declaration, {"entry_id": scene.unconsented.pk, "state": "safe"})
    assert newer.status_code == 201, newer.content
    late = post_check(
        client, declaration,
        {"entry_id": scene.unconsented.pk, "state": "needs_help",
         "marked_at": ago(60).isoformat()},
    )  # fmt: skip
    assert late.status_code == 201
    assert late.json()["state"] == "needs_help" and late.json()["latest_state"] == "safe"


def test_the_api_answers_409_for_an_ended_declaration_in_japanese(world, scene):
    declaration = scene.declare()
    emergency.declaration_end(actor=world.actor(Role.SYSTEM_ADMIN), declaration=declaration)
    client = world.client_for(world.user(Role.EVACUATION_HELPER))
    response = post_check(client, declaration, {"entry_id": scene.unconsented.pk, "state": "safe"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "declaration_ended"
    assert "終了" in response.json()["error"]["message"]


def test_the_api_answers_404_for_a_person_not_visible_and_422_for_bad_input(world, scene):
    declaration = scene.declare()
    client = world.client_for(world.user(Role.EVACUATION_HELPER))
    for entry in (scene.elsewhere, scene.other_tenant):
        response = post_check(client, declaration, {"entry_id": entry.pk, "state": "safe"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    response = post_check(
        client, declaration, {"entry_id": scene.unconsented.pk, "state": "evacuated"}
    )
    assert response.status_code == 422
    assert "place" in response.json()["error"]["fields"]
    response = post_check(client, declaration, {"entry_id": "x", "state": "safe"})
    assert response.status_code == 422
    assert not SafetyCheck.objects.exists()


def test_the_list_names_the_reasons_in_japanese(world, scene):
    declaration = scene.declare()
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    body = client.get(
        reverse("disaster:emergency_safety", args=[declaration.pk]), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert "older_alone" not in body


def test_the_list_pages_keep_the_order(world, scene, monkeypatch):
    from sasaeai.disaster import emergency_views

    monkeypatch.setattr(emergency_views, "PAGE_SIZE", 1)
    declaration = scene.declare()
    mark(world, declaration, scene.unconsented, SafetyState.SAFE, at=ago(5))
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = reverse("disaster:emergency_safety", args=[declaration.pk])
    first, second = (client.get(url, {"page": n}).content.decode() for n in (1, 2))
    # A-002 has no mark: first; A-001, marked safe, after it.
    assert scene.consented.name in first and scene.unconsented.name not in first
    assert scene.unconsented.name in second and scene.consented.name not in second
    order = emergency.safety_order(world.actor(Role.MUNICIPAL_STAFF), declaration)
    assert order.count() == 2 and order[1] == scene.unconsented.pk
