"""API tokens: personal (act as their user's membership) or service (act with a fixed role).

The secret is stored only as its SHA-256 hash: it is 32 random bytes, so a slow password hash
adds nothing. The token names its tenant, so that it is looked up inside that tenant under
row-level security (see sasaeai.tokens.auth).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.accounts.models import Role
from sasaeai.core.models import TenantScoped


class TokenKind(models.TextChoices):
    PERSONAL = "personal", _("personal")
    SERVICE = "service", _("service")


# Roles a service token may act as: staff who read and (rarely) write through the API. Never
# the system administrator, nor roles whose rights hang on a person (districts, a case team).
SERVICE_ROLES = (
    Role.MUNICIPAL_STAFF,
    Role.WELFARE_COUNCIL_STAFF,
    Role.COMMUNITY_SOCIAL_WORKER,
    Role.VOLUNTEER_COORDINATOR,
    Role.PLAN_COMMITTEE_MEMBER,
)


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(TenantScoped):
    kind = models.CharField(_("kind"), max_length=20, choices=TokenKind.choices)
    name = models.CharField(_("name"), max_length=100)
    # Personal tokens: their owner. Service tokens: none; they act as `role`.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "prefix"], name="tokens_unique_prefix"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="personal", user__isnull=False, role="")
                    | models.Q(kind="service", user__isnull=True)
                    & ~models.Q(role="")
                    & ~models.Q(role=Role.SYSTEM_ADMIN)
                ),
                name="tokens_kind_fields",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.public_prefix})"

    @property
    def public_prefix(self) -> str:
        return f"sasaeai_{self.tenant_id}_{self.prefix}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired
