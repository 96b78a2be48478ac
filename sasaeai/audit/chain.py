"""The hash chain of the audit log: how an entry's hash is made, and how the chain is checked.

Each entry's hash is an HMAC-SHA-256 under settings.AUDIT_HMAC_KEY, a key held in the
environment and never in the database: whoever can write the tables (the owner, a restored
dump) but lacks the key cannot re-hash an altered chain so that it verifies again. A signed
checkpoint (last sequence and hash) kept outside the database detects a removed tail.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

GENESIS_HASH = "0" * 64


def _key() -> bytes:
    return settings.AUDIT_HMAC_KEY.encode()


def entry_digest(entry) -> str:
    """HMAC-SHA-256 over the previous hash and every recorded field, in a canonical form."""
    payload = {
        "sequence": entry.sequence,
        "occurred_at": entry.occurred_at.isoformat(),
        "tenant_id": entry.tenant_id,
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "ip_address": entry.ip_address,
        "detail": entry.detail,
        "previous_hash": entry.previous_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(_key(), canonical.encode(), hashlib.sha256).hexdigest()


def checkpoint_signature(sequence: int, entry_hash: str, created_at: str) -> str:
    message = f"sasaeai-audit-checkpoint:{sequence}:{entry_hash}:{created_at}"
    return hmac.new(_key(), message.encode(), hashlib.sha256).hexdigest()


def checkpoint_make(sequence: int, entry_hash: str, created_at: str) -> dict:
    return {
        "sequence": sequence,
        "entry_hash": entry_hash,
        "created_at": created_at,
        "signature": checkpoint_signature(sequence, entry_hash, created_at),
    }


def checkpoint_is_authentic(checkpoint: dict) -> bool:
    try:
        expected = checkpoint_signature(
            int(checkpoint["sequence"]),
            str(checkpoint["entry_hash"]),
            str(checkpoint["created_at"]),
        )
    except (KeyError, TypeError, ValueError):
        return False
    return hmac.compare_digest(expected, str(checkpoint.get("signature", "")))


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    reason: str


def first_broken_link(entries: Iterable, head_sequence: int, head_hash: str) -> ChainProblem | None:
    """Walk entries in sequence order; report the first that does not follow from its predecessor."""
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    for entry in entries:
        if entry.sequence != expected_sequence:
            return ChainProblem(expected_sequence, "missing")
        if entry.previous_hash != expected_previous:
            return ChainProblem(entry.sequence, "previous_hash")
        if entry_digest(entry) != entry.entry_hash:
            return ChainProblem(entry.sequence, "altered")
        expected_previous = entry.entry_hash
        expected_sequence += 1
    if expected_sequence - 1 != head_sequence or expected_previous != head_hash:
        return ChainProblem(expected_sequence, "truncated")
    return None
