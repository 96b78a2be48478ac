"""E-mail the daily digest: to each user who chose it for some kinds, one mail listing those
notifications not yet mailed (labels and links only). Run each morning by the worker."""

from django.core.management.base import BaseCommand, CommandError

from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.notifications import services


class Command(BaseCommand):
    help = "E-mail each user's daily digest of notifications (labels and links only)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="the tenant's code (default: every active tenant)")

    def handle(self, *args, tenant=None, **options):
        tenants = Tenant.objects.filter(is_active=True)
        if tenant:
            tenants = Tenant.objects.filter(code=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with code {tenant}")
        sent = 0
        for row in tenants.order_by("code"):
            with tenant_context(row.pk):
                sent += services.digest_send(row.pk)
        self.stdout.write(f"{sent}")
