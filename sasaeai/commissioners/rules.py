"""Row rules of the commissioners app, registered into accounts.policy.

A welfare commissioner sees and writes their own entries and months only, whatever their
districts; municipal and council staff (the 民児協 事務局) see the tenant's rows. Other roles
have no permission here, so `scope` gives them nothing before any rule runs.
"""

from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.commissioners.models import ActivityEntry, MonthlyRecord


def own_rows(actor, permission, queryset):
    if actor.role == Role.WELFARE_COMMISSIONER:
        return queryset.filter(commissioner_id=actor.user_id)
    if actor.role in (Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF):
        return queryset
    return queryset.none()


def register() -> None:
    policy.register_row_rule(ActivityEntry, own_rows)
    policy.register_row_rule(MonthlyRecord, own_rows)
