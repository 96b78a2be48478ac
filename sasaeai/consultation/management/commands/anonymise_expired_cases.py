"""Anonymise closed cases kept longer than the tenant's retention period (run nightly)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from sasaeai.accounts.policy import Actor
from sasaeai.consultation import retention
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context


def command_actor(tenant: Tenant) -> Actor:
    return Actor(
        user_id=None, username="manage.py anonymise_expired_cases", tenant_id=tenant.pk,
        membership_id=None, role=None,
    )  # fmt: skip


class Command(BaseCommand):
    help = "Anonymise closed cases whose retention period has passed (and persons only on them)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="the tenant's code (default: every active tenant)")
        parser.add_argument("--dry-run", action="store_true", help="only count what would change")
        parser.add_argument(
            "--today", help="YYYY-MM-DD, the day to count the periods to (default: today)"
        )

    def handle(self, *args, tenant=None, dry_run=False, today=None, **options):
        day = self._day(today)
        tenants = Tenant.objects.filter(is_active=True)
        if tenant:
            tenants = Tenant.objects.filter(code=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with code {tenant}")
        for row in tenants.order_by("code"):
            with tenant_context(row.pk):
                done = retention.anonymise(command_actor(row), row.pk, day, dry_run=dry_run)
            counts = " ".join(f"{name}={n}" for name, n in done.counts().items())
            prefix = "would anonymise" if dry_run else "anonymised"
            self.stdout.write(f"{row.code} {prefix}: {counts}")

    @staticmethod
    def _day(text: str | None) -> datetime.date:
        from django.utils import timezone

        if not text:
            return timezone.localdate()
        try:
            return datetime.date.fromisoformat(text)
        except ValueError as error:
            raise CommandError("--today must be YYYY-MM-DD") from error
