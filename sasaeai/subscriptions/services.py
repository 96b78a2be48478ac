"""Writes of the subscriptions app: subscribing (double opt-in), confirming, opting out,
preferences, bounces and topics. Public writes are audited as the actor "public"."""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core.broadcasts import AUDIENCES
from sasaeai.core.models import Area, Tenant
from sasaeai.subscriptions import tokens
from sasaeai.subscriptions.models import (
    Subscriber,
    SubscriberArea,
    SubscriberAudience,
    SubscriberStatus,
    Subscription,
    Topic,
)

logger = logging.getLogger(__name__)

MANAGE = "subscriptions.manage"
# Soft bounces (mailbox full, server down) before an address counts as bounced.
SOFT_BOUNCE_LIMIT = 3


def public_actor(tenant_id: int, ip_address: str | None = None) -> Actor:
    return Actor(user_id=None, username="public", tenant_id=tenant_id, membership_id=None,
                 role=None, ip_address=ip_address)  # fmt: skip


def normalise_email(raw: str) -> str:
    """Stripped, domain in lower case (the local part may be case-sensitive: RFC 5321)."""
    value = (raw or "").strip()
    local, sep, domain = value.rpartition("@")
    if not sep:
        return value
    return f"{local}@{domain.lower()}"


def clean_email(raw: str) -> str:
    email = normalise_email(raw)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Enter a valid e-mail address.")]}) from None
    return email


@dataclass
class Choices:
    """What a subscriber asks for: topics (at least one), areas and audiences (optional)."""

    topic_keys: list[str]
    area_ids: list[int] = field(default_factory=list)
    audience_keys: list[str] = field(default_factory=list)
    language: str = "ja"


def _validated(tenant_id: int, choices: Choices) -> tuple[list[Topic], list[int], list[str]]:
    errors = {}
    topics = list(
        Topic.objects.filter(tenant_id=tenant_id, active=True, key__in=choices.topic_keys)
    )
    if not topics or len(topics) != len(set(choices.topic_keys)):
        errors["topics"] = [_("Choose at least one of the topics offered.")]
    area_ids = sorted(set(int(a) for a in choices.area_ids))
    if area_ids and Area.objects.filter(tenant_id=tenant_id, pk__in=area_ids).count() != len(
        area_ids
    ):
        errors["areas"] = [_("Choose areas of this city only.")]
    audiences = sorted(set(choices.audience_keys))
    if any(key not in AUDIENCES for key in audiences):
        errors["audiences"] = [_("Unknown audience.")]
    if choices.language not in ("ja", "en"):
        errors["language"] = [_("Unknown language.")]
    if errors:
        raise ValidationError(errors)
    return topics, area_ids, audiences


def _replace_choices(subscriber: Subscriber, topics, area_ids, audiences) -> None:
    tenant_id = subscriber.tenant_id
    Subscription.objects.filter(subscriber=subscriber).exclude(topic__in=topics).delete()
    have = set(
        Subscription.objects.filter(subscriber=subscriber).values_list("topic_id", flat=True)
    )
    Subscription.objects.bulk_create(
        [Subscription(tenant_id=tenant_id, subscriber=subscriber, topic=topic)
         for topic in topics if topic.pk not in have]
    )  # fmt: skip
    SubscriberArea.objects.filter(subscriber=subscriber).delete()
    SubscriberArea.objects.bulk_create(
        [SubscriberArea(tenant_id=tenant_id, subscriber=subscriber, area_id=a) for a in area_ids]
    )
    SubscriberAudience.objects.filter(subscriber=subscriber).delete()
    SubscriberAudience.objects.bulk_create(
        [SubscriberAudience(tenant_id=tenant_id, subscriber=subscriber, audience=key)
         for key in audiences]
    )  # fmt: skip


def subscription_request(
    *,
    tenant_id: int,
    email: str,
    choices: Choices,
    ip_address: str | None = None,
) -> None:
    """The public form: whatever the address's state, the page says the same thing, and
    only its owner learns more, by mail (no enumeration):
    - new, waiting, unsubscribed or bounced: the choices are kept as waiting, and a
      confirmation link goes out; nothing is mailed to it until the link is used;
    - already confirmed: the choices are left alone (anyone may type an address) and the
      owner gets a mail with the link to their preferences.
    At most one mail per address per SUBSCRIPTIONS_RESEND_MINUTES (no mail bombing)."""
    email = clean_email(email)
    topics, area_ids, audiences = _validated(tenant_id, choices)
    now = timezone.now()
    actor = public_actor(tenant_id, ip_address)
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update().filter(tenant_id=tenant_id, email=email).first()
        )
        recently = (
            subscriber is not None
            and subscriber.confirmation_sent_at is not None
            and (
                now - subscriber.confirmation_sent_at
                < datetime.timedelta(minutes=settings.SUBSCRIPTIONS_RESEND_MINUTES)
            )
        )
        if recently:
            # The link mailed a moment ago stays the valid one; nothing more is sent.
            return
        tenant = Tenant.objects.get(pk=tenant_id)
        if subscriber is not None and subscriber.status == SubscriberStatus.CONFIRMED:
            Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=now)
            transaction.on_commit(lambda: _mail_already(tenant, subscriber))
            return
        if subscriber is None:
            subscriber = Subscriber(tenant_id=tenant_id, email=email)
        token, token_hash = tokens.new_confirm_token()
        subscriber.language = choices.language
        subscriber.status = SubscriberStatus.PENDING
        subscriber.confirm_token_hash = token_hash
        subscriber.confirm_expires_at = now + datetime.timedelta(
            days=settings.SUBSCRIPTIONS_CONFIRM_DAYS
        )
        created = subscriber.pk is None
        subscriber.confirmation_sent_at = now
        subscriber.full_clean(exclude=["tenant"], validate_unique=False)
        try:
            with transaction.atomic():
                subscriber.save()
        except IntegrityError:
            # The same new address sent twice at once: the other request mails the link.
            return
        _replace_choices(subscriber, topics, area_ids, audiences)
        audit_object(actor, Action.CREATE if created else Action.UPDATE, subscriber,
                     detail={"requested": True})  # fmt: skip
        transaction.on_commit(lambda: _mail_confirm(tenant, subscriber, token, topics))


