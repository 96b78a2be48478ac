"""Where what is said to residents (notices) meets the one way of mailing them (subscriptions).

A module that writes to residents registers a *source*: given an object id and a language, it
renders the mail (subject, plain text, the public page's path). The subscriptions app registers
the *channel*: it counts and mails the confirmed subscribers a `Target` matches, as a background
job. Neither imports the other (docs/architecture.md, the dependency rule).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

# Who a notice is for, beyond the topics: subscribers may say which of these concern them.
AUDIENCES = {
    "elderly": _("older people and their families"),
    "child_rearing": _("families raising children"),
    "disability": _("people with disabilities and their families"),
    "youth": _("young people"),
    "helpers": _("volunteers and people active in the community"),
}


@dataclass(frozen=True)
class Target:
    """Subscribers of any of `topic_keys`; narrowed by areas and audiences when given.

    A subscriber who named no area (or no audience) hears about every area (or audience)."""

    tenant_id: int
    topic_keys: tuple[str, ...]
    area_ids: tuple[int, ...] = ()
    audience_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Content:
    subject: str
    text: str  # plain text; the mail adds the page link and the one-click opt-out link
    path: str  # the public page of this content ("/notices/<tenant code>/<id>/")


@dataclass(frozen=True)
class Channel:
    count: Callable[[Target], int]
    # (actor, target, source key, object id) → the job's id; the job mails each subscriber in
    # their language and records each delivery.
    send: Callable[..., int]
    topics: Callable[[int], list[tuple[str, str]]] = field(default=lambda tenant_id: [])


class Withdrawn(Exception):
    """Raised by a source's render when its content may no longer be sent (withdrawn or
    deleted after the mailing was queued): the mailing stops."""


_sources: dict[str, Callable[[int, int, str], Content]] = {}
_channel: list[Channel] = []


def register_source(key: str, render: Callable[[int, int, str], Content]) -> None:
    """`render(tenant_id, object_id, language)`; language is "ja" or "en". It raises
    `Withdrawn` once the content may no longer be sent."""
    if key in _sources and _sources[key] is not render:
        raise ValueError(f"Broadcast source {key} is already registered")
    _sources[key] = render


def render(key: str, tenant_id: int, object_id: int, language: str) -> Content:
    return _sources[key](tenant_id, object_id, language)


def register_channel(channel: Channel) -> None:
    _channel[:] = [channel]


def channel() -> Channel | None:
    """The registered channel, or None when no module mails residents."""
    return _channel[0] if _channel else None
