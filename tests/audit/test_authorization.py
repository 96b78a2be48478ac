"""Who may read the audit log (page, CSV export, API), and what it shows: for every role.

The log answers who, when, what kind of action and which record (type and id). It never shows
a record's content: no case title, no person's name, whoever reads it.
"""

import pytest
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from tests.consultation.factories import actor_of, make_case, make_person

PERSON_MARK = "監査漏洩氏名"
CASE_MARK = "監査漏洩件名"
MARKS = (PERSON_MARK, CASE_MARK)

PAGE = "/audit/"
EXPORT = "/audit/export.csv"
API = "/api/v1/audit/entries"
READERS = {Role.SYSTEM_ADMIN}


@pytest.fixture
def logged_world(world):
    """A person and a case whose name and title would leak if the log showed object labels."""
    staff = actor_of(world, Role.MUNICIPAL_STAFF)
    person = make_person(staff, name=f"山田{PERSON_MARK}")
    case = make_case(staff, persons=[person], title=f"{CASE_MARK} 8050世帯")
    reader = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    reader.get(f"/consultation/persons/{person.pk}/")
    reader.get(f"/consultation/cases/{case.pk}/")
    world.person, world.case = person, case
    return world


def body_of(response) -> str:
    if response.get("Content-Type", "").startswith("text/csv"):
        return response.content.decode("utf-8-sig")
    return response.content.decode()


def assert_no_content(response):
    text = body_of(response)
    for mark in MARKS:
        assert mark not in text, f"{mark} shown at {response.request['PATH_INFO']}"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("url", [PAGE, EXPORT, API])
def test_only_system_administrators_read_the_audit_log_and_nobody_sees_names(
    logged_world, role, url
):
    client = logged_world.client_for(logged_world.user(role))
    response = client.get(url)
    assert response.status_code == (200 if role in READERS else 403), (role, url)
    assert_no_content(response)


def test_the_labels_were_recorded_nowhere_in_new_entries(logged_world):
    for mark in MARKS:
        assert not AuditEntry.objects.filter(object_repr__contains=mark).exists()


def test_old_entries_with_labels_are_redacted_on_the_way_out(logged_world):
    """Entries written before labels were dropped cannot be changed (the chain): hide them."""
    from sasaeai.accounts.policy import Actor
    from sasaeai.audit.services import Event, audit_event

    writer = Actor(user_id=None, username="legacy", tenant_id=logged_world.tenant_a.pk,
                   membership_id=None, role=None)  # fmt: skip
    audit_event(writer, Event(action=Action.READ, object_type="consultation.person",
                              object_id=str(logged_world.person.pk), object_repr=PERSON_MARK))  # fmt: skip
    admin = logged_world.client_for(logged_world.user(Role.SYSTEM_ADMIN))
    for url in (PAGE, EXPORT, API):
        response = admin.get(url, {"subject_id": str(logged_world.person.pk)})
        assert response.status_code == 200
        assert_no_content(response)
        assert str(logged_world.person.pk) in body_of(response)


def test_the_log_still_says_who_did_what_to_which_record(logged_world):
    admin = logged_world.client_for(logged_world.user(Role.SYSTEM_ADMIN))
    body = admin.get(
        API, {"subject_type": "consultation.person", "subject_id": str(logged_world.person.pk)}
    ).json()
    reads = [e for e in body["items"] if e["action"] == "read"]
    assert reads and {e["actor_username"] for e in reads} == {"a-municipal_staff"}
    assert "object_repr" not in reads[0]


@pytest.mark.parametrize("url", [PAGE, EXPORT, API])
def test_an_administrator_of_another_tenant_sees_none_of_this_tenants_entries(logged_world, url):
    response = logged_world.client_for(logged_world.admin_b.user).get(
        url, {"subject_id": str(logged_world.person.pk)}
    )
    assert response.status_code == 200
    assert_no_content(response)
    assert "a-municipal_staff" not in body_of(response)


@pytest.mark.parametrize("url", [PAGE, EXPORT, API])
def test_an_anonymous_visitor_gets_no_audit_log(logged_world, url):
    response = Client().get(url)
    assert response.status_code in {302, 401, 403}
    assert "a-municipal_staff" not in body_of(response)


@pytest.mark.parametrize("url", [PAGE, EXPORT, API])
def test_reading_the_audit_log_is_itself_audited(logged_world, url):
    admin = logged_world.client_for(logged_world.user(Role.SYSTEM_ADMIN))
    before = AuditEntry.objects.filter(object_type="audit.auditentry").count()
    admin.get(url, {"username": "a-municipal_staff"})
    entry = AuditEntry.objects.filter(object_type="audit.auditentry").order_by("-sequence")[0]
    assert AuditEntry.objects.filter(object_type="audit.auditentry").count() == before + 1
    assert entry.actor_username == "a-system_admin"
    assert entry.action in {Action.READ, Action.EXPORT}
    assert entry.detail["filters"]["username"] == "a-municipal_staff"


def test_the_admin_page_of_an_entry_does_not_show_its_label(logged_world):
    from sasaeai.accounts.policy import Actor
    from sasaeai.audit.services import Event, audit_event

    writer = Actor(user_id=None, username="legacy", tenant_id=logged_world.tenant_a.pk,
                   membership_id=None, role=None)  # fmt: skip
    entry = audit_event(writer, Event(action=Action.READ, object_type="consultation.person",
                                      object_id="1", object_repr=PERSON_MARK))  # fmt: skip
    entry = AuditEntry.objects.get(sequence=entry.sequence)
    admin = logged_world.client_for(logged_world.user(Role.SYSTEM_ADMIN))
    for url in ("/admin/audit/auditentry/", f"/admin/audit/auditentry/{entry.pk}/change/"):
        response = admin.get(url)
        assert response.status_code == 200
        assert_no_content(response)
