"""What management commands of every app share: the tenant a command names, and the actor a
command acts as (recorded in the audit log as "manage.py")."""

from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from sasaeai.core.models import Tenant


def tenant_named(name: str) -> Tenant:
    tenant = Tenant.objects.filter(Q(code=name) | Q(name=name)).first()
    if tenant is None:
        raise CommandError(_("No tenant has the code or name %(name)s") % {"name": name})
    return tenant


def command_actor(tenant: Tenant):
    from sasaeai.accounts.policy import Actor  # accounts builds on core, not the other way

    return Actor(
        user_id=None, username="manage.py", tenant_id=tenant.pk, membership_id=None, role=None
    )
