from django.core.management.base import BaseCommand, CommandError

from sasaeai.audit.chain import first_broken_link
from sasaeai.audit.models import AuditEntry, ChainHead
from sasaeai.core.tenancy import all_tenants

REASONS = {
    "missing": "an entry is missing (deleted)",
    "previous_hash": "the link to the previous entry is broken",
    "altered": "the entry was altered after it was written",
    "truncated": "entries at the end were removed",
}


class Command(BaseCommand):
    help = "Check the audit log's hash chain and report the first broken link."

    def handle(self, *args, **options):
        # Runs as the owning role: cross-tenant by design, read-only.
        with all_tenants():
            head = ChainHead.objects.filter(pk=1).first() or ChainHead(
                sequence=0, entry_hash="0" * 64
            )
            entries = AuditEntry.objects.order_by("sequence").iterator(chunk_size=2000)
            problem = first_broken_link(entries, head.sequence, head.entry_hash)
        if problem is not None:
            raise CommandError(
                f"Audit chain broken at entry #{problem.sequence}: {REASONS[problem.reason]}"
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {head.sequence} entries."))
