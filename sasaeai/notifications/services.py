"""Writes of the notifications app: delivering events, marking read, e-mail preferences."""

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.models import Membership, User
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core import events
from sasaeai.core.tenancy import tenant_context
from sasaeai.notifications.models import EmailChoice, Notification, Preference

logger = logging.getLogger(__name__)


def email_choice(kind: events.EventKind, chosen: str | None) -> str:
    if chosen:
        return chosen
    return EmailChoice.IMMEDIATE if kind.asks_action else EmailChoice.OFF


def email_message(labels: list[str], urls: list[str]) -> tuple[str, str]:
    """(subject, body): the kinds' labels and links, nothing else. A mail may leave the closed
    network, so it never names a person or says what a case is about."""
    subject = _("[Sasaeai] %(label)s") % {"label": labels[0]}
    if len(labels) > 1:
        subject = _("[Sasaeai] %(count)s notifications") % {"count": len(labels)}
    lines = [_("You have a notification in Sasaeai."), ""]
    for label, url in zip(labels, urls, strict=True):
        lines += [str(label), f"{settings.SITE_URL}{url}", ""]
    lines.append(_("Sign in to Sasaeai to see the details."))
    return subject, "\n".join(lines)


def event_deliver(event: events.Event) -> list[Notification]:
    """Subscriber of core.events: one row per recipient who is an active member of the event's
    tenant; the e-mails due at once are queued for the worker in the same transaction
    (notifications.tasks), so the publishing request never waits for SMTP."""
    kind = events.get(event.kind)
    with transaction.atomic(), tenant_context(event.tenant_id):
        members = set(
            Membership.objects.active()
            .filter(tenant_id=event.tenant_id, user_id__in=event.recipients)
            .values_list("user_id", flat=True)
        )
        rows = Notification.objects.bulk_create(
            [
                Notification(
                    tenant_id=event.tenant_id,
                    recipient_id=user_id,
                    kind=event.kind,
                    url=event.target_url,
                    object_type=event.object_type,
                    object_id=event.object_id,
                )  # fmt: skip
                for user_id in sorted(members)
            ]
        )
        chosen = dict(
            Preference.objects.filter(
                tenant_id=event.tenant_id, kind=event.kind, user_id__in=members
            ).values_list("user_id", "email")
        )
        immediate = [
            row
            for row in rows
            if email_choice(kind, chosen.get(row.recipient_id)) == EmailChoice.IMMEDIATE
        ]
        if immediate:
            _queue_mails(event.tenant_id, [row.pk for row in immediate], attempt=1)
    return rows


# Retries of a failed immediate mail (SMTP down): after these delays, then given up (logged;
# the notification stays in the list).
MAIL_RETRY_DELAYS = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
)


def _queue_mails(tenant_id: int, ids: list[int], *, attempt: int) -> None:
    """Queue the task in the current transaction (the database queue): it commits with the
    rows, or not at all."""
    from sasaeai.notifications.tasks import send_notification_mails

    task = send_notification_mails
    if attempt > 1:
        task = task.using(run_after=timezone.now() + MAIL_RETRY_DELAYS[attempt - 2])
    task.enqueue(tenant_id=tenant_id, notification_ids=ids, attempt=attempt)


def immediate_mails_send(*, tenant_id: int, notification_ids: list[int], attempt: int = 1) -> int:
    """The worker's side: mail each notification not mailed yet. Returns how many went.

    Never twice: each row is claimed first (`emailed_at` set where it is still NULL, one UPDATE
    that only one worker can win), then mailed; a failed send gives the claim back and the
    failed rows are queued again after MAIL_RETRY_DELAYS[attempt - 1]. A worker that dies
    between the claim and the send loses that mail (at most once, never twice)."""
    sent, failed = 0, []
    with tenant_context(tenant_id), translation.override(settings.LANGUAGE_CODE):
        rows = list(
            Notification.objects.filter(
                tenant_id=tenant_id, pk__in=notification_ids, emailed_at__isnull=True
            ).order_by("pk")
        )
        emails = dict(
            User.objects.filter(pk__in={r.recipient_id for r in rows}, is_active=True)
            .exclude(email="")
            .values_list("pk", "email")
        )
        for row in rows:
            if row.recipient_id not in emails:
                continue
            claimed = Notification.objects.filter(pk=row.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            )
            if not claimed:
                continue  # another run (or the digest) has it
            label = events.get(row.kind).label if row.kind in _known() else row.kind
            subject, body = email_message([str(label)], [row.url])
            try:
                send_mail(subject, body, None, [emails[row.recipient_id]])
            except OSError as error:  # SMTP down or refusing: give the claim back, retry later
                logger.warning(
                    "notification mail %s (attempt %s) failed: %s", row.pk, attempt, error
                )
                Notification.objects.filter(pk=row.pk).update(emailed_at=None)
                failed.append(row.pk)
                continue
            sent += 1
        if failed:
            if attempt <= len(MAIL_RETRY_DELAYS):
                _queue_mails(tenant_id, failed, attempt=attempt + 1)
            else:
                logger.error("notification mails %s given up after %s attempts", failed, attempt)
    return sent


