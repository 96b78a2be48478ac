from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry


def verify():
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def test_chain_verifies_after_normal_use(world):
    world.client_for(world.user(Role.SYSTEM_ADMIN)).get("/accounts/members/")
    assert "intact" in verify()


def test_altered_entry_is_reported_exactly(world):
    victim = AuditEntry.objects.order_by("sequence")[3]
    AuditEntry.objects.filter(pk=victim.pk).update(actor_username="someone-else")
    with pytest.raises(CommandError, match=f"#{victim.sequence}: the entry was altered"):
        verify()


def test_deleted_entry_is_reported(world):
    victim = AuditEntry.objects.order_by("sequence")[2]
    AuditEntry.objects.filter(pk=victim.pk).delete()
    with pytest.raises(CommandError, match=f"#{victim.sequence}: an entry is missing"):
        verify()


def test_removed_tail_is_reported(world):
    last = AuditEntry.objects.order_by("-sequence").first()
    AuditEntry.objects.filter(pk=last.pk).delete()
    with pytest.raises(CommandError, match="removed"):
        verify()


def test_reading_a_persons_record_is_audited_and_searchable(world):
    target = world.members[Role.VOLUNTEER]
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    staff.get(f"/accounts/members/{target.pk}/")
    response = admin.get(
        "/audit/", {"subject_type": "accounts.user", "subject_id": str(target.user_id)}
    )
    content = response.content.decode()
    assert "a-municipal_staff" in content
    reads = AuditEntry.objects.filter(
        action="read", subject_type="accounts.user", subject_id=str(target.user_id)
    )
    assert reads.filter(actor_username="a-municipal_staff").exists()
    assert reads.first().ip_address == "127.0.0.1"


def test_list_pages_audit_each_person_shown(world):
    world.client_for(world.user(Role.SYSTEM_ADMIN)).get("/accounts/members/")
    shown = AuditEntry.objects.filter(action="read", object_type="accounts.membership")
    assert shown.count() == len(world.members)


def test_export_is_csv_and_is_itself_audited(world):
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = admin.get("/audit/export.csv", {"encoding": "cp932"})
    assert response.status_code == 200
    text = response.content.decode("cp932")
    assert text.startswith("連番,日時")
    assert AuditEntry.objects.filter(action="export", object_type="audit.auditentry").exists()


def test_audit_log_is_for_administrators_of_the_tenant_only(world):
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert staff.get("/audit/").status_code == 403
    other = world.client_for(world.admin_b.user)
    world.client_for(world.user(Role.MUNICIPAL_STAFF)).get(
        f"/accounts/members/{world.members[Role.VOLUNTEER].pk}/"
    )
    content = other.get("/audit/", {"username": "a-municipal_staff"}).content.decode()
    assert "a-municipal_staff" not in content.split("<tbody>")[1]


def test_audit_api_answers_who_looked_at_a_person(world):
    target = world.members[Role.RESIDENT]
    world.client_for(world.user(Role.MUNICIPAL_STAFF)).get(f"/accounts/members/{target.pk}/")
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    body = admin.get(
        "/api/v1/audit/entries",
        {"subject_type": "accounts.user", "subject_id": str(target.user_id), "action": "read"},
    ).json()
    assert {e["actor_username"] for e in body["items"]} == {"a-municipal_staff"}


def test_admin_offers_no_change_or_delete_of_entries(world):
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    entry = AuditEntry.objects.filter(tenant=world.tenant_a).first()
    response = admin.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
