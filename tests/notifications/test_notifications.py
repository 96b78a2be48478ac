"""Notifications: the core.events registry, delivery after commit, the events modules publish,
the bell, list, open, preferences, e-mail (no personal data), digest and API."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.consultation import services as consultation
from sasaeai.consultation.models import ConsentMethod
from sasaeai.core import events
from sasaeai.jobs.worker import run_pending
from sasaeai.notifications import selectors, services
from sasaeai.notifications.models import EmailChoice, Notification, Preference
from tests.consultation.factories import actor_for, actor_of, make_agency, make_case, make_person


@pytest.fixture
def csw(world):
    consultation.concern_tags_ensure(world.tenant_a.pk)
    return actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (and those they add) as a committed transaction would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def recipients_of(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def with_email(membership, address):
    membership.user.email = address
    membership.user.save(update_fields=["email"])


# ---- registry and delivery ---------------------------------------------------------------


def test_kinds_are_registered_with_a_label_and_whether_they_ask_to_act():
    keys = {kind.key: kind for kind in events.all_kinds()}
    assert keys["consultation.referral_received"].asks_action
    assert not keys["consultation.referral_accepted"].asks_action
    assert {"plans.evaluation_to_review", "jobs.import_finished", "jobs.report_ready"} <= set(keys)
    with pytest.raises(ValueError):
        events.register(events.EventKind("consultation.task_due", "other", False, source="x"))


def test_an_unknown_kind_or_an_outside_link_is_refused():
    with pytest.raises(KeyError):
        events.publish("nobody.knows", 1, [1], "/x/")
    with pytest.raises(ValueError):
        events.publish("consultation.task_due", 1, [1], "https://evil.example/")


def test_delivery_waits_for_commit_and_a_rollback_delivers_nothing(world, deliver):
    user_id = world.user(Role.COMMUNITY_SOCIAL_WORKER).pk
    with deliver():
        try:
            with transaction.atomic():
                events.publish("consultation.task_due", world.tenant_a.pk, [user_id], "/x/")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert not Notification.objects.exists()
    with deliver() as callbacks:
        events.publish("consultation.task_due", world.tenant_a.pk, [user_id], "/x/")
        assert not Notification.objects.exists()  # not before commit
    assert callbacks
    assert recipients_of("consultation.task_due") == [user_id]


def test_recipients_outside_the_tenant_and_the_actor_get_nothing(world, deliver):
    csw = world.user(Role.COMMUNITY_SOCIAL_WORKER).pk
    other_tenant_admin = world.admin_b.user_id
    staff = world.user(Role.MUNICIPAL_STAFF).pk
    with deliver():
        events.publish(
            "consultation.task_due", world.tenant_a.pk, [csw, other_tenant_admin, staff], "/x/",
            actor_id=staff,
        )  # fmt: skip
    assert recipients_of("consultation.task_due") == [csw]


# ---- events published by real services ---------------------------------------------------


def test_a_referral_tells_the_agency_then_the_referring_worker(world, csw, deliver):
    agency_member = world.members[Role.AGENCY_WORKER]
    other_agency_user = world.add_member(world.tenant_a, "a-other-agency", Role.AGENCY_WORKER)
    parent = make_person(csw, name="佐藤花子")
    case = make_case(csw, persons=[parent])
    agency = make_agency(csw, members=[agency_member])
    make_agency(csw, name="別の機関", members=[other_agency_user])
    consultation.consent_record(actor=csw, person=parent, scope="情報提供", obtained_on=timezone.localdate(), method=ConsentMethod.WRITTEN)  # fmt: skip
    with_email(agency_member, "agency@example.jp")
    with deliver():
        referral = consultation.referral_send(
            actor=csw, case=case, agency=agency, person=parent, request="佐藤花子さんの介護申請"
        )
    assert recipients_of("consultation.referral_received") == [agency_member.user_id]
    assert mail.outbox == []  # the request does not wait for SMTP: the worker sends it
    run_pending()
    row = Notification.objects.get(kind="consultation.referral_received")
    assert row.url == reverse("consultation:agency_referral", args=[referral.pk])
    assert row.tenant_id == world.tenant_a.pk
    # The immediate e-mail: the kind's label and the link, no name, no request text.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["agency@example.jp"]
    text = message.subject + message.body
    assert "紹介" in message.subject and f"http://localhost:8000{row.url}" in message.body
    assert "佐藤" not in text and "花子" not in text and "介護申請" not in text
    worker = actor_for(agency_member)
    with deliver():
        consultation.referral_respond(actor=worker, referral=referral, move="accept")
        consultation.referral_report(actor=worker, referral=referral, body="佐藤花子さん申請済")
    assert recipients_of("consultation.referral_accepted") == [csw.user_id]
    assert recipients_of("consultation.referral_reported") == [csw.user_id]
    assert Notification.objects.filter(recipient_id=other_agency_user.user_id).count() == 0
    assert Notification.objects.filter(tenant=world.tenant_b).count() == 0


def test_a_declined_referral_tells_the_referring_worker_and_the_cases_new_lead(world, csw, deliver):
    agency_member = world.members[Role.AGENCY_WORKER]
    parent = make_person(csw, name="佐藤花子")
    case = make_case(csw, persons=[parent])
    agency = make_agency(csw, members=[agency_member])
    consultation.consent_record(actor=csw, person=parent, scope="情報提供", obtained_on=timezone.localdate(), method=ConsentMethod.WRITTEN)  # fmt: skip
    referral = consultation.referral_send(
        actor=csw, case=case, agency=agency, person=parent, request="介護申請"
    )
    staff = world.members[Role.WELFARE_COUNCIL_STAFF]
    consultation.case_assign(actor=csw, case=case, user_id=staff.user_id, role="lead")
    with_email(world.members[Role.COMMUNITY_SOCIAL_WORKER], "csw@example.jp")
    with deliver():
        consultation.referral_respond(
            actor=actor_for(agency_member), referral=referral, move="decline", reason="定員超過"
        )
    assert recipients_of("consultation.referral_declined") == sorted([csw.user_id, staff.user_id])
    row = Notification.objects.get(kind="consultation.referral_declined", recipient_id=csw.user_id)
    assert row.url == reverse("consultation:case_detail", args=[case.pk])
    assert events.get("consultation.referral_declined").asks_action
    # Asks to act: mailed at once (by the worker) by default, the label only (not the reason).
    run_pending()
    declined = [m for m in mail.outbox if m.to == ["csw@example.jp"]]
    assert len(declined) == 1 and "定員超過" not in declined[0].body + declined[0].subject


def test_a_task_tells_its_assignee_and_no_one_else(world, csw, deliver):
    case = make_case(csw)
    staff = world.user(Role.MUNICIPAL_STAFF)
    with deliver():
        consultation.task_create(
            actor=csw, case=case,
            data=consultation.TaskInput(title="訪問", due_on=timezone.localdate(), assignee_id=staff.pk),
        )  # fmt: skip
        consultation.task_create(
            actor=csw, case=case,
            data=consultation.TaskInput(title="自分で", due_on=timezone.localdate(), assignee_id=csw.user_id),
        )  # fmt: skip
    assert recipients_of("consultation.task_assigned") == [staff.pk]


def test_the_nightly_step_announces_due_and_overdue_tasks_once(world, csw, deliver):
    case = make_case(csw)
    today = timezone.localdate()
    for title, due in (("今日", today), ("昨日", today - datetime.timedelta(days=1)),
                       ("先週", today - datetime.timedelta(days=7))):  # fmt: skip
        consultation.task_create(
            actor=csw, case=case,
            data=consultation.TaskInput(title=title, due_on=due, assignee_id=csw.user_id),
        )  # fmt: skip
    with deliver():
        call_command("consultation_reminders", tenant=world.tenant_a.code, stdout=_Null())
    assert recipients_of("consultation.task_due") == [csw.user_id]
    assert recipients_of("consultation.task_overdue") == [csw.user_id]  # last week's: not again


def test_a_concern_passed_on_tells_the_desk(world, deliver):
    consultation.concern_tags_ensure(world.tenant_a.pk)
    commissioner = actor_of(world, Role.WELFARE_COMMISSIONER)
    with deliver():
        consultation.consultation_record(
            actor=commissioner,
            data=consultation.ConsultationInput(channel="commissioner", description="近所の高橋さんが心配", area_id=world.district.pk),
        )  # fmt: skip
    desk = sorted(
        world.members[r].user_id
        for r in (Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF, Role.COMMUNITY_SOCIAL_WORKER)
    )
    assert recipients_of("consultation.concern_received") == desk
    run_pending()
    assert "高橋" not in "".join(m.subject + m.body for m in mail.outbox)


class _Null:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


# ---- pages ---------------------------------------------------------------------------------


def _notify(world, user_id, count=1, tenant=None):
    tenant = tenant or world.tenant_a
    return Notification.objects.bulk_create(
        Notification(tenant=tenant, recipient_id=user_id, kind="consultation.task_due", url="/consultation/")
        for _ in range(count)
    )  # fmt: skip


def test_bell_counts_only_ones_own_unread_notifications_in_this_tenant(world):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    _notify(world, user.pk, 3)
    _notify(world, world.user(Role.MUNICIPAL_STAFF).pk, 5)
    _notify(world, user.pk, 4, tenant=world.tenant_b)
    response = world.client_for(user).get(reverse("notifications:bell"))
    assert response.status_code == 200
    assert 'aria-label="未読">3<' in response.content.decode()
    page = world.client_for(user).get(reverse("core:home"))
    assert reverse("notifications:bell") in page.content.decode()


def test_list_marks_unread_and_opening_marks_read_and_goes_to_the_target(world):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    first, second = _notify(world, user.pk, 2)
    client = world.client_for(user)
    body = client.get(reverse("notifications:notification_list")).content.decode()
    assert body.count('class="unread"') == 2
    response = client.get(reverse("notifications:notification_open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/consultation/"
    first.refresh_from_db()
    assert first.read_at is not None
    body = client.get(reverse("notifications:notification_list")).content.decode()
    assert body.count('class="unread"') == 1
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_someone_elses_notification_is_not_found(world):
    other = _notify(world, world.user(Role.MUNICIPAL_STAFF).pk)[0]
    client = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))
    assert (
        client.get(reverse("notifications:notification_open", args=[other.pk])).status_code == 404
    )
    other.refresh_from_db()
    assert other.read_at is None


def test_preferences_default_and_change(world, deliver):
    member = world.members[Role.COMMUNITY_SOCIAL_WORKER]
    with_email(member, "csw@example.jp")
    actor = actor_for(member)
    defaults = dict((k.key, c) for k, c in selectors.preferences_of(actor))
    assert defaults["consultation.task_due"] == EmailChoice.IMMEDIATE
    assert defaults["consultation.referral_accepted"] == EmailChoice.OFF
    client = world.client_for(member.user)
    data = {f"kind__{k.replace('.', '__')}": c for k, c in defaults.items()}
    data["kind__consultation__task_due"] = EmailChoice.DIGEST
    assert client.post(reverse("notifications:preferences"), data).status_code == 302
    assert Preference.objects.get(user=member.user, kind="consultation.task_due").email == "digest"
    with deliver():
        events.publish(
            "consultation.task_due", world.tenant_a.pk, [member.user_id], "/consultation/"
        )
    run_pending()
    assert mail.outbox == []  # digest: not at once
    call_command("send_notification_digest", stdout=_Null())
    assert len(mail.outbox) == 1
    assert "http://localhost:8000/consultation/" in mail.outbox[0].body
    call_command("send_notification_digest", stdout=_Null())
    assert len(mail.outbox) == 1  # mailed once
    services.preferences_set(actor=actor, choices={"consultation.task_due": EmailChoice.OFF})
    with deliver():
        events.publish(
            "consultation.task_due", world.tenant_a.pk, [member.user_id], "/consultation/"
        )
    call_command("send_notification_digest", stdout=_Null())
    assert len(mail.outbox) == 1


def test_the_digest_is_in_the_nightly_schedule(settings):
    assert "send_notification_digest" in settings.JOBS_SCHEDULE


# ---- API -------------------------------------------------------------------------------------


def test_api_lists_own_notifications_paginated_and_marks_read(world):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    rows = _notify(world, user.pk, 3)
    other = _notify(world, world.user(Role.MUNICIPAL_STAFF).pk)[0]
    client = world.client_for(user)
    body = client.get("/api/v1/notifications?limit=2").json()
    assert body["count"] == 3 and len(body["items"]) == 2
    assert body["items"][0]["label"]
    response = client.post(f"/api/v1/notifications/{rows[0].pk}/read")
    assert response.status_code == 200 and response.json()["read_at"]
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 2}
    response = client.post(f"/api/v1/notifications/{other.pk}/read")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_the_list_reads_a_fixed_number_of_queries_however_long_it_is(
    world, django_assert_max_num_queries
):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    client = world.client_for(user)
    _notify(world, user.pk, 2)
    client.get(reverse("notifications:notification_list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:notification_list"))
    _notify(world, user.pk, 60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("notifications:notification_list"))


def test_a_member_who_has_not_passed_two_factor_gets_no_bell(world):
    client = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER), verified=False)
    response = client.get(reverse("accounts:otp_verify"), follow=True)
    assert reverse("notifications:bell") not in response.content.decode()
