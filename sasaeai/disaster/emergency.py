"""Disaster mode and safety checks (docs/safety-checks.md): writes and reads.

- `declaration_declare` / `declaration_end`: a system admin opens disaster mode for areas
  (49条の11③) and ends it explicitly; while it is active, rules.py lets the named recipients
  (and, if included, the areas' commissioners) see every listed entry of the covered areas.
- `safety_mark`: one mark from one phone. Every mark is a SafetyCheck row; SafetyStatus keeps
  the one with the latest `marked_at`, so an offline mark arriving late never hides a newer one.
- Reads: the safety list (unreachable people first), the progress per declared area (counts
  only) and the report of who saw what, from the audit log.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.audit.services import audit_object
from sasaeai.core.fiscal import fiscal_year_bounds
from sasaeai.core.models import Area
from sasaeai.disaster.models import (
    Declaration,
    EntryStatus,
    HelperOrganisation,
    RegisterEntry,
    SafetyCheck,
    SafetyState,
    SafetyStatus,
)

ENTRY_TYPE = RegisterEntry._meta.label_lower
MAX_REASON = 2000


class DeclarationEnded(ValidationError):
    """A mark or an edit on a declaration that has ended (the API answers 409)."""


# ---- areas -----------------------------------------------------------------------------------


def _children_of(tenant_id: int) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for area_id, parent_id in Area.objects.filter(tenant_id=tenant_id).values_list(
        "id", "parent_id"
    ):
        children[parent_id].append(area_id)
    return children


def _subtree(children: dict, root: int) -> set[int]:
    found, stack = set(), [root]
    while stack:
        area_id = stack.pop()
        if area_id not in found:
            found.add(area_id)
            stack.extend(children.get(area_id, []))
    return found


def area_subtrees(tenant_id: int, roots: Iterable[int]) -> dict[int, set[int]]:
    """Each root area with every area beneath it (one query for the whole tree)."""
    children = _children_of(tenant_id)
    return {root: _subtree(children, root) for root in roots}


# ---- declaring and ending ----------------------------------------------------------------------


@transaction.atomic
def declaration_declare(
    *, actor: Actor, reason: str, area_ids: Iterable[int], recipient_ids: Iterable[int] = (),
    includes_commissioners: bool = True,
) -> Declaration:  # fmt: skip
    policy.require(actor, "disaster.declare")
    tenant_id = actor.tenant_id
    area_ids, recipient_ids = set(area_ids), set(recipient_ids)
    areas = list(Area.objects.filter(tenant_id=tenant_id, pk__in=area_ids))
    recipients = list(HelperOrganisation.objects.filter(tenant_id=tenant_id, pk__in=recipient_ids))
    errors = {}
    if not areas or len(areas) != len(area_ids):
        errors["areas"] = [_("Choose at least one of the municipality's areas.")]
    if len(recipients) != len(recipient_ids):
        errors["recipients"] = [_("Choose only the municipality's organisations.")]
    if len((reason or "").strip()) > MAX_REASON:
        errors["reason"] = [_("The reason is too long.")]
    if errors:
        raise ValidationError(errors)
    declaration = Declaration(
        tenant_id=tenant_id, reason=(reason or "").strip(), declared_at=timezone.now(),
        declared_by_id=actor.user_id, includes_commissioners=includes_commissioners,
    )  # fmt: skip
    declaration.full_clean()
    declaration.save()
    declaration.areas.set(areas)
    subtrees = area_subtrees(tenant_id, [a.pk for a in areas])
    covered = set().union(*subtrees.values())
    declaration.covered_areas.set(covered)
    declaration.recipients.set(recipients)
    audit_object(
        actor, Action.CREATE, declaration,
        detail={"areas": sorted(a.pk for a in areas), "covered_areas": len(covered),
                "recipients": sorted(r.pk for r in recipients),
                "includes_commissioners": includes_commissioners},
    )  # fmt: skip
    return declaration


@transaction.atomic
def declaration_end(*, actor: Actor, declaration: Declaration, note: str = "") -> Declaration:
    policy.require(actor, "disaster.declare")
    # Locked so that two admins ending it at once record one end, not two.
    declaration = (
        Declaration.objects.select_for_update()
        .filter(pk=declaration.pk, tenant_id=actor.tenant_id)
        .first()
    )
    if declaration is None:
        raise Http404
    if not declaration.is_active:
        raise DeclarationEnded(_("This declaration has already ended."), code="ended")
    declaration.ended_at = timezone.now()
    declaration.ended_by_id = actor.user_id
    declaration.end_note = (note or "").strip()
    declaration.full_clean()
    declaration.save(update_fields=["ended_at", "ended_by", "end_note"])
    audit_object(actor, Action.UPDATE, declaration, detail={"ended": True})
    return declaration


# ---- marks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkInput:
    state: str
    place: str = ""
    note: str = ""
    marked_at: datetime.datetime | None = None


def _validate_mark(data: MarkInput, now: datetime.datetime) -> datetime.datetime:
    errors = {}
    if data.state not in SafetyState.values:
        errors["state"] = [_("Choose one of the states.")]
    if data.state == SafetyState.EVACUATED and not data.place.strip():
        errors["place"] = [_("Enter where the person evacuated to.")]
    marked_at = data.marked_at or now
    if timezone.is_naive(marked_at):
        errors["marked_at"] = [_("Give the time with its time zone.")]
    # A phone's clock may run a little fast; a mark from the future would win over every
    # real one, so more than five minutes ahead is refused.
    elif marked_at > now + datetime.timedelta(minutes=5):
        errors["marked_at"] = [_("The time of the mark is in the future.")]
    if errors:
        raise ValidationError(errors)
    return marked_at


def entry_for_marking(actor: Actor, declaration: Declaration, entry_id: int) -> RegisterEntry:
    """An entry of the declaration's areas the actor sees, or 404."""
    entry = safety_entries(actor, declaration).filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    return entry


