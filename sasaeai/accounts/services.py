from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.accounts.models import AREA_LIMITED_ROLES, Membership, Organisation, Role, User
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core.models import Area, Tenant


@transaction.atomic
def member_create(
    *,
    actor: Actor,
    tenant: Tenant,
    username: str,
    password: str | None,
    role: Role | str,
    display_name: str = "",
    display_name_kana: str = "",
    email: str = "",
    organisation: str = Organisation.MUNICIPALITY,
    department: str = "",
    area_ids: list[int] | None = None,
) -> Membership:
    """Create a user with their membership in one tenant. Passwords pass the validators; None
    leaves the account without one until an invitation is accepted (accounts.invitations)."""
    user = User(
        username=username,
        display_name=display_name,
        display_name_kana=display_name_kana,
        email=email,
    )
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.full_clean()
    user.save()
    membership = Membership(
        user=user, tenant=tenant, role=role, organisation=organisation, department=department
    )
    membership.refresh_search_text()
    membership.full_clean()
    membership.save()
    if area_ids is not None:
        membership_set_areas(actor=actor, membership=membership, area_ids=area_ids)
    audit_object(actor, Action.CREATE, membership, subject=user)
    return membership


@transaction.atomic
def member_create_invited(
    *,
    actor: Actor,
    tenant: Tenant,
    email: str,
    role: Role | str,
    display_name: str = "",
    display_name_kana: str = "",
    area_ids: list[int] | None = None,
) -> Membership:
    """A new member without a password, named by e-mail address, to be invited
    (accounts.invitations.invitation_send): tenant creation's first admin, say."""
    email = email.strip().lower()
    if (
        User.objects.filter(username__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    ):
        raise ValidationError({"email": _("This e-mail address is already used by a user.")})
    user = User(
        username=email,
        email=email,
        display_name=display_name,
        display_name_kana=display_name_kana,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    membership = Membership(user=user, tenant=tenant, role=role)
    membership.refresh_search_text()
    membership.full_clean()
    membership.save()
    if area_ids is not None:
        membership_set_areas(actor=actor, membership=membership, area_ids=area_ids)
    audit_object(actor, Action.CREATE, membership, subject=user)
    return membership


def membership_set_areas(*, actor: Actor, membership: Membership, area_ids: list[int]) -> None:
    areas = list(Area.objects.filter(tenant_id=membership.tenant_id, id__in=area_ids))
    if len(areas) != len(set(area_ids)):
        raise ValidationError(
            {"areas": _("A district belongs to another tenant or does not exist.")}
        )
    if areas and membership.role not in AREA_LIMITED_ROLES:
        raise ValidationError({"areas": _("Only welfare commissioners have districts.")})
    membership.areas.set(areas)


@transaction.atomic
def membership_add(
    *, actor: Actor, user: User, tenant: Tenant, role: Role | str, department: str = ""
) -> Membership:
    """Give an existing user a place in another tenant (a prefecture officer, say)."""
    membership = Membership(user=user, tenant=tenant, role=role, department=department)
    membership.refresh_search_text()
    membership.full_clean()
    membership.save()
    audit_object(actor, Action.CREATE, membership, subject=user)
    return membership


@transaction.atomic
def user_deactivate(*, actor: Actor, user: User) -> None:
    """Disable a user everywhere and end all their sessions at once."""
    User.objects.filter(pk=user.pk).update(
        is_active=False, session_generation=F("session_generation") + 1
    )
    user.refresh_from_db()
    for membership in user.memberships.all():
        audit_object(actor, Action.UPDATE, membership, subject=user, detail={"is_active": False})


@transaction.atomic
def user_set_password(*, actor: Actor, user: User, password: str) -> None:
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_object(actor, Action.UPDATE, user, detail={"password": "changed"})


def totp_device_for(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_device_start(*, user: User, key: str | None = None) -> TOTPDevice:
    """A new unconfirmed device; it counts only after the user proves it with one code."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    kwargs = {"key": key} if key else {}
    return TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False, **kwargs)


def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token.strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True
