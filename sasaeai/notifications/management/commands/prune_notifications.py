"""Delete old notifications: read ones after NOTIFICATIONS_KEEP_DAYS, unread ones after
NOTIFICATIONS_KEEP_UNREAD_DAYS. Run each night by the worker (settings.JOBS_SCHEDULE)."""

from django.core.management.base import BaseCommand

from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.notifications import services


class Command(BaseCommand):
    help = "Delete read notifications past NOTIFICATIONS_KEEP_DAYS (unread: KEEP_UNREAD_DAYS)."

    def handle(self, *args, **options):
        deleted = 0
        # Every tenant, active or not: an inactive tenant's rows age out too.
        for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
            with tenant_context(tenant_id):
                deleted += services.notifications_prune(tenant_id)
        self.stdout.write(f"{deleted}")
