import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from sasaeai.audit.chain import GENESIS_HASH, checkpoint_make
from sasaeai.audit.models import ChainHead
from sasaeai.core.tenancy import all_tenants


class Command(BaseCommand):
    help = (
        "Print (or append to FILE) a signed checkpoint of the audit chain: its last sequence and "
        "hash, signed with AUDIT_HMAC_KEY. Keep it outside the database server; "
        "verify_audit_chain --checkpoint FILE then detects a removed tail or a rewritten chain."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", metavar="FILE", help="append the checkpoint as one JSON line to FILE"
        )

    def handle(self, *args, output=None, **options):
        with all_tenants():
            head = ChainHead.objects.filter(pk=1).first()
        sequence, entry_hash = (head.sequence, head.entry_hash) if head else (0, GENESIS_HASH)
        checkpoint = checkpoint_make(sequence, entry_hash, timezone.now().isoformat())
        line = json.dumps(checkpoint, sort_keys=True)
        if output:
            with Path(output).open("a", encoding="utf-8") as file:
                file.write(line + "\n")
        self.stdout.write(line)
