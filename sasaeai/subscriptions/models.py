"""E-mail subscriptions of residents (docs/subscriptions.md): topics, subscribers who confirmed
their address (double opt-in), what each asked for, and every mail sent to each of them.

Areas, audiences and topics are small join tables rather than JSON lists, so that "who hears
about this" is one SQL query on SQLite and PostgreSQL alike.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area, TenantScoped


class Topic(TenantScoped):
    """A mailing list residents subscribe to (ところざわほっとメール, ボランティア情報配信 …)."""

    key = models.SlugField(_("key"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    active = models.BooleanField(_("open to subscribers"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("mail topic")
        verbose_name_plural = _("mail topics")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="subscriptions_topic_key")
        ]

    def __str__(self):
        return self.name

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class Language(models.TextChoices):
    JA = "ja", _("Japanese")
    EN = "en", _("English")


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("waiting for confirmation")
    CONFIRMED = "confirmed", _("confirmed")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    BOUNCED = "bounced", _("bounced")


class Subscriber(TenantScoped):
    """One address in one tenant. Mailed only while `confirmed`."""

    email = models.EmailField(_("e-mail address"), max_length=254)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.JA
    )
    status = models.CharField(
        _("status"), max_length=20, choices=SubscriberStatus.choices,
        default=SubscriberStatus.PENDING,
    )  # fmt: skip
    # The confirmation link's token is 32 random bytes; only its SHA-256 is kept.
    confirm_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    confirm_expires_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(_("created at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    soft_bounces = models.PositiveIntegerField(_("soft bounces"), default=0)
    last_bounce_at = models.DateTimeField(_("last bounce"), null=True, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["email"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "email"], name="subscriptions_one_address")
        ]
        indexes = [
            # The mailing walks confirmed subscribers by primary key (keyset pagination).
            models.Index(
                fields=["tenant", "id"],
                condition=models.Q(status="confirmed"),
                name="subscriptions_confirmed",
            )
        ]

    def __str__(self):
        return self.email


class Subscription(TenantScoped):
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "topic"], name="subscriptions_one_per_topic"
            )
        ]
        indexes = [models.Index(fields=["topic", "subscriber"], name="subscriptions_by_topic")]


class SubscriberArea(TenantScoped):
    """An area the subscriber wants to hear about; none at all means every area."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="areas")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "area"], name="subscriptions_one_area")
        ]


class SubscriberAudience(TenantScoped):
    """A key of core.broadcasts.AUDIENCES; none at all means every audience."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="audiences")
    audience = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "audience"], name="subscriptions_one_audience"
            )
        ]


class DeliveryStatus(models.TextChoices):
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Delivery(TenantScoped):
    """One mail of one broadcast (source, object) to one subscriber: recorded before the mail
    leaves, so a retried job skips it and never mails anyone twice."""

    source = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "object_id", "subscriber"], name="subscriptions_one_delivery"
            )
        ]
