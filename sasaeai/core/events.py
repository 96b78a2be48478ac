"""The events registry: modules say that something happened that someone should look at
(docs/notifications.md).

A module declares its event kinds from its AppConfig.ready() and publishes events from its
services: a kind, a tenant, the user ids it concerns and a link, never personal content (no
names, no case text): whoever follows the link meets the target page's own permissions.
Delivery waits for the publishing transaction to commit (nothing is said about a write that
was rolled back). Subscribers (the notifications app) register a handler here; core imports
none of them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.functional import Promise


@dataclass(frozen=True)
class EventKind:
    key: str  # "<app>.<what_happened>", e.g. "consultation.referral_received"
    label: str | Promise  # what the user reads (and the only words of an e-mail)
    asks_action: bool  # someone is asked to act: e-mailed at once unless they choose otherwise
    source: str  # the module that registers it


@dataclass(frozen=True)
class Event:
    kind: str
    tenant_id: int
    recipients: tuple[int, ...]
    target_url: str
    object_type: str = ""
    object_id: int | None = None


_kinds: dict[str, EventKind] = {}
_subscribers: list[Callable[[Event], None]] = []


def register(kind: EventKind) -> None:
    if kind.key in _kinds and _kinds[kind.key] != kind:
        raise ValueError(f"Event kind {kind.key} is already registered by another module")
    _kinds[kind.key] = kind


def get(key: str) -> EventKind:
    return _kinds[key]


def all_kinds() -> list[EventKind]:
    return sorted(_kinds.values(), key=lambda k: k.key)


def subscribe(handler: Callable[[Event], None]) -> None:
    """`handler(event)` runs after the publishing transaction commits."""
    if handler not in _subscribers:
        _subscribers.append(handler)


def publish(
    kind: str,
    tenant_id: int,
    recipients: Iterable[int | None],
    target_url: str,
    object_type: str = "",
    object_id: int | None = None,
    *,
    actor_id: int | None = None,
) -> Event | None:
    """Announce an event to `recipients` (user ids) once the current transaction commits.

    `actor_id`, the user who caused it, is left out: nobody is told what they did themselves.
    Returns the event, or None when it concerns no one.
    """
    if kind not in _kinds:
        raise KeyError(f"Unknown event kind {kind}")
    if not target_url.startswith("/") or target_url.startswith("//"):
        raise ValueError("An event links to a page of this site: a path starting with /")
    users = tuple(sorted({int(u) for u in recipients if u is not None and u != actor_id}))
    if not users:
        return None
    event = Event(kind, tenant_id, users, target_url, object_type, object_id)

    def deliver():
        for handler in list(_subscribers):
            handler(event)

    transaction.on_commit(deliver)
    return event
