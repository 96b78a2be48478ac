"""Row rules of the watch app, registered into accounts.policy (docs/watch.md).

- the desk (municipal staff, welfare council staff, community social workers): every row of
  the tenant;
- welfare commissioners: people of their districts (`actor.area_ids` holds the sub-areas);
- volunteers: the people they are an active watcher of, and those people's watchers and
  contacts;
- everyone else, system administrators included: nothing (they hold no watch permission,
  and a rule still answers nothing should one be added by mistake).
"""

import datetime

from django.db.models import Q
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.watch.models import Contact, WatchedPerson, Watcher

DESK = frozenset({Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF, Role.COMMUNITY_SOCIAL_WORKER})


def active_watcher(today: datetime.date | None = None) -> Q:
    """A watcher who watches today: started (or no start given) and not yet stopped."""
    today = today or timezone.localdate()
    return (Q(since__isnull=True) | Q(since__lte=today)) & (
        Q(until__isnull=True) | Q(until__gte=today)
    )


def watched_ids_of_volunteer(actor):
    """The people the volunteer watches today, as a subquery."""
    return (
        Watcher.objects.filter(tenant_id=actor.tenant_id, user_id=actor.user_id)
        .filter(active_watcher())
        .values("watched_id")
    )


def _person_rule(actor, permission, queryset):
    if actor.role in DESK:
        return queryset
    if actor.role == Role.WELFARE_COMMISSIONER:
        return queryset.filter(area_id__in=actor.area_ids)
    if actor.role == Role.VOLUNTEER:
        return queryset.filter(pk__in=watched_ids_of_volunteer(actor))
    return queryset.none()


def _child_rule(actor, permission, queryset):
    """Watchers and contacts follow the person they belong to."""
    if actor.role in DESK:
        return queryset
    if actor.role == Role.WELFARE_COMMISSIONER:
        return queryset.filter(watched__area_id__in=actor.area_ids)
    if actor.role == Role.VOLUNTEER:
        return queryset.filter(watched_id__in=watched_ids_of_volunteer(actor))
    return queryset.none()


def register() -> None:
    policy.register_row_rule(WatchedPerson, _person_rule)
    policy.register_row_rule(Watcher, _child_rule)
    policy.register_row_rule(Contact, _child_rule)
