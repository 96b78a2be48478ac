from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area, Tenant, TenantScoped
from sasaeai.core.text import normalize_for_search


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("system administrator")
    MUNICIPAL_STAFF = "municipal_staff", _("municipal staff")
    WELFARE_COUNCIL_STAFF = "welfare_council_staff", _("welfare council staff")
    COMMUNITY_SOCIAL_WORKER = "community_social_worker", _("community social worker")
    VOLUNTEER_COORDINATOR = "volunteer_coordinator", _("volunteer coordinator")
    WELFARE_COMMISSIONER = "welfare_commissioner", _("welfare commissioner")
    PLAN_COMMITTEE_MEMBER = "plan_committee_member", _("plan committee member")
    VOLUNTEER = "volunteer", _("volunteer")
    RESIDENT = "resident", _("resident")
    # Staff of an agency a case is referred to (地域包括支援センター…): they see what a referral
    # shares with their agency, while it is open, and nothing else.
    AGENCY_WORKER = "agency_worker", _("agency worker")
    # ケアマネジャー・相談支援専門員 who write 個別避難計画 for a fee per plan: they see only the
    # people whose plans they were given, nothing else.
    CARE_PLANNER = "care_planner", _("care planner")
    # A named custodian or viewer of a 避難支援等関係者 (自主防災組織, 消防, 警察…): they see the
    # 名簿 entries their organisation's agreement and the consent model allow.
    EVACUATION_HELPER = "evacuation_helper", _("evacuation support member")


# Roles that handle personal data: they must pass TOTP two-factor authentication.
TWO_FACTOR_ROLES = frozenset(
    {
        Role.SYSTEM_ADMIN,
        Role.MUNICIPAL_STAFF,
        Role.WELFARE_COUNCIL_STAFF,
        Role.COMMUNITY_SOCIAL_WORKER,
        Role.VOLUNTEER_COORDINATOR,
        Role.WELFARE_COMMISSIONER,
        Role.AGENCY_WORKER,
        Role.CARE_PLANNER,
        Role.EVACUATION_HELPER,
    }
)
# Roles that see only what lies in their own districts.
AREA_LIMITED_ROLES = frozenset({Role.WELFARE_COMMISSIONER})


class Organisation(models.TextChoices):
    MUNICIPALITY = "municipality", _("municipality")
    WELFARE_COUNCIL = "welfare_council", _("welfare council")
    OTHER = "other", _("other")


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    display_name_kana = models.CharField(_("display name (kana)"), max_length=100, blank=True)
    # Part of the session hash: raising it ends every session of the user, on any session
    # backend (database or Redis), at their next request.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username

    def get_session_auth_hash(self):
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "sasaeai.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            algorithm="sha256",
        ).hexdigest()


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True, tenant__is_active=True)


class Membership(models.Model):
    """A user's place in one tenant: their role there and, for commissioners, their districts.

    Not TenantScoped: it is what decides the tenant, read before one is chosen. Under RLS all
    the same (core.rls.OWN_ROWS_TABLES): the current tenant's rows and the signed-in user's own.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("tenant")
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    organisation = models.CharField(
        _("organisation"),
        max_length=20,
        choices=Organisation.choices,
        default=Organisation.MUNICIPALITY,
    )
    department = models.CharField(_("department"), max_length=100, blank=True)
    areas = models.ManyToManyField(
        Area, blank=True, related_name="+", verbose_name=_("districts in charge")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    search_text = models.TextField(editable=False, default="")

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "role", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_one_per_tenant")
        ]

    def __str__(self):
        return f"{self.user} / {self.tenant} / {self.get_role_display()}"

    @property
    def invitation_state(self) -> str:
        """The state of the member's latest invitation, from selectors.with_invitation_state;
        "" when they were never invited."""
        expires_at = getattr(self, "invitation_expires_at", None)
        if expires_at is None:
            return ""
        from django.utils import timezone

        return Invitation(
            expires_at=expires_at,
            accepted_at=getattr(self, "invitation_accepted_at", None),
            revoked_at=getattr(self, "invitation_revoked_at", None),
        ).state_at(timezone.now())

    @property
    def invitation_state_label(self) -> str:
        state = self.invitation_state
        return InvitationState(state).label if state else ""

    def refresh_search_text(self):
        user = self.user
        self.search_text = normalize_for_search(
            f"{user.username} {user.display_name} {user.display_name_kana} {self.department}"
        )


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        """Neither accepted nor revoked; may still have expired (see `Invitation.state`)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class InvitationState(models.TextChoices):
    PENDING = "pending", _("invited")
    ACCEPTED = "accepted", _("invitation accepted")
    EXPIRED = "expired", _("invitation expired")
    REVOKED = "revoked", _("invitation revoked")


class Invitation(TenantScoped):
    """A one-time link by e-mail that lets a new member set their password.

    Only the SHA-256 of the token is stored: the link in the mail is the only copy of the
    token, so a read of this table does not let anyone in. A new invitation revokes the
    user's earlier ones in the tenant (accounts.invitations.invitation_send).
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("user")
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sent by"),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.user} / {self.created_at:%Y-%m-%d}"

    def state_at(self, now) -> InvitationState:
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if self.expires_at <= now:
            return InvitationState.EXPIRED
        return InvitationState.PENDING


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("previewed")
    APPLIED = "applied", _("applied")
    DISCARDED = "discarded", _("discarded")


class MemberImport(TenantScoped):
    """An uploaded member sheet between its preview and its confirmation.

    The file's bytes are kept so that confirming checks them again against the members as
    they are then (accounts.importer: validate → apply); they are dropped once applied or
    discarded, since the sheet holds names and e-mail addresses.
    """

    uploaded_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("uploaded by")
    )
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content = models.BinaryField(default=b"")
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")

    def __str__(self):
        return self.filename