@transaction.atomic
def safety_mark(
    *, actor: Actor, declaration: Declaration, entry: RegisterEntry, data: MarkInput
) -> SafetyCheck:
    policy.require(actor, "disaster.check_safety")
    # Read afresh, not locked: phones marking different people must not queue behind each
    # other; a mark landing in the instant the declaration ends was made while it was active.
    declaration = Declaration.objects.get(pk=declaration.pk, tenant_id=actor.tenant_id)
    if not declaration.is_active:
        raise DeclarationEnded(
            _("This declaration has ended: marks are no longer recorded."), code="ended"
        )
    entry = entry_for_marking(actor, declaration, entry.pk)
    now = timezone.now()
    marked_at = _validate_mark(data, now)
    check = SafetyCheck(
        tenant_id=actor.tenant_id, declaration=declaration, entry=entry, state=data.state,
        place=data.place.strip(), note=data.note.strip(), marked_by_id=actor.user_id,
        marked_at=marked_at,
    )  # fmt: skip
    check.full_clean()
    check.save()
    _status_update(declaration, entry, check)
    audit_object(
        actor, Action.CREATE, check, subject=entry,
        detail={"state": check.state, "marked_at": marked_at.isoformat()},
    )  # fmt: skip
    return check


def _status_update(declaration: Declaration, entry: RegisterEntry, check: SafetyCheck) -> None:
    """Keep the newest mark as the status; a late mark with an older time only adds a count."""
    status = _locked_status(declaration, entry)
    if status is None:
        try:
            with transaction.atomic():
                SafetyStatus.objects.create(
                    tenant_id=check.tenant_id, declaration=declaration, entry=entry,
                    area_id=entry.area_id, state=check.state, place=check.place,
                    latest_check=check, marked_at=check.marked_at, marks=1,
                )  # fmt: skip
            return
        except IntegrityError:
            # Another phone created it at the same moment: its row is committed now; lock it.
            status = _locked_status(declaration, entry)
    status.marks += 1
    fields = ["marks"]
    if check.marked_at >= status.marked_at:
        status.state, status.place = check.state, check.place
        status.latest_check, status.marked_at = check, check.marked_at
        status.area_id = entry.area_id  # where the person is listed now (progress counts)
        fields += ["state", "place", "latest_check", "marked_at", "area"]
    status.save(update_fields=fields)


def _locked_status(declaration, entry) -> SafetyStatus | None:
    return (
        SafetyStatus.objects.select_for_update()
        .filter(declaration=declaration, entry=entry)
        .first()
    )


# ---- reads: declarations -----------------------------------------------------------------------


