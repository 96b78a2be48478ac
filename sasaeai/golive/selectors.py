"""Reads of the go-live module: the checklist of the actor's tenant, the operator's tenant list."""

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.core import checklist
from sasaeai.core.checklist import DONE, STATE_LABELS, TODO, WARNING, ItemState
from sasaeai.core.models import Tenant

# `manage.py backup` writes sasaeai-<time>.* into settings.BACKUP_DIR; older than this is stale.
BACKUP_MAX_AGE = datetime.timedelta(hours=36)


@dataclass(frozen=True)
class ChecklistRow:
    key: str
    label: str
    state: str
    state_label: str
    detail: str
    facts: list[str]
    url: str


def checklist_for(actor: policy.Actor) -> list[ChecklistRow]:
    """Every registered item, checked for the actor's tenant (system admins only)."""
    policy.require(actor, "golive.view_checklist")
    rows = []
    for item in checklist.all_items():
        state = item.check(actor.tenant_id)
        try:
            url = reverse(state.url_name) if state.url_name else ""
        except NoReverseMatch:
            url = ""
        rows.append(
            ChecklistRow(
                key=item.key, label=str(item.label), state=state.state,
                state_label=str(STATE_LABELS[state.state]), detail=str(state.detail),
                facts=[str(fact) for fact in state.facts if fact], url=url,
            )
        )  # fmt: skip
    return rows


def newest_backup(directory: Path) -> Path | None:
    files = [p for p in directory.glob("sasaeai-*") if p.is_file()]
    return max(files, key=lambda p: p.stat().st_mtime, default=None)


def backups_state(tenant_id: int) -> ItemState:
    """The newest sasaeai-* file in settings.BACKUP_DIR, by its modification time."""
    configured = getattr(settings, "BACKUP_DIR", None)
    if not configured:
        return ItemState(
            WARNING, _("No backup directory is configured (BACKUP_DIR); see docs/golive.md.")
        )
    directory = Path(configured)
    newest = newest_backup(directory) if directory.is_dir() else None
    if newest is None:
        return ItemState(
            TODO,
            _("No backup in %(dir)s yet: schedule manage.py backup.") % {"dir": directory},
        )
    taken = datetime.datetime.fromtimestamp(newest.stat().st_mtime, tz=datetime.UTC)
    facts = [f"{newest.name} ({timezone.localtime(taken):%Y-%m-%d %H:%M})"]
    if timezone.now() - taken > BACKUP_MAX_AGE:
        return ItemState(WARNING, _("The newest backup is more than a day old."), facts=facts)
    return ItemState(DONE, _("A recent backup exists."), facts=facts)


def tenants_for_operator():
    """Every tenant, for the system operator. Tenants are global (not under RLS); their
    members are not counted here, since memberships are visible only inside their tenant."""
    return Tenant.objects.order_by("code")


__all__ = ["DONE", "TODO", "WARNING", "checklist_for", "backups_state", "tenants_for_operator"]
