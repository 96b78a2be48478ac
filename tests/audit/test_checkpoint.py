"""The audit chain's anchors outside the database: the HMAC key and signed checkpoints."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from sasaeai.accounts.models import Role
from sasaeai.audit.chain import entry_digest
from sasaeai.audit.models import AuditEntry, ChainHead


def verify(*args):
    out = StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def checkpoint_file(world, tmp_path):
    world.client_for(world.user(Role.SYSTEM_ADMIN)).get("/accounts/members/")
    path = tmp_path / "audit-checkpoints.jsonl"
    call_command("audit_checkpoint", "--output", str(path), stdout=StringIO())
    return path


def drop_tail_and_move_head_back(count: int) -> None:
    """What the database owner can do without the key: delete the newest entries."""
    tail = list(AuditEntry.objects.order_by("-sequence")[:count])
    AuditEntry.objects.filter(pk__in=[e.pk for e in tail]).delete()
    last = AuditEntry.objects.order_by("-sequence").first()
    ChainHead.objects.filter(pk=1).update(sequence=last.sequence, entry_hash=last.entry_hash)


def rehash_chain_from(sequence: int) -> None:
    """Recompute every hash from `sequence` on and move the head, as a forger would."""
    previous = AuditEntry.objects.get(sequence=sequence - 1).entry_hash
    for entry in AuditEntry.objects.filter(sequence__gte=sequence).order_by("sequence"):
        entry.previous_hash = previous
        entry.entry_hash = entry_digest(entry)
        AuditEntry.objects.filter(pk=entry.pk).update(
            previous_hash=entry.previous_hash, entry_hash=entry.entry_hash
        )
        previous = entry.entry_hash
    last = AuditEntry.objects.order_by("-sequence").first()
    ChainHead.objects.filter(pk=1).update(sequence=last.sequence, entry_hash=last.entry_hash)


def test_checkpoint_is_a_signed_line_with_the_last_sequence_and_hash(checkpoint_file):
    checkpoint = json.loads(checkpoint_file.read_text().splitlines()[-1])
    head = ChainHead.objects.get(pk=1)
    assert checkpoint["sequence"] == head.sequence
    assert checkpoint["entry_hash"] == head.entry_hash
    assert len(checkpoint["signature"]) == 64
    assert f"checkpoint #{head.sequence}" in verify("--checkpoint", str(checkpoint_file))


def test_removed_tail_with_head_moved_back_is_found_by_the_checkpoint(checkpoint_file):
    drop_tail_and_move_head_back(3)
    assert "intact" in verify()  # the chain alone cannot tell
    with pytest.raises(CommandError, match="entries at the end were removed"):
        verify("--checkpoint", str(checkpoint_file))


def test_chain_rehashed_without_the_key_is_reported_altered(world):
    victim = AuditEntry.objects.order_by("sequence")[4]
    AuditEntry.objects.filter(pk=victim.pk).update(actor_username="someone-else")
    with override_settings(AUDIT_HMAC_KEY="the forger does not have the real key"):
        rehash_chain_from(victim.sequence)
    with pytest.raises(CommandError, match=f"#{victim.sequence}: the entry was altered"):
        verify()


def test_chain_rewritten_with_the_key_is_found_by_the_checkpoint(checkpoint_file):
    victim = AuditEntry.objects.order_by("sequence")[4]
    AuditEntry.objects.filter(pk=victim.pk).update(actor_username="someone-else")
    rehash_chain_from(victim.sequence)
    assert "intact" in verify()
    with pytest.raises(CommandError, match="the chain was rewritten"):
        verify("--checkpoint", str(checkpoint_file))


def test_a_checkpoint_not_signed_with_the_key_is_refused(checkpoint_file):
    checkpoint = json.loads(checkpoint_file.read_text().splitlines()[-1])
    checkpoint["sequence"] = 1
    checkpoint_file.write_text(json.dumps(checkpoint) + "\n")
    with pytest.raises(CommandError, match="not signed"):
        verify("--checkpoint", str(checkpoint_file))


def test_checkpoints_are_appended_and_the_last_one_is_used(checkpoint_file):
    world_admin_reads = AuditEntry.objects.count()
    call_command("audit_checkpoint", "--output", str(checkpoint_file), stdout=StringIO())
    lines = checkpoint_file.read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[-1])["sequence"] == world_admin_reads
    assert "intact" in verify("--checkpoint", str(checkpoint_file))
