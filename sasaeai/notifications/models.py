"""In-app notifications (docs/notifications.md): one row per recipient of an event.

A notification holds a kind and a link, nothing about the person or case it concerns: the
page it links to applies its own permissions when opened.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import TenantScoped


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(TenantScoped):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=100)
    url = models.CharField(_("link"), max_length=500)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    created = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # When the e-mail went (at once or in a digest); NULL while one is still owed or none is.
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The list (newest first) and the bell's count, per user: both read this index only.
            models.Index(
                fields=["tenant", "recipient", "-created", "-id"], name="notif_recipient_list"
            ),
            models.Index(
                fields=["tenant", "recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notif_unread",
            ),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"


class EmailChoice(models.TextChoices):
    IMMEDIATE = "immediate", _("at once")
    DIGEST = "digest", _("in a daily digest")
    OFF = "off", _("no e-mail")


class Preference(TenantScoped):
    """A user's e-mail choice for one kind; no row means the default (core.events.EventKind:
    at once for kinds that ask someone to act, none for the others)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=100)
    email = models.CharField(_("e-mail"), max_length=20, choices=EmailChoice.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "kind"], name="notifications_one_preference"
            )
        ]
