"""Re-key the existing chain: entry hashes become HMAC-SHA-256 under settings.AUDIT_HMAC_KEY.

The plain SHA-256 chain is checked first and the migration refuses to re-key a broken chain,
so an entry altered before the upgrade is not laundered into a valid HMAC chain.
"""

import hashlib
import json

from django.db import migrations

GENESIS_HASH = "0" * 64


def _payload(entry, previous_hash):
    return json.dumps(
        {
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
            "previous_hash": previous_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def rekey(apps, schema_editor):
    import hmac

    from django.conf import settings

    AuditEntry = apps.get_model("audit", "AuditEntry")
    ChainHead = apps.get_model("audit", "ChainHead")
    key = settings.AUDIT_HMAC_KEY.encode()
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('sasaeai.maintenance', 'on', true)")
    old_previous = new_previous = GENESIS_HASH
    expected = 1
    for entry in AuditEntry.objects.order_by("sequence").iterator(chunk_size=2000):
        plain = hashlib.sha256(_payload(entry, old_previous)).hexdigest()
        if (
            entry.sequence != expected
            or entry.previous_hash != old_previous
            or entry.entry_hash != plain
        ):
            raise RuntimeError(
                f"Audit chain broken at entry #{entry.sequence}: not re-keyed. "
                "Investigate with the previous release's verify_audit_chain first."
            )
        old_previous = entry.entry_hash
        new_hash = hmac.new(key, _payload(entry, new_previous), hashlib.sha256).hexdigest()
        AuditEntry.objects.filter(pk=entry.pk).update(previous_hash=new_previous, entry_hash=new_hash)
        new_previous = new_hash
        expected += 1
    ChainHead.objects.filter(pk=1, sequence=expected - 1).update(entry_hash=new_previous)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_head")]
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
