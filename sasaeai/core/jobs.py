"""The job kinds registry: background work that a module offers (docs/jobs.md).

The module that owns the work registers a kind from its AppConfig.ready(): its handler, the
permission needed to start it, see it and download its result, and an optional `authorize`
check on the parameters (for example "the plan is still visible to this actor"), run when the
job is started and again on every download. The jobs app (sasaeai.jobs) stores, queues and runs
jobs by kind; it never imports the owning module, and the owner never imports the jobs models.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.functional import Promise


class JobError(Exception):
    """A failure the user should read: the message (Japanese) is shown on the job page."""


# How many problems a failed import's job message lists, each on its own line with its place.
PROBLEMS_SHOWN = 20


def problems_error(count: int, lines: list[str]) -> JobError:
    """A JobError for an import refused when it was applied: how many errors, nothing saved,
    then the first PROBLEMS_SHOWN of them, one a line ("3行目: …"), as the job page shows them."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    text = ngettext(
        "%(count)d error was found; nothing was saved.",
        "%(count)d errors were found; nothing was saved.",
        count,
    ) % {"count": count}
    shown = lines[:PROBLEMS_SHOWN]
    text = "\n".join([text, *shown])
    if count > len(shown):
        text += "\n" + _("… and %(count)d more.") % {"count": count - len(shown)}
    return JobError(text)


@dataclass(frozen=True)
class JobOutput:
    filename: str
    content_type: str
    data: bytes


class JobRun(Protocol):
    """What a handler receives (sasaeai.jobs.runner.Run)."""

    job_id: int
    tenant_id: int
    parameters: dict[str, Any]
    actor: Any  # accounts.policy.Actor of the user who asked

    def progress(self, done: int, total: int | None = None, stage: str = "") -> None: ...


@dataclass(frozen=True)
class JobKind:
    key: str  # "<app>.<name>"
    label: str | Promise
    handler: Callable[[JobRun], JobOutput | None]
    permission: str
    source: str  # the module that registers it
    # (actor, parameters) -> None; raises Http404 / PermissionDenied / ValidationError.
    authorize: Callable[[Any, dict], None] | None = None
    # True: the handler runs in one transaction (all or nothing). A read-only handler (a report)
    # says False, so that it holds no write lock while it works.
    writes: bool = True
    # (parameters) -> URL of the page that shows what the job did (an import's summary).
    result_url: Callable[[dict], str] | None = None


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    if kind.key in _kinds and _kinds[kind.key] != kind:
        raise ValueError(f"Job kind {kind.key} is already registered by another module")
    _kinds[kind.key] = kind


def get(key: str) -> JobKind:
    return _kinds[key]


def all_kinds() -> list[JobKind]:
    return sorted(_kinds.values(), key=lambda k: k.key)