def _send(subject: str, body: str, to: str) -> None:
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send()
    except OSError as error:  # the SMTP server is down: the resident can ask again
        logger.warning("subscription mail failed: %s", error)


def _mail_confirm(tenant: Tenant, subscriber: Subscriber, token: str, topics) -> None:
    with translation.override(subscriber.language):
        expires = timezone.localtime(subscriber.confirm_expires_at).strftime("%Y-%m-%d %H:%M")
        subject = _("[%(tenant)s] Please confirm your e-mail subscription") % {
            "tenant": tenant.name
        }
        body = _(
            "You (or someone who typed your address) asked to receive e-mail from %(tenant)s:\n"
            "%(topics)s\n\n"
            "To start receiving it, open this link and press the button (until %(expires)s):\n"
            "%(url)s\n\n"
            "If you did not ask for this, ignore this mail: nothing will be sent to you."
        ) % {
            "tenant": tenant.name,
            "topics": "\n".join(f"・{topic.label(subscriber.language)}" for topic in topics),
            "expires": expires,
            "url": tokens.confirm_url(tenant.code, token),
        }
    _send(subject, body, subscriber.email)


def _mail_already(tenant: Tenant, subscriber: Subscriber) -> None:
    with translation.override(subscriber.language):
        subject = _("[%(tenant)s] Your e-mail subscription") % {"tenant": tenant.name}
        body = _(
            "Someone asked to subscribe this address to e-mail from %(tenant)s. It is already "
            "subscribed, so nothing was changed.\n\n"
            "To change your topics, areas or language:\n%(preferences)s\n\n"
            "To stop receiving e-mail:\n%(unsubscribe)s"
        ) % {
            "tenant": tenant.name,
            "preferences": tokens.preferences_url(tenant.code, tenant.pk, subscriber.pk),
            "unsubscribe": tokens.unsubscribe_url(tenant.code, tenant.pk, subscriber.pk),
        }
    _send(subject, body, subscriber.email)


class LinkError(Exception):
    """The link does not (or no longer) work; the page offers to subscribe again."""


def pending_for_token(*, tenant_id: int, token: str) -> Subscriber:
    subscriber = Subscriber.objects.filter(
        tenant_id=tenant_id, confirm_token_hash=tokens.confirm_token_hash(token)
    ).first()
    if (
        subscriber is None
        or subscriber.status != SubscriberStatus.PENDING
        or subscriber.confirm_expires_at is None
        or subscriber.confirm_expires_at <= timezone.now()
    ):
        raise LinkError
    return subscriber


@transaction.atomic
def subscription_confirm(*, tenant_id: int, token: str, ip_address: str | None = None):
    """The second step of the double opt-in. The token works once."""
    subscriber = pending_for_token(tenant_id=tenant_id, token=token)
    now = timezone.now()
    updated = Subscriber.objects.filter(
        pk=subscriber.pk, status=SubscriberStatus.PENDING,
        confirm_token_hash=subscriber.confirm_token_hash,
    ).update(
        status=SubscriberStatus.CONFIRMED, confirmed_at=now, confirm_token_hash="",
        confirm_expires_at=None, unsubscribed_at=None, bounced_at=None, soft_bounces=0,
    )  # fmt: skip
    if not updated:  # confirmed by a parallel request a moment ago
        raise LinkError
    subscriber.refresh_from_db()
    audit_object(public_actor(tenant_id, ip_address), Action.UPDATE, subscriber,
                 detail={"confirmed": True})  # fmt: skip
    return subscriber


def subscriber_for_link(*, tenant_id: int, token: str) -> Subscriber | None:
    """The subscriber a signed opt-out / preferences link names, in this tenant."""
    subscriber_id = tokens.subscriber_id_from_token(tenant_id, token)
    if subscriber_id is None:
        return None
    return Subscriber.objects.filter(tenant_id=tenant_id, pk=subscriber_id).first()


