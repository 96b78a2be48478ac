"""Watch list fixtures built through the watch services."""

import datetime

from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.watch import services
from sasaeai.watch.models import WatcherKind


def desk(world):
    return world.actor(Role.COMMUNITY_SOCIAL_WORKER)


def make_person(world, *, actor=None, area=None, name="見守 花子", address="桶川市1-1",
                started_days_ago=30, frequency_days=7, **extra):  # fmt: skip
    return services.watched_person_save(
        actor=actor or desk(world), name=name, address=address,
        area=area if area is not None else world.sub_district, reason="ひとり暮らし",
        frequency_days=frequency_days,
        started_on=timezone.localdate() - datetime.timedelta(days=started_days_ago), **extra,
    )  # fmt: skip


def watch_by(world, person, role, *, primary=False):
    """Name the tenant A member with `role` as a watcher of the person."""
    kind = {
        Role.VOLUNTEER: WatcherKind.VOLUNTEER,
        Role.WELFARE_COMMISSIONER: WatcherKind.COMMISSIONER,
    }.get(role, WatcherKind.STAFF)
    return services.watcher_add(
        actor=desk(world), person=person, kind=kind, user_id=world.user(role).pk,
        is_primary=primary,
    )  # fmt: skip


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)
