"""Old notifications are deleted by the worker's nightly housekeeping: read ones after
NOTIFICATIONS_KEEP_DAYS, unread ones after NOTIFICATIONS_KEEP_UNREAD_DAYS."""

import datetime

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.jobs import worker
from sasaeai.jobs.models import ScheduledRun
from sasaeai.notifications import services
from sasaeai.notifications.models import Notification

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 5, 19, 30, tzinfo=datetime.UTC)  # 04:30 on the 6th in Tokyo


def make(world, tenant, *, days_old: float, read: bool, user=None, base=NOW) -> Notification:
    created = base - datetime.timedelta(days=days_old)
    with tenant_context(tenant.pk):
        return Notification.objects.create(
            tenant=tenant, recipient=user or world.user(Role.COMMUNITY_SOCIAL_WORKER),
            kind="consultation.task_due", url="/consultation/", created=created,
            read_at=created + datetime.timedelta(hours=1) if read else None,
        )  # fmt: skip


def remaining(tenant) -> set[int]:
    with tenant_context(tenant.pk):
        return set(Notification.objects.filter(tenant=tenant).values_list("pk", flat=True))


def test_the_defaults_keep_read_ones_half_a_year_and_unread_ones_two_years():
    assert settings.NOTIFICATIONS_KEEP_DAYS == 180
    assert settings.NOTIFICATIONS_KEEP_UNREAD_DAYS == 730
    assert "prune_notifications" in settings.JOBS_SCHEDULE


@override_settings(NOTIFICATIONS_KEEP_DAYS=180, NOTIFICATIONS_KEEP_UNREAD_DAYS=730)
def test_read_ones_go_after_keep_days_and_unread_ones_are_kept_longer(world):
    a = world.tenant_a
    old_read = make(world, a, days_old=181, read=True)
    recent_read = make(world, a, days_old=179, read=True)
    old_unread = make(world, a, days_old=400, read=False)
    ancient_unread = make(world, a, days_old=731, read=False)
    with tenant_context(a.pk):
        assert services.notifications_prune(a.pk, now=NOW) == 2
    assert remaining(a) == {recent_read.pk, old_unread.pk}
    assert old_read.pk not in remaining(a) and ancient_unread.pk not in remaining(a)


@override_settings(
    NOTIFICATIONS_KEEP_DAYS=180, NOTIFICATIONS_KEEP_UNREAD_DAYS=730,
    JOBS_SCHEDULE={"prune_notifications": "04:00"},
)  # fmt: skip
def test_the_workers_housekeeping_prunes_every_tenant_once_a_night(world, monkeypatch):
    monkeypatch.setattr(services, "PRUNE_BATCH", 2)  # several batches
    now = timezone.now()  # the command reads the real clock; the schedule is given NOW
    for _ in range(5):
        make(world, world.tenant_a, days_old=200, read=True, base=now)
    kept_a = make(world, world.tenant_a, days_old=10, read=True, base=now)
    old_b = make(world, world.tenant_b, days_old=200, read=True, user=world.admin_b.user, base=now)
    assert worker.run_scheduled(NOW) == ["prune_notifications"]
    run = ScheduledRun.objects.get(name="prune_notifications")
    assert run.succeeded and run.output.strip() == "6"
    assert remaining(world.tenant_a) == {kept_a.pk}
    assert old_b.pk not in remaining(world.tenant_b)
    assert worker.run_scheduled(NOW) == []  # once a night


def test_unread_days_never_fall_below_read_days(monkeypatch):
    import importlib

    import sasaeai.settings as module

    monkeypatch.setenv("NOTIFICATIONS_KEEP_DAYS", "400")
    monkeypatch.setenv("NOTIFICATIONS_KEEP_UNREAD_DAYS", "30")
    try:
        reloaded = importlib.reload(module)
        assert reloaded.NOTIFICATIONS_KEEP_UNREAD_DAYS == 400
    finally:
        monkeypatch.undo()
        importlib.reload(module)
