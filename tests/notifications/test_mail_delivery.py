"""Immediate notification e-mails go through the worker (sasaeai.notifications.tasks): the
publishing request never waits for SMTP, failures are retried later, nothing is mailed twice."""

import datetime
import smtplib

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sasaeai.accounts.models import Role
from sasaeai.core import events
from sasaeai.jobs.worker import run_pending
from sasaeai.notifications import services
from sasaeai.notifications.models import Notification
from sasaeai.notifications.tasks import send_notification_mails

pytestmark = pytest.mark.django_db

TASK = "sasaeai.notifications.tasks.send_notification_mails"


@pytest.fixture
def csw(world):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    user.email = "csw@example.jp"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def published(world, csw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("consultation.task_due", world.tenant_a.pk, [csw.pk], "/consultation/")
    return Notification.objects.get(recipient=csw)


def waiting_mail_tasks():
    return DBTaskResult.objects.filter(task_path=TASK, status="READY")


class FlakySmtp:
    """The mail server outside the project: refuses the first `failures` sends."""

    def __init__(self, failures: int):
        self.failures = failures
        self.calls = 0

    def __call__(self, subject, body, from_email, to):
        self.calls += 1
        if self.calls <= self.failures:
            raise smtplib.SMTPServerDisconnected("connection closed")
        mail.outbox.append(mail.EmailMessage(subject, body, from_email, to))
        return 1


def test_publishing_queues_the_mail_and_the_worker_sends_it(published):
    assert mail.outbox == [] and published.emailed_at is None
    assert waiting_mail_tasks().count() == 1
    assert run_pending() == 1
    assert [m.to for m in mail.outbox] == [["csw@example.jp"]]
    published.refresh_from_db()
    assert published.emailed_at is not None
    assert run_pending() == 0 and len(mail.outbox) == 1


def test_a_failed_send_is_retried_later_and_then_sent_once(published, monkeypatch):
    smtp = FlakySmtp(failures=1)
    monkeypatch.setattr(services, "send_mail", smtp)
    run_pending()
    assert mail.outbox == []
    published.refresh_from_db()
    assert published.emailed_at is None  # the claim was given back
    retry = waiting_mail_tasks().get()
    assert retry.run_after > timezone.now() + datetime.timedelta(seconds=30)
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert run_pending() == 0  # not before its time
    retry.run_after = timezone.now() - datetime.timedelta(seconds=1)
    retry.save(update_fields=["run_after"])
    assert run_pending() == 1
    assert [m.to for m in mail.outbox] == [["csw@example.jp"]]
    assert smtp.calls == 2 and not waiting_mail_tasks().exists()


def test_the_same_notification_is_never_mailed_twice(world, published):
    # The task queued twice (a duplicate, or a retry racing the first run): one mail only.
    send_notification_mails.enqueue(tenant_id=world.tenant_a.pk, notification_ids=[published.pk])
    assert run_pending() == 2
    assert len(mail.outbox) == 1


def test_mails_are_given_up_after_the_last_retry(world, published, monkeypatch):
    monkeypatch.setattr(services, "send_mail", FlakySmtp(failures=99))
    DBTaskResult.objects.all().delete()
    last = len(services.MAIL_RETRY_DELAYS) + 1
    sent = services.immediate_mails_send(
        tenant_id=world.tenant_a.pk, notification_ids=[published.pk], attempt=last
    )
    assert sent == 0 and not waiting_mail_tasks().exists()
    published.refresh_from_db()
    assert published.emailed_at is None  # still in the list, unread, for the member to see


def test_a_rolled_back_delivery_queues_no_mail(world, csw):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.event_deliver(
            events.Event("consultation.task_due", world.tenant_a.pk, (csw.pk,), "/consultation/")
        )
        raise RuntimeError
    assert not waiting_mail_tasks().exists() and not Notification.objects.exists()


def test_a_failed_digest_gives_its_rows_back_for_the_next_one(world, csw, monkeypatch):
    from sasaeai.core.tenancy import tenant_context
    from sasaeai.notifications.models import EmailChoice, Preference

    Preference.objects.create(
        tenant=world.tenant_a, user=csw, kind="consultation.task_due", email=EmailChoice.DIGEST
    )
    services.event_deliver(
        events.Event("consultation.task_due", world.tenant_a.pk, (csw.pk,), "/consultation/")
    )
    assert not waiting_mail_tasks().exists()  # digest: nothing at once
    monkeypatch.setattr(services, "send_mail", FlakySmtp(failures=1))
    with tenant_context(world.tenant_a.pk):
        assert services.digest_send(world.tenant_a.pk) == 0
        assert Notification.objects.get().emailed_at is None
        assert services.digest_send(world.tenant_a.pk) == 1
        assert services.digest_send(world.tenant_a.pk) == 0  # mailed once
    assert [m.to for m in mail.outbox] == [["csw@example.jp"]]
