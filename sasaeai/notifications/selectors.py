"""Reads of the notifications app: a member's own notifications in the current tenant."""

from django.db.models import QuerySet
from django.http import Http404

from sasaeai.accounts import policy
from sasaeai.core import events
from sasaeai.notifications.models import Notification, Preference
from sasaeai.notifications.services import email_choice


def notifications_of(actor: policy.Actor) -> QuerySet[Notification]:
    """The actor's own notifications, newest first (never anyone else's, nor another tenant's)."""
    return policy.scope(
        actor,
        "notifications.view_own",
        Notification.objects.filter(recipient_id=actor.user_id),
    ).order_by("-created", "-pk")


def unread_count(actor: policy.Actor) -> int:
    return notifications_of(actor).unread().count()


def notification_for(actor: policy.Actor, notification_id: int) -> Notification:
    notification = notifications_of(actor).filter(pk=notification_id).first()
    if notification is None:
        raise Http404
    return notification


def preferences_of(actor: policy.Actor) -> list[tuple[events.EventKind, str]]:
    """Each kind with the actor's e-mail choice (their own, or the default)."""
    chosen = dict(
        policy.scope(
            actor, "notifications.view_own", Preference.objects.filter(user_id=actor.user_id)
        ).values_list("kind", "email")
    )
    return [(kind, email_choice(kind, chosen.get(kind.key))) for kind in events.all_kinds()]


def kind_label(key: str) -> str:
    try:
        return str(events.get(key).label)
    except KeyError:
        return key
