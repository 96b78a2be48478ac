"""Migration 0003 turns an existing plain SHA-256 chain into an HMAC chain, never a broken one."""

import hashlib
import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry, ChainHead

migration = importlib.import_module("sasaeai.audit.migrations.0003_hmac_entry_hashes")


def make_chain_plain() -> None:
    """The chain as the previous release wrote it: unkeyed SHA-256."""
    previous = "0" * 64
    for entry in AuditEntry.objects.order_by("sequence"):
        entry_hash = hashlib.sha256(migration._payload(entry, previous)).hexdigest()
        AuditEntry.objects.filter(pk=entry.pk).update(previous_hash=previous, entry_hash=entry_hash)
        previous = entry_hash
    ChainHead.objects.filter(pk=1).update(entry_hash=previous)


def rekey():
    migration.rekey(apps, SimpleNamespace(connection=connection))


@pytest.fixture
def plain_chain(world):
    world.client_for(world.user(Role.SYSTEM_ADMIN)).get("/accounts/members/")
    make_chain_plain()


def test_a_plain_chain_verifies_after_rekeying(plain_chain):
    rekey()
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert "intact" in out.getvalue()


def test_a_plain_chain_altered_before_the_upgrade_is_not_rekeyed(plain_chain):
    victim = AuditEntry.objects.order_by("sequence")[2]
    AuditEntry.objects.filter(pk=victim.pk).update(actor_username="someone-else")
    with pytest.raises(RuntimeError, match=f"#{victim.sequence}"):
        rekey()
