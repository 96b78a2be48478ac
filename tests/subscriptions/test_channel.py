"""The channel of core.broadcasts: counting a target, and the mailing job."""

import smtplib

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from sasaeai.core import broadcasts
from sasaeai.core.broadcasts import Target
from sasaeai.core.tenancy import tenant_context
from sasaeai.jobs.models import Job, JobStatus
from sasaeai.jobs.worker import run_pending
from sasaeai.subscriptions.models import Delivery, DeliveryStatus, SubscriberStatus
from tests.subscriptions.conftest import SOURCE, make_subscriber

pytestmark = pytest.mark.django_db


def target(world, keys=("news",), **extra):
    return Target(tenant_id=world.tenant_a.pk, topic_keys=tuple(keys), **extra)


def count(t):
    with tenant_context(t.tenant_id):
        return broadcasts.channel().count(t)


def send(world, staff, t, object_id=1):
    with tenant_context(world.tenant_a.pk):
        job_id = broadcasts.channel().send(staff, t, SOURCE, object_id)
    run_pending()
    with tenant_context(world.tenant_a.pk):
        return Job.objects.get(pk=job_id)


@pytest.fixture
def people(world, topics):
    a = world.tenant_a
    with tenant_context(a.pk):
        return {
            "plain": make_subscriber(a, "plain@example.jp", [topics["news"]]),
            "district": make_subscriber(a, "district@example.jp", [topics["news"]],
                                        areas=[world.district]),
            "sub": make_subscriber(a, "sub@example.jp", [topics["news"]],
                                   areas=[world.sub_district]),
            "kano": make_subscriber(a, "kano@example.jp", [topics["news"]],
                                    areas=[world.other_district]),
            "elderly": make_subscriber(a, "elderly@example.jp", [topics["news"]],
                                       audiences=["elderly"]),
            "youth": make_subscriber(a, "youth@example.jp", [topics["news"]], audiences=["youth"]),
            "volunteer": make_subscriber(a, "vol@example.jp", [topics["volunteer"]]),
            "pending": make_subscriber(a, "pending@example.jp", [topics["news"]],
                                       status=SubscriberStatus.PENDING),
            "gone": make_subscriber(a, "gone@example.jp", [topics["news"]],
                                    status=SubscriberStatus.UNSUBSCRIBED),
            "bounced": make_subscriber(a, "bounced@example.jp", [topics["news"]],
                                       status=SubscriberStatus.BOUNCED),
            "en": make_subscriber(a, "en@example.jp", [topics["news"]], language="en"),
        }  # fmt: skip


def test_the_channel_is_registered_with_the_tenants_topics(world, topics):
    channel = broadcasts.channel()
    assert channel is not None
    with tenant_context(world.tenant_a.pk):
        assert channel.topics(world.tenant_a.pk) == [
            ("news", "お知らせ"),
            ("volunteer", "ボランティア"),
        ]


def test_count_is_confirmed_subscribers_of_the_topics_in_one_query(world, people):
    t = target(world, area_ids=(world.district.pk,), audience_keys=("elderly",))
    with tenant_context(world.tenant_a.pk), CaptureQueriesContext(connection) as queries:
        broadcasts.channel().count(t)
    assert len(queries) == 1
    # plain, district, sub, kano, elderly, youth, en: confirmed news subscribers
    assert count(target(world)) == 7
    assert count(target(world, ("news", "volunteer"))) == 8


def test_areas_narrow_and_who_named_none_hears_about_all(world, people):
    by_district = count(target(world, area_ids=(world.district.pk,)))
    # plain, elderly, youth, en (no area) + district + sub (its sub-area); not kano
    assert by_district == 6
    by_sub = count(target(world, area_ids=(world.sub_district.pk,)))
    # a notice for the sub-area reaches who chose the whole district too
    assert by_sub == 6
    assert count(target(world, area_ids=(world.other_district.pk,))) == 5


def test_audiences_narrow_and_who_named_none_hears_about_all(world, people):
    # everyone without an audience (5) + elderly; not youth
    assert count(target(world, audience_keys=("elderly",))) == 6


def test_another_tenants_subscribers_are_never_counted_or_mailed(world, people, topics, source,
                                                                  staff):  # fmt: skip
    with tenant_context(world.tenant_b.pk):
        make_subscriber(world.tenant_b, "b@example.jp", [topics["other"]])
    assert count(target(world)) == 7
    send(world, staff, target(world))
    assert "b@example.jp" not in {m.to[0] for m in mail.outbox}


def test_the_job_mails_each_recipient_once_in_their_language(world, people, source, staff):
    job = send(world, staff, target(world))
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == sorted(["plain@example.jp", "district@example.jp", "sub@example.jp",
                         "kano@example.jp", "elderly@example.jp", "youth@example.jp",
                         "en@example.jp"])  # fmt: skip
    # Rendered once per language, plus once per batch to check it is still to be sent (one
    # batch here): never once per mail.
    assert sorted(source) == ["en", "ja", "ja"]
    english = next(m for m in mail.outbox if m.to == ["en@example.jp"])
    assert english.subject == "Notice 1" and "A notice in English." in english.body
    japanese = next(m for m in mail.outbox if m.to == ["plain@example.jp"])
    assert japanese.subject == "お知らせ1"
    assert "http://localhost:8000/n/1/" in japanese.body
    with tenant_context(world.tenant_a.pk):
        assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 7
        assert job.progress_done == 7


