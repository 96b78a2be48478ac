"""As the application role, the audit chain head can be read and moved only by appending."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import AuditEntry, ChainHead
from sasaeai.audit.services import Event, audit_event
from sasaeai.core.tenancy import tenant_context

pytestmark = pytest.mark.postgres


def as_app(sql, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else None
        cursor.execute("RESET ROLE")
    return rows


def verify():
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_chainhead SET sequence = 1",
        "DELETE FROM audit_chainhead",
        "INSERT INTO audit_chainhead (id, sequence, entry_hash) VALUES (2, 0, 'x')",
        "TRUNCATE audit_chainhead",
    ],
)
def test_app_role_cannot_write_the_chain_head(world, app_role, statement):
    with pytest.raises(DatabaseError, match="permission denied"):
        as_app(statement)
    assert "intact" in verify()


def test_app_role_appends_through_the_owners_trigger_and_the_chain_stays_intact(world, app_role):
    staff = world.members[Role.MUNICIPAL_STAFF]
    actor = Actor(user_id=staff.user_id, username=staff.user.username,
                  tenant_id=world.tenant_a.pk, membership_id=staff.pk, role=Role.MUNICIPAL_STAFF)  # fmt: skip
    before = ChainHead.objects.get(pk=1).sequence
    with tenant_context(world.tenant_a.pk), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        entry = audit_event(actor, Event(action="read", object_type="test.thing", object_id="1"))
        cursor.execute("RESET ROLE")
    head = ChainHead.objects.get(pk=1)
    assert (head.sequence, head.entry_hash) == (before + 1, entry.entry_hash)
    assert "intact" in verify()


def forged_insert(world, *, sequence_offset=1, previous_hash=None, actor_id=None, username=""):
    head = ChainHead.objects.get(pk=1)
    return as_app(
        "INSERT INTO audit_auditentry (tenant_id, sequence, occurred_at, actor_id, actor_username,"
        " actor_role, action, object_type, object_id, object_repr, subject_type, subject_id,"
        " detail, previous_hash, entry_hash) VALUES (%s, %s, now(), %s, %s, '', 'read', 't', '',"
        " '', '', '', '{}', %s, md5(random()::text) || md5(random()::text))",
        [
            None, head.sequence + sequence_offset, actor_id, username,
            previous_hash if previous_hash is not None else head.entry_hash,
        ],
    )  # fmt: skip


def test_app_role_cannot_append_an_entry_that_skips_the_head(world, app_role):
    with pytest.raises(DatabaseError, match="does not follow the chain head"):
        forged_insert(world, sequence_offset=5)
    with pytest.raises(DatabaseError, match="does not follow the chain head"):
        forged_insert(world, previous_hash="f" * 64)
    assert "intact" in verify()


def test_app_role_cannot_append_under_another_users_name(world, app_role):
    victim = world.user(Role.SYSTEM_ADMIN)
    other = world.user(Role.VOLUNTEER)
    with pytest.raises(DatabaseError, match="names another user"):
        forged_insert(world, actor_id=other.pk, username=victim.username)
    with pytest.raises(DatabaseError, match="names a user without being that user"):
        forged_insert(world, username=victim.username)
    assert not AuditEntry.objects.filter(object_type="t").exists()