def notification_mark_read(*, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the actor's own notifications read (404 for anyone else's)."""
    from sasaeai.notifications.selectors import notifications_of

    notification = notifications_of(actor).filter(pk=notification_id).first()
    if notification is None:
        raise Http404
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: Actor) -> int:
    from sasaeai.notifications.selectors import notifications_of

    return notifications_of(actor).unread().update(read_at=timezone.now())


@transaction.atomic
def preferences_set(*, actor: Actor, choices: dict[str, str]) -> None:
    """Save the actor's e-mail choice per kind (audited: it decides what mail leaves)."""
    policy.require(actor, "notifications.view_own")
    for key, choice in choices.items():
        kind = events.get(key)  # KeyError for an unknown kind: the caller validated it
        if choice not in EmailChoice.values:
            raise ValueError(choice)
        preference, _created = Preference.objects.update_or_create(
            tenant_id=actor.tenant_id, user_id=actor.user_id, kind=kind.key,
            defaults={"email": choice},
        )  # fmt: skip
        audit_object(actor, Action.UPDATE, preference, detail={"kind": kind.key, "email": choice})


def digest_send(tenant_id: int) -> int:
    """E-mail each user who chose the daily digest for some kinds one mail listing their
    notifications of those kinds not yet mailed. Returns the number of mails sent.
    The caller sets the tenant context."""
    digest = Preference.objects.filter(tenant_id=tenant_id, email=EmailChoice.DIGEST)
    kinds_by_user: dict[int, set[str]] = {}
    for user_id, kind in digest.values_list("user_id", "kind"):
        kinds_by_user.setdefault(user_id, set()).add(kind)
    sent = 0
    emails = dict(
        User.objects.filter(pk__in=kinds_by_user).exclude(email="").values_list("pk", "email")
    )
    for user_id, kinds in sorted(kinds_by_user.items()):
        rows = list(
            Notification.objects.filter(
                tenant_id=tenant_id, recipient_id=user_id, kind__in=kinds, emailed_at__isnull=True
            ).order_by("created", "pk")[:200]
        )
        if not rows or user_id not in emails:
            continue
        # Claimed before sending, as the immediate mails are: a row a worker is mailing at once
        # (or another digest run) is left out, so nothing is mailed twice.
        stamp = timezone.now()
        Notification.objects.filter(pk__in=[r.pk for r in rows], emailed_at__isnull=True).update(
            emailed_at=stamp
        )
        claimed = set(
            Notification.objects.filter(pk__in=[r.pk for r in rows], emailed_at=stamp).values_list(
                "pk", flat=True
            )
        )
        rows = [r for r in rows if r.pk in claimed]
        if not rows:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            labels = [str(events.get(r.kind).label) if r.kind in _known() else r.kind for r in rows]
            subject, body = email_message(labels, [r.url for r in rows])
            subject = _("[Sasaeai] Daily digest: %(count)s notifications") % {"count": len(rows)}
        try:
            send_mail(subject, body, None, [emails[user_id]])
        except OSError as error:  # give the claim back: tomorrow's digest tries again
            logger.warning("notification digest to user %s failed: %s", user_id, error)
            Notification.objects.filter(pk__in=claimed, emailed_at=stamp).update(emailed_at=None)
            continue
        sent += 1
    return sent


def _known() -> set[str]:
    return {k.key for k in events.all_kinds()}


def notifications_prune(tenant_id: int, *, now: datetime.datetime | None = None) -> int:
    """Delete the tenant's read notifications created more than NOTIFICATIONS_KEEP_DAYS ago and
    unread ones more than NOTIFICATIONS_KEEP_UNREAD_DAYS ago. Returns how many went. The caller
    sets the tenant context. A notification is a kind and a link (no personal content, nothing
    audited refers to it), so old rows are simply deleted, in batches of PRUNE_BATCH so that no
    statement holds locks long on a prefecture's table."""
    now = now or timezone.now()
    read_before = now - datetime.timedelta(days=settings.NOTIFICATIONS_KEEP_DAYS)
    unread_before = now - datetime.timedelta(days=settings.NOTIFICATIONS_KEEP_UNREAD_DAYS)
    old = Notification.objects.filter(tenant_id=tenant_id).filter(
        Q(read_at__isnull=False, created__lt=read_before)
        | Q(read_at__isnull=True, created__lt=unread_before)
    )
    deleted, last = 0, 0
    while True:
        # Keyset: each batch continues after the last one instead of scanning from the start.
        batch = list(
            old.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:PRUNE_BATCH]
        )
        if not batch:
            return deleted
        last = batch[-1]
        with transaction.atomic():
            count, _by_model = Notification.objects.filter(pk__in=batch).delete()
        deleted += count


PRUNE_BATCH = 5000
