"""Router /commissioners: a commissioner's entries and monthly form, the fiscal-year totals;
the same services, policy and audit as the pages (a commissioner their own, the office all)."""

import datetime

from django.http import Http404
from ninja import Router, Schema

try:  # django-ninja ≥ 1.5
    from ninja import Status
except ImportError:  # pragma: no cover

    def Status(code, body):  # noqa: N802
        return code, body


from sasaeai.accounts import policy
from sasaeai.commissioners import selectors, services, tally
from sasaeai.commissioners.views import audit_form_read, audit_totals_read

router = Router(tags=["commissioners"])


class ErrorOut(Schema):
    error: dict


ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class EntryIn(Schema):
    day: datetime.date
    kind: str
    field: str = ""
    topic: str = ""
    detail: str = ""
    count: int = 1
    note: str = ""
    commissioner_id: int | None = None


class ActivityEntryOut(Schema):
    id: int
    commissioner_id: int
    day: datetime.date
    kind: str
    field: str
    topic: str
    detail: str
    count: int
    note: str


class CellOut(Schema):
    key: str
    section: str
    label: str
    value: int


class FormOut(Schema):
    commissioner_id: int
    month: str
    status: str
    cells: list[CellOut]


class TotalsOut(Schema):
    fiscal_year: int
    commissioners: int
    cells: list[CellOut]


def _month(year: int, month: int) -> datetime.date:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    return datetime.date(year, month, 1)


def _cells(figures) -> list[dict]:
    return [
        {"key": r.key, "section": r.section, "label": r.label, "value": r.value}
        for r in tally.rows(figures)
    ]


@router.post("/entries", response={201: ActivityEntryOut, **ERRORS})
def entry_create(request, payload: EntryIn):
    entry = services.entry_create(actor=request.actor, **payload.dict())
    return Status(201, entry)


@router.get("/forms/{user_id}/{year}/{month}", response={200: FormOut, **ERRORS})
def monthly_form(request, user_id: int, year: int, month: int):
    """One commissioner's month as the national form's cells (an audited read)."""
    form = selectors.monthly_form(request.actor, user_id, _month(year, month))
    audit_form_read(request.actor, user_id, form.month, "api")
    return {"commissioner_id": user_id, "month": f"{form.month:%Y-%m}", "status": form.status,
            "cells": _cells(form.figures)}  # fmt: skip


@router.get(
    "/forms/{user_id}/{year}/{month}/entries", response={200: list[ActivityEntryOut], **ERRORS}
)
def monthly_entries(request, user_id: int, year: int, month: int):
    form = selectors.monthly_form(request.actor, user_id, _month(year, month))
    audit_form_read(request.actor, user_id, form.month, "api-entries")
    return form.entries


@router.get("/fiscal-years/{year}", response={200: TotalsOut, **ERRORS})
def fiscal_year(request, year: int):
    policy.require(request.actor, "commissioners.view_totals")
    if not 2000 <= year <= 2100:
        raise Http404
    totals = selectors.fiscal_year_totals(request.actor, year)
    audit_totals_read(request.actor, "fiscal_year", str(year), "api")
    return {"fiscal_year": year, "commissioners": totals.commissioners,
            "cells": _cells(totals.figures)}  # fmt: skip
