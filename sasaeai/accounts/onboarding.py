"""The accounts module's go-live checklist item: users by role, and who has set up two-factor."""

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from sasaeai.core import checklist
from sasaeai.core.checklist import DONE, TODO, WARNING, ChecklistItem, ItemState


def users_state(tenant_id: int) -> ItemState:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sasaeai.accounts.models import TWO_FACTOR_ROLES, Membership, Role

    members = Membership.objects.active().filter(tenant_id=tenant_id)
    by_role = dict(members.values_list("role").annotate(n=Count("id")).values_list("role", "n"))
    device = Exists(TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True))
    two_factor = members.aggregate(
        needing=Count("id", filter=Q(role__in=TWO_FACTOR_ROLES)),
        with_device=Count("id", filter=Q(device, role__in=TWO_FACTOR_ROLES)),
    )
    with_device, needing = two_factor["with_device"], two_factor["needing"]
    facts = [f"{Role(role).label}: {count}" for role, count in sorted(by_role.items())]
    facts.append(
        _("two-factor set up: %(done)s of %(total)s who need it")
        % {"done": with_device, "total": needing}
    )
    if set(by_role) <= {Role.SYSTEM_ADMIN}:
        return ItemState(TODO, _("Add the staff and welfare commissioners."),
                         "accounts:member_list", facts)  # fmt: skip
    if with_device < needing:
        return ItemState(WARNING, _("Some users have not set up two-factor authentication yet."),
                         "accounts:member_list", facts)  # fmt: skip
    return ItemState(DONE, _("Users are in place and have set up two-factor authentication."),
                     "accounts:member_list", facts)  # fmt: skip


def register() -> None:
    checklist.register(ChecklistItem("accounts.users", _("Users and two-factor"), users_state, 20))
