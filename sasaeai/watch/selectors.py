"""Reads of the watch app: every list through accounts.policy.scope, with the related rows its
page shows fetched in a fixed number of queries."""

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.core.fiscal import fiscal_year_bounds
from sasaeai.core.models import Area, AreaKind
from sasaeai.watch.models import (
    Contact,
    ContactKind,
    WatchedPerson,
    Watcher,
    WatchPartner,
    WatchStatus,
)
from sasaeai.watch.rules import active_watcher

VIEW = "watch.view"


def _with_main_watcher(rows: QuerySet, today: datetime.date) -> QuerySet:
    """The main watcher of each person as `main_watchers` (a list of 0 or 1), one query."""
    main = (
        Watcher.objects.filter(is_primary=True)
        .filter(active_watcher(today))
        .select_related("user", "partner")
    )
    return rows.select_related("area").prefetch_related(
        Prefetch("watchers", queryset=main, to_attr="main_watchers")
    )


def area_and_children(tenant_id: int, area_id: int) -> list[int]:
    """A district and the commissioner districts beneath it (two levels, as areas nest)."""
    ids = {area_id}
    level = [area_id]
    for _depth in range(3):
        level = list(
            Area.objects.filter(tenant_id=tenant_id, parent_id__in=level).values_list(
                "pk", flat=True
            )
        )
        if not level:
            break
        ids.update(level)
    return sorted(ids)


def people_visible_to(
    actor, *, query: str = "", area_id: int | None = None, status: str = WatchStatus.ACTIVE
) -> QuerySet[WatchedPerson]:
    rows = policy.scope(actor, VIEW, WatchedPerson.objects.all())
    if status:
        rows = rows.filter(status=status)
    if area_id:
        rows = rows.filter(area_id__in=area_and_children(actor.tenant_id, area_id))
    if query:
        rows = rows.filter(Q(name__contains=query) | Q(name_kana__contains=query))
    return _with_main_watcher(rows, timezone.localdate()).order_by("name_kana", "name", "pk")