def declarations_visible_to(actor: Actor) -> QuerySet[Declaration]:
    return policy.scope(actor, "disaster.view_declarations", Declaration.objects.all())


def active_declarations(actor: Actor) -> QuerySet[Declaration]:
    return declarations_visible_to(actor).filter(ended_at__isnull=True).prefetch_related("areas")


def declaration_for(actor: Actor, pk: int, permission: str = "disaster.view_declarations"):
    """A declaration of the actor's tenant (no personal content): 403 without the permission,
    404 for another tenant's."""
    policy.require(actor, permission)
    declaration = (
        policy.scope(actor, permission, Declaration.objects.filter(pk=pk))
        .prefetch_related("areas", "recipients")
        .first()
    )
    if declaration is None:
        raise Http404
    return declaration


def banner_declarations(actor: Actor) -> list[Declaration]:
    """Active declarations for the banner: shown to every member holding a disaster permission."""
    if not actor.is_member or actor.needs_two_factor:
        return []
    holds = any(
        name.startswith("disaster.") and actor.role in roles
        for name, roles in policy.PERMISSIONS.items()
    )
    if not holds:
        return []
    return list(
        Declaration.objects.filter(tenant_id=actor.tenant_id, ended_at__isnull=True)
        .prefetch_related("areas")
        .order_by("declared_at")
    )


def declarable_areas(tenant_id: int) -> QuerySet[Area]:
    return Area.objects.filter(tenant_id=tenant_id).order_by("kind", "code", "name_kana", "name")


def recipient_choices(tenant_id: int) -> QuerySet[HelperOrganisation]:
    return HelperOrganisation.objects.filter(tenant_id=tenant_id, is_active=True)


# ---- reads: safety lists -----------------------------------------------------------------------


def _covered_ids(declaration: Declaration):
    return Declaration.covered_areas.through.objects.filter(declaration_id=declaration.pk).values(
        "area_id"
    )


def safety_entries(actor: Actor, declaration: Declaration, *, area_id: int | None = None):
    """Listed entries of the declared areas the actor sees (rules.py decides, in SQL)."""
    rows = RegisterEntry.objects.filter(
        status=EntryStatus.LISTED, area_id__in=_covered_ids(declaration)
    )
    if area_id is not None:
        subtree = area_subtrees(actor.tenant_id, [area_id])[area_id]
        rows = rows.filter(area_id__in=subtree)
    return policy.scope(actor, "disaster.check_safety", rows)


class SafetyOrder:
    """The ids of the list a supporter works through, a page at a time (Paginator reads
    `count()` and slices): unknown or unmarked first, then needs-help, then the longest since
    the last mark; kana within.

    Which people is decided by the rules (the scoped queryset, as a subquery); the order joins
    each person to their status once (LEFT JOIN), which the ORM cannot write for this
    reverse-less relation and which is many times faster than a subquery per person for the
    sort (bench/disaster_safety.py).
    """

    def __init__(self, people: QuerySet, declaration: Declaration):
        self.people = people.order_by()
        self.declaration = declaration

    def count(self) -> int:
        return self.people.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if isinstance(item, slice):
            start = item.start or 0
            stop = item.stop if item.stop is not None else self.count()
            return self._ids(start, max(0, stop - start))
        return self._ids(item, 1)[0]

    def _ids(self, offset: int, limit: int) -> list[int]:
        # The people's own rows drive the join (no second lookup of each by id).
        inner, params = self.people.values("pk", "name_kana", "name").query.sql_with_params()
        statuses = connection.ops.quote_name(SafetyStatus._meta.db_table)
        sql = (
            f"SELECT e.pk FROM ({inner}) e LEFT JOIN {statuses} s"  # noqa: S608 (names only)
            " ON s.entry_id = e.pk AND s.declaration_id = %s"
            " ORDER BY CASE WHEN s.state IS NULL OR s.state = %s THEN 0"
            " WHEN s.state = %s THEN 1 ELSE 2 END,"
            " s.marked_at ASC NULLS FIRST, e.name_kana, e.name, e.pk LIMIT %s OFFSET %s"
        )
        arguments = [*params, self.declaration.pk, SafetyState.UNKNOWN, SafetyState.NEEDS_HELP]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*arguments, limit, offset])
            return [row[0] for row in cursor.fetchall()]


