"""Concerns passed to the consultation desk by other modules (気になる → 相談受付).

A watch-over visit that finds something wrong, or a business with a 見守り協定 that reports a
concern, hands it to the desk without importing the consultation app: the consultation app
registers the one receiver from its `ready()`, and the sender keeps the returned reference
(the intake's number and page) as its link. Personal content travels only in this call.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Concern:
    tenant_id: int
    description: str
    source: str  # "<app>.<what>", e.g. "watch.contact", shown to the desk as where it came from
    source_id: int
    subject_name: str = ""
    subject_name_kana: str = ""
    subject_address: str = ""
    subject_phone: str = ""
    area_id: int | None = None
    urgent: bool = False


@dataclass(frozen=True)
class Receipt:
    reference: int  # the intake's id in the receiving module
    url: str  # its page, which applies its own permissions


_receiver: Callable | None = None


def register_receiver(receive: Callable) -> None:
    """`receive(actor, concern) -> Receipt`, run inside the sender's transaction."""
    global _receiver
    if _receiver is not None and _receiver is not receive:
        raise ValueError("A concern receiver is already registered")
    _receiver = receive


def pass_concern(actor, concern: Concern) -> Receipt:
    """Hand a concern to the desk; raises LookupError when no module receives concerns."""
    if _receiver is None:
        raise LookupError("No module receives concerns")
    return _receiver(actor, concern)