def person_for(actor, pk: int, permission: str = VIEW) -> WatchedPerson:
    person = (
        policy.scope(actor, permission, WatchedPerson.objects.all())
        .select_related("area")
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise Http404
    return person


def missed_contacts(
    actor, *, today: datetime.date | None = None, area_id: int | None = None
) -> QuerySet[WatchedPerson]:
    """Active people whose next contact was due before today, most overdue first.

    `next_due_on` is kept by the contact service (never contacted: started_on + frequency),
    so this is one range scan of the (tenant, status, next_due_on) index."""
    today = today or timezone.localdate()
    rows = policy.scope(actor, VIEW, WatchedPerson.objects.all()).filter(
        status=WatchStatus.ACTIVE, next_due_on__lt=today
    )
    if area_id:
        rows = rows.filter(area_id__in=area_and_children(actor.tenant_id, area_id))
    return _with_main_watcher(rows, today).order_by("next_due_on", "pk")


def my_people(actor, *, today: datetime.date | None = None) -> QuerySet[WatchedPerson]:
    """The active people the actor is responsible for, overdue ones first (earliest due on
    top): a commissioner, everyone of their districts (the 担当区域 is theirs to look after);
    anyone else, the people they are an active watcher of."""
    today = today or timezone.localdate()
    rows = policy.scope(actor, VIEW, WatchedPerson.objects.all()).filter(status=WatchStatus.ACTIVE)
    if not actor.is_area_limited:
        mine = Watcher.objects.filter(tenant_id=actor.tenant_id, user_id=actor.user_id).filter(
            active_watcher(today)
        )
        rows = rows.filter(pk__in=mine.values("watched_id"))
    return _with_main_watcher(rows, today).order_by("next_due_on", "name_kana", "pk")


def days_overdue(person: WatchedPerson, today: datetime.date) -> int:
    if person.next_due_on is None or person.next_due_on >= today:
        return 0
    return (today - person.next_due_on).days


def watchers_of(actor, person: WatchedPerson) -> QuerySet[Watcher]:
    return (
        policy.scope(actor, VIEW, Watcher.objects.filter(watched=person))
        .select_related("user", "partner")
        .order_by("-is_primary", "until", "pk")
    )


def contacts_of(actor, person: WatchedPerson) -> QuerySet[Contact]:
    return policy.scope(actor, VIEW, Contact.objects.filter(watched=person)).select_related(
        "watcher", "watcher__user", "recorded_by"
    )


def contact_for(actor, pk: int) -> Contact:
    contact = (
        policy.scope(actor, VIEW, Contact.objects.all())
        .select_related("watched", "recorded_by")
        .filter(pk=pk)
        .first()
    )
    if contact is None:
        raise Http404
    return contact


def possible_duplicates(actor, *, name: str, address: str, exclude_pk: int | None = None):
    """Active people the actor may see with the same name and address (spaces ignored).

    Only within the actor's own scope: telling a commissioner that someone outside their
    districts is watched would disclose it."""
    name, address = "".join(name.split()), "".join(address.split())
    if not name:
        return WatchedPerson.objects.none()
    rows = policy.scope(actor, VIEW, WatchedPerson.objects.all()).filter(status=WatchStatus.ACTIVE)
    if exclude_pk:
        rows = rows.exclude(pk=exclude_pk)
    candidates = rows.filter(name__contains=name[:2]).only("pk", "name", "address")[:200]
    return [
        p
        for p in candidates
        if "".join(p.name.split()) == name and "".join(p.address.split()) == address
    ]


def districts_for(actor) -> QuerySet[Area]:
    """Districts to filter a list by (each includes its commissioner districts): a
    commissioner's own areas, the desk's districts. A prefecture has thousands of commissioner
    districts: listing them all made the missed-contact page five times slower."""
    rows = Area.objects.filter(tenant_id=actor.tenant_id)
    if actor.is_area_limited:
        rows = rows.filter(pk__in=actor.area_ids)
    else:
        rows = rows.filter(kind=AreaKind.DISTRICT)
    return rows.only("pk", "name", "code").order_by("code", "name")


def areas_for_person(actor) -> QuerySet[Area]:
    """Where a watched person may be placed: a district or a commissioner district (a
    commissioner: only their own)."""
    rows = Area.objects.filter(tenant_id=actor.tenant_id).exclude(kind=AreaKind.DAILY_LIFE_AREA)
    if actor.is_area_limited:
        rows = rows.filter(pk__in=actor.area_ids)
    return rows.order_by("code", "name")


def members_who_watch(tenant_id: int):
    """Members who may be named as watchers: those whose role records watch-over visits."""
    from sasaeai.accounts.models import Membership

    return (
        Membership.objects.active()
        .filter(tenant_id=tenant_id, role__in=policy.PERMISSIONS["watch.record_contact"])
        .select_related("user")
        .order_by("user__username")
    )


def partners_of(tenant_id: int) -> QuerySet[WatchPartner]:
    return WatchPartner.objects.filter(tenant_id=tenant_id, is_active=True).order_by("name")


# ---- figures (metrics, core.visits) ----------------------------------------------------------


def watched_count(tenant_id: int, fiscal_year: int) -> int:
    """People watched over at any time in the fiscal year (見守り対象者数)."""
    start, end = fiscal_year_bounds(fiscal_year)
    return (
        WatchedPerson.objects.filter(tenant_id=tenant_id, started_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .count()
    )


def contact_count(tenant_id: int, fiscal_year: int) -> int:
    """Visits, calls and look-ins recorded in the fiscal year, unanswered visits included."""
    start, end = fiscal_year_bounds(fiscal_year)
    return Contact.objects.filter(
        tenant_id=tenant_id, occurred_on__gte=start, occurred_on__lte=end
    ).count()


VISIT_KINDS = (ContactKind.VISIT, ContactKind.DOORSTEP)


def visits_by_day(
    tenant_id: int, user_ids: list[int], first: datetime.date, last: datetime.date
) -> dict[tuple[int, datetime.date], int]:
    """Visits (and look-ins from outside) each member recorded per day, 不在 included: the
    activity record's 訪問回数 counts visits made, not people met (docs/watch.md)."""
    rows = (
        Contact.objects.filter(
            tenant_id=tenant_id,
            recorded_by_id__in=list(user_ids),
            kind__in=VISIT_KINDS,
            occurred_on__gte=first,
            occurred_on__lte=last,
        )  # fmt: skip
        .values("recorded_by_id", "occurred_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(row["recorded_by_id"], row["occurred_on"]): row["n"] for row in rows}


def watcher_for(actor, pk: int) -> Watcher:
    watcher = (
        policy.scope(actor, "watch.manage", Watcher.objects.all())
        .select_related("watched")
        .filter(pk=pk)
        .first()
    )
    if watcher is None:
        raise Http404
    return watcher
