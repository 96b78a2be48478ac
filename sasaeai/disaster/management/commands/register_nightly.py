"""manage.py register_nightly: presumed consents (みなし同意) into the history, and every
recipient's covered areas recomputed (areas may have been added beneath theirs)."""

from django.core.management.base import BaseCommand

from sasaeai.core.commands import command_actor
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.disaster import services


class Command(BaseCommand):
    help = "Record presumed consents that fell due and refresh recipients' covered areas."

    def handle(self, *args, **options):
        for tenant in Tenant.objects.order_by("pk"):
            with tenant_context(tenant.pk):
                count = services.presumed_consents_record(
                    actor=command_actor(tenant), tenant=tenant
                )
                services.covered_areas_refresh_all(tenant.pk)
            if count:
                self.stdout.write(f"{tenant.name}: {count}")
