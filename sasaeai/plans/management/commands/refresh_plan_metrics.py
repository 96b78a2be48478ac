from django.core.management.base import BaseCommand

from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import services
from sasaeai.plans.commands import command_actor
from sasaeai.plans.models import Plan


class Command(BaseCommand):
    help = "Take this fiscal year's figure for every indicator bound to a metric (run nightly)."

    def handle(self, *args, **options):
        total = 0
        for tenant in Tenant.objects.filter(is_active=True):
            with tenant_context(tenant.pk):
                for plan in Plan.objects.filter(tenant=tenant):
                    total += services.metric_actuals_refresh(actor=command_actor(tenant), plan=plan)
        self.stdout.write(f"{total}")
