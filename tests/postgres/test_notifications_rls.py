"""Notifications under row-level security, as the application role: delivery sets its event's
tenant itself (the publishing request or job may be in no tenant when commit callbacks run),
and a tenant's rows are invisible from another."""

import pytest
from django.core import mail
from django.db import connection, transaction

from sasaeai.accounts.models import Role
from sasaeai.core import events
from sasaeai.core.tenancy import tenant_context
from sasaeai.notifications import services
from sasaeai.notifications.models import Notification

pytestmark = pytest.mark.postgres


def test_delivery_as_the_app_role_writes_in_the_events_tenant_only(world, app_role):
    csw = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    csw.email = "csw@example.jp"
    csw.save(update_fields=["email"])
    event = events.Event("consultation.task_due", world.tenant_a.pk, (csw.pk,), "/consultation/")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        rows = services.event_deliver(event)
        # The immediate mail, as the worker's task runs it: no tenant set when it starts.
        services.immediate_mails_send(
            tenant_id=world.tenant_a.pk, notification_ids=[r.pk for r in rows]
        )
        cursor.execute("RESET ROLE")
    assert [r.recipient_id for r in rows] == [csw.pk]
    assert [m.to for m in mail.outbox] == [["csw@example.jp"]]
    assert Notification.objects.get().emailed_at is not None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        with tenant_context(world.tenant_b.pk):
            assert not Notification.objects.exists()
        with tenant_context(world.tenant_a.pk):
            assert Notification.objects.count() == 1
        cursor.execute("RESET ROLE")
