import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sasaeai.audit.chain import checkpoint_is_authentic, first_broken_link
from sasaeai.audit.models import AuditEntry, ChainHead
from sasaeai.core.tenancy import all_tenants

REASONS = {
    "missing": "an entry is missing (deleted)",
    "previous_hash": "the link to the previous entry is broken",
    "altered": "the entry was altered after it was written",
    "truncated": "entries at the end were removed",
}


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain and report the first broken link; with --checkpoint, "
        "also check that the chain still contains the signed checkpoint kept outside the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="a file written by audit_checkpoint (its last line is used)",
        )

    def handle(self, *args, checkpoint=None, **options):
        expected = read_checkpoint(Path(checkpoint)) if checkpoint else None
        # Runs as the owning role: cross-tenant by design, read-only.
        with all_tenants():
            head = ChainHead.objects.filter(pk=1).first() or ChainHead(
                sequence=0, entry_hash="0" * 64
            )
            entries = AuditEntry.objects.order_by("sequence").iterator(chunk_size=2000)
            problem = first_broken_link(entries, head.sequence, head.entry_hash)
            if problem is None and expected is not None:
                check_against(expected)
        if problem is not None:
            raise CommandError(
                f"Audit chain broken at entry #{problem.sequence}: {REASONS[problem.reason]}"
            )
        suffix = f" (contains checkpoint #{expected['sequence']})" if expected else ""
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {head.sequence} entries{suffix}.")
        )


def read_checkpoint(path: Path) -> dict:
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        checkpoint = json.loads(lines[-1])
    except (OSError, IndexError, ValueError) as error:
        raise CommandError(f"Cannot read the checkpoint {path}: {error}") from None
    if not isinstance(checkpoint, dict) or not checkpoint_is_authentic(checkpoint):
        raise CommandError(
            f"The checkpoint {path} is not signed with this installation's AUDIT_HMAC_KEY"
        )
    return checkpoint


def check_against(checkpoint: dict) -> None:
    sequence = int(checkpoint["sequence"])
    if sequence == 0:
        return
    entry = AuditEntry.objects.filter(sequence=sequence).first()
    if entry is None:
        raise CommandError(
            f"Audit chain broken at entry #{sequence}: entries at the end were removed "
            "(the checkpoint has it, the database does not)"
        )
    if entry.entry_hash != checkpoint["entry_hash"]:
        raise CommandError(
            f"Audit chain broken at entry #{sequence}: the chain was rewritten "
            "(its hash differs from the checkpoint's)"
        )