@transaction.atomic
def subscriber_unsubscribe(
    *, tenant_id: int, subscriber: Subscriber, ip_address: str | None = None
) -> bool:
    """Opt out of everything at once; True if this changed something. A bounced address stays
    bounced (it is not mailed either way); a waiting one loses its confirmation link."""
    changed = Subscriber.objects.filter(
        pk=subscriber.pk, tenant_id=tenant_id,
        status__in=[SubscriberStatus.CONFIRMED, SubscriberStatus.PENDING],
    ).update(
        status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now(),
        confirm_token_hash="", confirm_expires_at=None,
    )  # fmt: skip
    if changed:
        subscriber.refresh_from_db()
        audit_object(public_actor(tenant_id, ip_address), Action.UPDATE, subscriber,
                     detail={"unsubscribed": True})  # fmt: skip
    return bool(changed)


@transaction.atomic
def preferences_save(
    *, tenant_id: int, subscriber: Subscriber, choices: Choices, ip_address: str | None = None
) -> Subscriber:
    """A confirmed subscriber changes topics, areas or language from the link in a mail."""
    if subscriber.status != SubscriberStatus.CONFIRMED or subscriber.tenant_id != tenant_id:
        raise LinkError
    topics, area_ids, audiences = _validated(tenant_id, choices)
    subscriber.language = choices.language
    subscriber.save(update_fields=["language"])
    _replace_choices(subscriber, topics, area_ids, audiences)
    audit_object(public_actor(tenant_id, ip_address), Action.UPDATE, subscriber,
                 detail={"preferences": True})  # fmt: skip
    return subscriber


# Bounces -------------------------------------------------------------------------------------


@transaction.atomic
def bounce_record(
    *, actor: Actor, tenant_id: int, email: str, permanent: bool
) -> Subscriber | None:
    """A mail to `email` came back. Permanent (5xx: no such mailbox): bounced at once, never
    mailed again. Soft (4xx: mailbox full): counted; the SOFT_BOUNCE_LIMIT-th makes it bounced.
    None when the address is not a subscriber of the tenant. A bounced address may subscribe
    again; it is mailed only after confirming again."""
    subscriber = (
        Subscriber.objects.select_for_update()
        .filter(tenant_id=tenant_id, email=normalise_email(email))
        .first()
    )
    if subscriber is None:
        return None
    now = timezone.now()
    subscriber.last_bounce_at = now
    if not permanent:
        subscriber.soft_bounces += 1
    if (permanent or subscriber.soft_bounces >= SOFT_BOUNCE_LIMIT) and (
        subscriber.status != SubscriberStatus.BOUNCED
    ):
        subscriber.status = SubscriberStatus.BOUNCED
        subscriber.bounced_at = now
        subscriber.confirm_token_hash = ""
        subscriber.confirm_expires_at = None
    subscriber.save()
    audit_object(actor, Action.UPDATE, subscriber,
                 detail={"bounce": "permanent" if permanent else "soft",
                         "status": subscriber.status})  # fmt: skip
    return subscriber


def subscriber_mark_bounced(*, actor: Actor, subscriber: Subscriber) -> Subscriber:
    """Staff mark an address bounced (a bounce seen in the sending mailbox)."""
    policy.require(actor, MANAGE, subscriber)
    result = bounce_record(
        actor=actor, tenant_id=subscriber.tenant_id, email=subscriber.email, permanent=True
    )
    assert result is not None
    return result


# Topics --------------------------------------------------------------------------------------

TOPIC_FIELDS = ("key", "name", "name_en", "description", "active", "order")


@transaction.atomic
def topic_save(*, actor: Actor, topic: Topic | None = None, **values) -> Topic:
    """Create a topic (topic=None) or change one. The key cannot change once subscribers and
    indicators may name it (`subscriptions.subscribers:<key>`)."""
    policy.require(actor, MANAGE, topic)
    created = topic is None
    if created:
        topic = Topic(tenant_id=actor.tenant_id)
    elif "key" in values and values["key"] != topic.key:
        raise ValidationError({"key": [_("The key of a topic cannot be changed.")]})
    for name in TOPIC_FIELDS:
        if name in values:
            setattr(topic, name, values[name])
    topic.full_clean(exclude=["tenant"])
    if Topic.objects.filter(tenant_id=topic.tenant_id, key=topic.key).exclude(pk=topic.pk).exists():
        raise ValidationError({"key": [_("Another topic has this key.")]})
    topic.save()
    audit_object(actor, Action.CREATE if created else Action.UPDATE, topic)
    return topic


GENERAL_TOPIC = ("general", "お知らせメール", "News by e-mail")


def ensure_general_topic(tenant_id: int) -> Topic | None:
    """What a new tenant starts with (core.tenant_setup): one general topic, if it has none."""
    if Topic.objects.filter(tenant_id=tenant_id).exists():
        return None
    key, name, name_en = GENERAL_TOPIC
    return Topic.objects.create(
        tenant_id=tenant_id, key=key, name=name, name_en=name_en, order=10,
        description="市・社会福祉協議会からのお知らせをメールでお届けします。",
    )  # fmt: skip