def test_every_mail_carries_the_one_click_headers_and_no_personal_data(world, people, source,
                                                                       staff):  # fmt: skip
    send(world, staff, target(world))
    message = next(m for m in mail.outbox if m.to == ["plain@example.jp"])
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith(f"<http://localhost:8000/mail/{world.tenant_a.code}/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header.strip("<>") in message.body
    other = next(m for m in mail.outbox if m.to == ["district@example.jp"])
    assert other.extra_headers["List-Unsubscribe"] != header  # each has their own link
    assert "plain@example.jp" not in message.body and "桶川地区" not in message.body
    # The one-click POST from the header works.
    from django.test import Client

    path = header.strip("<>").removeprefix("http://localhost:8000")
    Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    with tenant_context(world.tenant_a.pk):
        people["plain"].refresh_from_db()
    assert people["plain"].status == SubscriberStatus.UNSUBSCRIBED


def test_unsubscribed_pending_and_bounced_addresses_are_never_mailed(world, people, source, staff):
    send(world, staff, target(world, ("news", "volunteer")))
    to = {m.to[0] for m in mail.outbox}
    assert {"pending@example.jp", "gone@example.jp", "bounced@example.jp"}.isdisjoint(to)
    assert "vol@example.jp" in to


@override_settings(SUBSCRIPTIONS_BATCH=2)
def test_a_retried_job_does_not_mail_anyone_twice(world, people, source, staff, monkeypatch):
    """The mail server fails in the middle: the job fails; run again, it sends only the rest."""
    from django.core.mail.backends import locmem

    real = locmem.EmailBackend.send_messages
    calls = {"n": 0}

    def flaky(self, messages):
        calls["n"] += 1
        if calls["n"] == 4:
            raise smtplib.SMTPServerDisconnected("gone")
        return real(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", flaky)
    job = send(world, staff, target(world))
    assert job.status == JobStatus.FAILED
    assert "メールサーバー" in job.error_message
    first = [m.to[0] for m in mail.outbox]
    assert len(first) == 3
    with tenant_context(world.tenant_a.pk):
        assert Delivery.objects.filter(status=DeliveryStatus.FAILED).count() == 1
    # The same mailing again (as a new job, or the worker's retry of the same parameters).
    send(world, staff, target(world))
    to = [m.to[0] for m in mail.outbox]
    assert len(to) == 7 and len(set(to)) == 7
    # And once more: nothing left to send.
    job = send(world, staff, target(world))
    assert job.status == JobStatus.SUCCEEDED and len(mail.outbox) == 7


def test_a_refused_recipient_is_marked_failed_and_the_others_go(world, people, source, staff,
                                                                monkeypatch):  # fmt: skip
    from django.core.mail.backends import locmem

    real = locmem.EmailBackend.send_messages

    def refuse_one(self, messages):
        if messages[0].to == ["kano@example.jp"]:
            raise smtplib.SMTPRecipientsRefused({"kano@example.jp": (550, b"no such user")})
        return real(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_one)
    job = send(world, staff, target(world))
    assert job.status == JobStatus.SUCCEEDED
    assert len(mail.outbox) == 6
    with tenant_context(world.tenant_a.pk):
        failed = Delivery.objects.get(status=DeliveryStatus.FAILED)
    assert failed.subscriber_id == people["kano"].pk


def test_only_staff_may_start_a_mailing(world, people, source):
    from django.core.exceptions import PermissionDenied

    from sasaeai.accounts.models import Role
    from tests.consultation.factories import actor_of

    resident = actor_of(world, Role.RESIDENT)
    with tenant_context(world.tenant_a.pk), pytest.raises(PermissionDenied):
        broadcasts.channel().send(resident, target(world), SOURCE, 1)


@override_settings(SUBSCRIPTIONS_BATCH=2)
def test_a_notice_withdrawn_during_its_mailing_stops_the_rest(world, people, staff, monkeypatch):
    from django.core.mail.backends import locmem

    state = {"withdrawn": False}

    def render(tenant_id, object_id, language):
        if state["withdrawn"]:
            raise broadcasts.Withdrawn(object_id)
        return broadcasts.Content("お知らせ", "本文です。", f"/n/{object_id}/")

    real = locmem.EmailBackend.send_messages

    def withdraw_after_first_batch(self, messages):
        state["withdrawn"] = True  # the staff member withdraws it while the first batch goes
        return real(self, messages)

    saved = dict(broadcasts._sources)
    broadcasts.register_source(SOURCE, render)
    monkeypatch.setattr(locmem.EmailBackend, "send_messages", withdraw_after_first_batch)
    try:
        job = send(world, staff, target(world))
    finally:
        broadcasts._sources.clear()
        broadcasts._sources.update(saved)
    assert job.status == JobStatus.FAILED
    assert "取り下げ" in job.error_message
    assert len(mail.outbox) == 2  # the first batch only