def safety_order(actor: Actor, declaration: Declaration, *, area_id: int | None = None):
    return SafetyOrder(safety_entries(actor, declaration, area_id=area_id), declaration)


def entries_in_order(ids: list[int]) -> list[RegisterEntry]:
    """The entries of `ids` (already chosen through the rules), in that order."""
    found = RegisterEntry.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def safety_list(actor: Actor, declaration: Declaration, *, area_id: int | None = None):
    """The whole list in order (small lists: tests, exports)."""
    return entries_in_order(safety_order(actor, declaration, area_id=area_id)[:])


def statuses_for(
    declaration: Declaration, entries: Iterable[RegisterEntry]
) -> dict[int, SafetyStatus]:
    """The status of each shown entry, with who marked it (one query for a page)."""
    rows = SafetyStatus.objects.filter(
        declaration_id=declaration.pk, entry_id__in=[e.pk for e in entries]
    ).select_related("latest_check__marked_by")
    return {row.entry_id: row for row in rows}


def checks_of(declaration: Declaration, entry: RegisterEntry) -> QuerySet[SafetyCheck]:
    return SafetyCheck.objects.filter(
        declaration_id=declaration.pk, entry_id=entry.pk
    ).select_related("marked_by")


# ---- reads: progress (counts only) -------------------------------------------------------------


@dataclass
class AreaProgress:
    area: Area
    listed: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.listed - self.counts.get(SafetyState.UNKNOWN, 0)

    @property
    def percent(self) -> float | None:
        return None if not self.listed else round(100 * self.done / self.listed, 1)


def progress_by_area(declaration: Declaration) -> list[AreaProgress]:
    """Per declared area (with everything beneath it): listed people and counts by state.

    Counts only, no names, over the whole tenant (the permission is the gate, not the rows):
    people without a mark count as unknown, so done = listed − unknown.
    """
    tenant_id = declaration.tenant_id
    areas = list(declaration.areas.order_by("code", "name_kana", "name"))
    subtrees = area_subtrees(tenant_id, [a.pk for a in areas])
    listed = _listed_per_area(declaration)
    marked = _marked_per_area(declaration)
    result = []
    for area in areas:
        row = AreaProgress(area=area)
        for area_id in subtrees[area.pk]:
            row.listed += listed.get(area_id, 0)
            for state, n in marked.get(area_id, {}).items():
                row.counts[state] = row.counts.get(state, 0) + n
        known = sum(n for state, n in row.counts.items() if state != SafetyState.UNKNOWN)
        row.counts[SafetyState.UNKNOWN] = max(0, row.listed - known)
        result.append(row)
    return result


def _covered_list(declaration: Declaration) -> list[int]:
    # A literal list, not a subquery: the planner then counts from the register's
    # (tenant, area, status, …) index alone.
    return list(
        Declaration.covered_areas.through.objects.filter(declaration_id=declaration.pk).values_list(
            "area_id", flat=True
        )
    )


def _listed_per_area(declaration: Declaration) -> dict[int, int]:
    return dict(
        RegisterEntry.objects.filter(
            tenant_id=declaration.tenant_id, area_id__in=_covered_list(declaration),
            status=EntryStatus.LISTED,
        )
        .values_list("area_id")
        .annotate(n=Count("*"))
        .order_by()
    )  # fmt: skip


def _marked_per_area(declaration: Declaration) -> dict[int, dict[str, int]]:
    """Statuses by (area, state) from the status table's own area (set at each mark, so no
    join with the register), less those of people removed from the register since."""
    statuses = SafetyStatus.objects.filter(
        tenant_id=declaration.tenant_id, declaration_id=declaration.pk
    )
    marked: dict[int, dict[str, int]] = defaultdict(dict)
    for area_id, state, n in (
        statuses.values_list("area_id", "state").annotate(n=Count("*")).order_by()
    ):
        marked[area_id][state] = n
    removed = RegisterEntry.objects.filter(
        tenant_id=declaration.tenant_id, status=EntryStatus.REMOVED
    ).values("pk")
    for area_id, state, n in (
        statuses.filter(entry_id__in=removed)
        .values_list("area_id", "state")
        .annotate(n=Count("*"))
        .order_by()
    ):
        marked[area_id][state] -= n
    return marked


