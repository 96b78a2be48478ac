"""Writes of the go-live module: a new municipality gets its tenant, first admin and defaults."""

import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sasaeai.accounts import services as account_services
from sasaeai.accounts.invitations import invitation_send
from sasaeai.accounts.models import Membership, Organisation, Role, User
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import Event, audit_event
from sasaeai.core import tenant_setup
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.golive import municipalities

# No 0/O, 1/l/I: the password is read off a screen or a terminal and typed once.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105


@dataclass(frozen=True)
class TenantCreated:
    tenant: Tenant
    admin: Membership
    # The admin's one-time password, shown once; None when nothing was created, the admin
    # already had an account (their password stays theirs) or was invited by e-mail.
    password: str | None
    created: bool  # False: the same tenant and admin existed already; nothing changed
    invited: bool = False  # an invitation link went to the admin's e-mail address


def one_time_password() -> str:
    """Four groups of four characters (about 92 bits), e.g. 'k7Qm-x3Rt-…'."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))


def _refuse(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def tenant_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    admin_username: str,
    admin_email: str,
    council_name: str = "",
    admin_display_name: str = "",
    invite: bool = False,
) -> TenantCreated:
    """Create a municipality's tenant, its first system administrator and every module's
    defaults (core.tenant_setup), all or nothing, audited.

    The code must be a real 全国地方公共団体コード (6 digits, check digit) whose name matches.
    Running it again with the same arguments changes nothing and returns created=False; a
    different council or administrator for an existing tenant, or a user name that belongs to
    someone with another e-mail address, is refused (ValidationError with the field).
    With `invite`, a new admin gets no password: an invitation link goes to their e-mail
    address after the commit (accounts.invitations), and nothing secret is printed or shown.
    """
    try:
        municipality = municipalities.lookup(code)
    except municipalities.MunicipalityError as error:
        raise _refuse("code", str(error), "invalid_code") from error
    try:
        municipalities.resolve(municipality.code, name)
    except municipalities.MunicipalityError as error:
        raise _refuse("name", str(error), "name_mismatch") from error
    admin_username = (admin_username or "").strip()
    admin_email = (admin_email or "").strip()
    if not admin_username:
        raise _refuse("admin_username", _("Enter the administrator's user name."), "required")
    try:
        validate_email(admin_email)
    except ValidationError as error:
        raise _refuse(
            "admin_email",
            _("%(email)s is not an e-mail address.") % {"email": admin_email or "''"},
            "invalid_email",
        ) from error
    council_name = (council_name or "").strip()

    with transaction.atomic():
        existing = Tenant.objects.select_for_update().filter(code=municipality.code).first()
        if existing is not None:
            return _existing(existing, municipality, council_name, admin_username, admin_email)
        user = User.objects.filter(username=admin_username).first()
        if user is not None and user.email.casefold() != admin_email.casefold():
            raise _refuse(
                "admin_username",
                _(
                    "The user name %(username)s is already used by someone with another e-mail "
                    "address. Choose another user name."
                )
                % {"username": admin_username},
                "username_taken",
            )
        tenant = Tenant(
            code=municipality.code,
            name=municipality.name,
            name_kana=municipality.name_kana,
            prefecture=municipality.prefecture,
            welfare_council_name=council_name or f"{municipality.name}社会福祉協議会",
        )
        tenant.full_clean()
        try:
            with transaction.atomic():
                tenant.save()
        except IntegrityError as error:  # created by someone else a moment ago
            raise _refuse(
                "code",
                _("The code %(code)s is already registered as %(existing)s.")
                % {"code": tenant.code, "existing": tenant.name},
                "code_taken",
            ) from error
        password = None
        with tenant_context(tenant.pk):
            if user is None:
                password = None if invite else one_time_password()
                try:
                    admin = account_services.member_create(
                        actor=actor, tenant=tenant, username=admin_username, password=password,
                        role=Role.SYSTEM_ADMIN, email=admin_email,
                        display_name=admin_display_name, organisation=Organisation.MUNICIPALITY,
                    )  # fmt: skip
                except ValidationError as error:
                    raise _as_admin_fields(error) from error
            else:
                admin = account_services.membership_add(
                    actor=actor, user=user, tenant=tenant, role=Role.SYSTEM_ADMIN
                )
            if invite and user is None:
                invitation_send(admin.user, tenant, None, actor=actor)
            steps = tenant_setup.run_all(tenant.pk)
            audit_event(
                actor,
                Event(
                    action=Action.CREATE,
                    object_type=Tenant._meta.label_lower,
                    object_id=str(tenant.pk),
                    object_repr=f"tenant_create {tenant.code}",
                    tenant_id=tenant.pk,
                    detail={"code": tenant.code, "name": tenant.name,
                            "admin": admin_username, "defaults": steps},
                ),
            )  # fmt: skip
    return TenantCreated(
        tenant=tenant, admin=admin, password=password, created=True, invited=invite and user is None
    )


def _as_admin_fields(error: ValidationError) -> ValidationError:
    """The user's own field names (username, email) as this service's (admin_username …)."""
    if not hasattr(error, "error_dict"):
        return _refuse("admin_username", " ".join(error.messages), "invalid")
    renamed = {"username": "admin_username", "email": "admin_email",
               "display_name": "admin_display_name"}  # fmt: skip
    return ValidationError(
        {renamed.get(field, "admin_username"): errors for field, errors in error.error_dict.items()}
    )


def _existing(tenant, municipality, council_name, admin_username, admin_email) -> TenantCreated:
    """The same request again is fine and changes nothing; anything different is refused."""
    if not municipalities.names_match(municipality, tenant.name):
        raise _refuse(
            "name",
            _("The code %(code)s is already registered as %(existing)s.")
            % {"code": tenant.code, "existing": tenant.name},
            "code_taken",
        )
    if council_name and council_name != tenant.welfare_council_name:
        raise _refuse(
            "council_name",
            _(
                "%(name)s is already registered with the welfare council %(council)s; "
                "nothing was changed."
            )
            % {"name": tenant.name, "council": tenant.welfare_council_name},
            "council_differs",
        )
    with tenant_context(tenant.pk):
        admin = (
            Membership.objects.filter(
                tenant=tenant, role=Role.SYSTEM_ADMIN, user__username=admin_username
            )
            .select_related("user")
            .first()
        )
    if admin is None or admin.user.email.casefold() != admin_email.casefold():
        raise _refuse(
            "admin_username",
            _(
                "%(name)s (%(code)s) is already registered with another system administrator. "
                "Add further users from its member list."
            )
            % {"name": tenant.name, "code": tenant.code},
            "tenant_exists",
        )
    return TenantCreated(tenant=tenant, admin=admin, password=None, created=False)
