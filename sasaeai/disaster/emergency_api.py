"""/api/v1/disaster/declarations: the active declarations, and marks from the phone app.

A phone may queue marks while offline and send them later with the time they were made
(`marked_at`); the newest mark wins the status whatever the order of arrival. Errors are
the project's error body in Japanese: an ended declaration 409, an entry the caller may not
see (or outside the declared areas) 404, a bad state 422.
"""

from datetime import datetime

from ninja import Router, Schema

try:  # django-ninja ≥ 1.5
    from ninja import Status
except ImportError:  # pragma: no cover

    def Status(code, body):  # noqa: N802
        return code, body


from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.middleware import api_error
from sasaeai.disaster import emergency

router = Router()


class ErrorOut(Schema):
    error: dict


ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class DeclarationOut(Schema):
    id: int
    reason: str
    declared_at: datetime
    area_ids: list[int]
    area_names: list[str]
    includes_commissioners: bool


class CheckIn(Schema):
    entry_id: int
    state: str
    place: str = ""
    note: str = ""
    marked_at: datetime | None = None


class CheckOut(Schema):
    id: int
    entry_id: int
    state: str
    place: str
    marked_at: datetime
    latest_state: str
    latest_marked_at: datetime


def _declaration_out(declaration) -> dict:
    areas = list(declaration.areas.all())
    return {
        "id": declaration.pk, "reason": declaration.reason,
        "declared_at": declaration.declared_at,
        "area_ids": [a.pk for a in areas], "area_names": [a.name for a in areas],
        "includes_commissioners": declaration.includes_commissioners,
    }  # fmt: skip


@router.get("/declarations", response={200: list[DeclarationOut], **ERRORS})
def declaration_list(request):
    """The active declarations of the caller's tenant (no personal content)."""
    policy.require(request.actor, "disaster.view_declarations")
    return [_declaration_out(d) for d in emergency.active_declarations(request.actor)]


@router.post("/declarations/{declaration_id}/checks", response={201: CheckOut, **ERRORS})
def check_create(request, declaration_id: int, payload: CheckIn):
    actor = request.actor
    policy.require(actor, "disaster.check_safety")
    declaration = emergency.declaration_for(actor, declaration_id, "disaster.check_safety")
    if not declaration.is_active:
        return api_error(
            409, "declaration_ended", _("This declaration has ended: marks are no longer recorded.")
        )
    entry = emergency.entry_for_marking(actor, declaration, payload.entry_id)
    data = emergency.MarkInput(
        state=payload.state, place=payload.place, note=payload.note, marked_at=payload.marked_at
    )
    try:
        check = emergency.safety_mark(actor=actor, declaration=declaration, entry=entry, data=data)
    except emergency.DeclarationEnded as error:
        return api_error(409, "declaration_ended", error.messages[0])
    status = emergency.statuses_for(declaration, [entry])[entry.pk]
    return Status(
        201,
        {"id": check.pk, "entry_id": entry.pk, "state": check.state, "place": check.place,
         "marked_at": check.marked_at, "latest_state": status.state,
         "latest_marked_at": status.marked_at},
    )  # fmt: skip