# ---- reads: who saw what -----------------------------------------------------------------------


@dataclass
class ViewerRow:
    user_id: int | None
    username: str
    role: str
    views: int = 0
    entries: list[tuple[int, str, int]] = field(default_factory=list)  # (entry id, label, views)

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


def declaration_report(actor: Actor, declaration: Declaration) -> list[ViewerRow]:
    """Per user, the register entries they opened or listed during the declaration, from the
    audit log. System admins see entry numbers (resident_key), municipal staff names."""
    policy.require(actor, "disaster.view_declaration_report")
    if declaration.tenant_id != actor.tenant_id:
        raise Http404
    until = declaration.ended_at or timezone.now()
    grouped = (
        AuditEntry.objects.filter(
            tenant_id=declaration.tenant_id, subject_type=ENTRY_TYPE,
            occurred_at__gte=declaration.declared_at, occurred_at__lte=until,
            action__in=[Action.READ, Action.EXPORT],
        )
        .values_list("actor_id", "actor_username", "actor_role", "subject_id")
        .annotate(n=Count("pk"))
        .order_by("actor_username", "subject_id")
    )  # fmt: skip
    rows = list(grouped)
    labels = _entry_labels(actor, declaration.tenant_id, {r[3] for r in rows})
    viewers: dict[tuple, ViewerRow] = {}
    for user_id, username, role, subject_id, n in rows:
        viewer = viewers.setdefault(
            (user_id, username, role), ViewerRow(user_id=user_id, username=username, role=role)
        )
        viewer.views += n
        entry_id = int(subject_id) if subject_id.isdigit() else 0
        viewer.entries.append((entry_id, labels.get(subject_id, subject_id), n))
    return sorted(viewers.values(), key=lambda v: (-v.views, v.username))


def _entry_labels(actor: Actor, tenant_id: int, subject_ids: set[str]) -> dict[str, str]:
    ids = [int(s) for s in subject_ids if s.isdigit()]
    rows = RegisterEntry.objects.filter(tenant_id=tenant_id, pk__in=ids)
    if actor.role == Role.MUNICIPAL_STAFF:
        return {
            str(pk): f"{name} ({key})"
            for pk, name, key in rows.values_list("pk", "name", "resident_key")
        }
    # System admins see no personal content: the entry's number only.
    return {str(pk): key for pk, key in rows.values_list("pk", "resident_key")}


def report_named_entries(actor: Actor, viewers: list[ViewerRow]) -> list[RegisterEntry]:
    """Entries whose names the report shows (municipal staff only): their reads are audited."""
    if actor.role != Role.MUNICIPAL_STAFF:
        return []
    ids = {entry_id for viewer in viewers for entry_id, _label, _n in viewer.entries}
    return list(
        RegisterEntry.objects.filter(tenant_id=actor.tenant_id, pk__in=ids).only("pk", "tenant_id")
    )


# ---- metric --------------------------------------------------------------------------------------


def safety_check_completion(tenant_id: int, fiscal_year: int) -> float | None:
    """安否確認完了率 (%): the latest declaration that started in the fiscal year; share of
    listed entries in its covered areas whose latest state is not unknown."""
    start, end = fiscal_year_bounds(fiscal_year)
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    declaration = (
        Declaration.objects.filter(
            tenant_id=tenant_id, declared_at__gte=since, declared_at__lt=until
        )
        .order_by("-declared_at")
        .first()
    )
    if declaration is None:
        return None
    rows = progress_by_area_total(declaration)
    listed, done = rows
    return round(100 * done / listed, 1) if listed else None


def progress_by_area_total(declaration: Declaration) -> tuple[int, int]:
    """(listed, done) over the whole declaration, each person counted once."""
    covered = _covered_ids(declaration)
    listed = RegisterEntry.objects.filter(
        tenant_id=declaration.tenant_id, status=EntryStatus.LISTED, area_id__in=covered
    ).count()
    done = (
        SafetyStatus.objects.filter(
            declaration_id=declaration.pk,
            entry__status=EntryStatus.LISTED,
            entry__area_id__in=covered,
        )  # fmt: skip
        .exclude(state=SafetyState.UNKNOWN)
        .count()
    )
    return listed, done
