"""Invitations by e-mail: a one-time link with which a new member sets their password.

`invitation_send` is the one way to invite (imports, the member page, tenant creation). The
token is 32 random bytes; only its SHA-256 is stored. The mail names the tenant and carries
the link, nothing else about the person: mail leaves the city's network. After setting the
password the member signs in as usual, and TwoFactorRequiredMiddleware makes roles in
TWO_FACTOR_ROLES set up TOTP before anything else.
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sasaeai.accounts.models import Invitation, InvitationState, Membership, User
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_append, audit_object, event_for
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context


class InvitationError(ValueError):
    """The link cannot be used; `state` says why (for the page shown instead)."""

    def __init__(self, state: str):
        self.state = state
        super().__init__(state)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(*, tenant_id: int, token: str) -> str:
    path = reverse("accounts:invitation_accept", args=[tenant_id, token])
    return f"{settings.SITE_URL}{path}"


def _actor_for(sent_by: User | None, tenant: Tenant) -> Actor:
    if sent_by is None:
        return Actor(
            user_id=None, username="system", tenant_id=tenant.pk, membership_id=None, role=None
        )
    return Actor(
        user_id=sent_by.pk,
        username=sent_by.get_username(),
        tenant_id=tenant.pk,
        membership_id=None,
        role=None,
    )


def invitation_send(
    user: User,
    tenant: Tenant,
    sent_by: User | None,
    *,
    actor: Actor | None = None,
) -> Invitation:
    """Invite a member of `tenant` by e-mail; earlier open invitations of theirs are revoked.

    The mail goes after the surrounding transaction commits, so a rolled-back import or
    tenant creation sends nothing. Raises ValueError when the user has no e-mail address or
    no active membership in the tenant.
    """
    return invitations_send([user], tenant, sent_by, actor=actor)[0]


def invitations_send(
    users: list[User],
    tenant: Tenant,
    sent_by: User | None,
    *,
    actor: Actor | None = None,
) -> list[Invitation]:
    """`invitation_send` for many members at once: one transaction, one audit append, and the
    mails through one connection after commit (an import of 1,000 members invites them all)."""
    if any(not user.email for user in users):
        raise ValueError(_("This user has no e-mail address to send an invitation to."))
    actor = actor or _actor_for(sent_by, tenant)
    now = timezone.now()
    expires_at = now + datetime.timedelta(days=settings.INVITATION_EXPIRY_DAYS)
    user_ids = [user.pk for user in users]
    with tenant_context(tenant.pk), transaction.atomic():
        members = set(
            Membership.objects.filter(
                tenant=tenant, user_id__in=user_ids, is_active=True
            ).values_list("user_id", flat=True)
        )
        if members != set(user_ids):
            raise ValueError(_("This user is not an active member of the tenant."))
        Invitation.objects.filter(tenant=tenant, user_id__in=user_ids).pending().update(
            revoked_at=now
        )
        tokens, invitations = [], []
        for user in users:
            token = secrets.token_urlsafe(32)
            invitation = Invitation(
                tenant=tenant, user=user, token_hash=token_hash(token), expires_at=expires_at,
                sent_by=sent_by,
            )  # fmt: skip
            # 256 random bits do not collide; the unique index would stop it all the same. The
            # foreign keys are objects in hand (the user's membership was checked above).
            invitation.full_clean(exclude=["tenant", "user", "sent_by"], validate_unique=False)
            tokens.append(token)
            invitations.append(invitation)
        invitations = Invitation.objects.bulk_create(invitations)
        if any(invitation.pk is None for invitation in invitations):
            by_hash = dict(
                Invitation.objects.filter(
                    token_hash__in=[i.token_hash for i in invitations]
                ).values_list("token_hash", "pk")
            )
            for invitation in invitations:
                invitation.pk = by_hash[invitation.token_hash]
        audit_append(
            actor=actor,
            events=[
                event_for(Action.CREATE, invitation, subject=invitation.user, detail={"sent": True})
                for invitation in invitations
            ],
        )
        outgoing = [
            (user.email, invitation_url(tenant_id=tenant.pk, token=token))
            for user, token in zip(users, tokens, strict=True)
        ]
        transaction.on_commit(
            lambda: _mail(outgoing=outgoing, tenant=tenant, expires_at=expires_at)
        )
    return invitations


def _mail(*, outgoing: list[tuple[str, str]], tenant: Tenant, expires_at) -> None:
    with translation.override("ja"):
        context = {
            "tenant": tenant.name,
            "expires": timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M"),
        }
        subject = _("[Sasaeai] Invitation from %(tenant)s") % context
        template = _(
            "You have been invited to Sasaeai, the community welfare system of %(tenant)s.\n\n"
            "Open this link to set your password (it works once, until %(expires)s):\n"
            "%(url)s\n\n"
            "Then sign in with this e-mail address as your user name. Staff roles set up "
            "two-factor authentication with an authenticator app at the first sign-in.\n\n"
            "If you did not expect this mail, ignore it; nothing happens without the link."
        )
    messages = [
        EmailMessage(
            subject, template % {**context, "url": url}, settings.DEFAULT_FROM_EMAIL, [email]
        )  # fmt: skip
        for email, url in outgoing
    ]
    get_connection().send_messages(messages)


def invitation_revoke(*, actor: Actor, invitation: Invitation) -> None:
    with transaction.atomic():
        updated = (
            Invitation.objects.filter(pk=invitation.pk).pending().update(revoked_at=timezone.now())
        )
        if updated:
            invitation.refresh_from_db()
            audit_object(actor, Action.UPDATE, invitation, subject=invitation.user,
                         detail={"revoked": True})  # fmt: skip


def invitation_revoke_pending(*, actor: Actor, membership: Membership) -> int:
    """Revoke the member's open invitations in their tenant; the number revoked."""
    count = 0
    pending = Invitation.objects.filter(user_id=membership.user_id, tenant_id=membership.tenant_id)
    for invitation in pending.pending().select_related("user"):
        invitation_revoke(actor=actor, invitation=invitation)
        count += 1
    return count


def invitation_for_token(*, tenant_id: int, token: str) -> Invitation:
    """The usable invitation the link stands for; InvitationError says why it is not usable."""
    with tenant_context(tenant_id):
        invitation = (
            Invitation.objects.filter(tenant_id=tenant_id, token_hash=token_hash(token))
            .select_related("user", "tenant")
            .first()
        )
        if invitation is None:
            raise InvitationError("unknown")
        state = invitation.state_at(timezone.now())
        if state != InvitationState.PENDING:
            raise InvitationError(state)
        if not (
            invitation.user.is_active
            and Membership.objects.filter(
                user_id=invitation.user_id, tenant_id=tenant_id, is_active=True
            ).exists()
        ):
            raise InvitationError(InvitationState.REVOKED)
    return invitation


def invitation_accept(*, invitation: Invitation, password: str, ip_address: str | None = None):
    """Set the member's password from the link; the link is used up.

    The row is locked and checked again, so two submissions of one link set one password.
    """
    tenant_id = invitation.tenant_id
    user = invitation.user
    with tenant_context(tenant_id), transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        state = locked.state_at(timezone.now())
        if state != InvitationState.PENDING:
            raise InvitationError(state)
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        actor = Actor(
            user_id=user.pk,
            username=user.get_username(),
            tenant_id=tenant_id,
            membership_id=None,
            role=None,
            ip_address=ip_address,
        )
        audit_object(actor, Action.UPDATE, locked, subject=user, detail={"accepted": True})
    return locked
