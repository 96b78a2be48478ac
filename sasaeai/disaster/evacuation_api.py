"""/api/v1/disaster/plans and /shelters: the same selectors, services and scope as the pages
(a care planner reads and writes only their own plans; another plan is a 404)."""

from datetime import date

from ninja import Router, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import paginate

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core.pagination import MAX_LIMIT, BoundedLimitOffsetPagination
from sasaeai.disaster import evacuation

router = Router()


class ErrorOut(Schema):
    error: dict


ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class SupporterOut(Schema):
    id: int
    name: str
    address: str
    phone: str
    relation: str


class PlanSummaryOut(Schema):
    id: int
    entry_id: int
    name: str
    area_id: int | None
    status: str
    destination_kind: str
    shelter_id: int | None
    care_planner_id: int | None
    consent_on: date | None
    version: int

    @staticmethod
    def resolve_name(plan) -> str:
        return plan.entry.name

    @staticmethod
    def resolve_area_id(plan) -> int | None:
        return plan.entry.area_id


class PlanOut(PlanSummaryOut):
    destination_name: str
    route: str
    medical_devices: str
    medication: str
    mobility: str
    other_needs: str
    reviewed_on: date | None
    supporters: list[SupporterOut]

    @staticmethod
    def resolve_supporters(plan) -> list:
        return list(plan.supporters.all())


class PlanIn(Schema):
    version: int
    status: str = "draft"
    consent_on: date | None = None
    destination_kind: str = ""
    shelter_id: int | None = None
    destination_name: str = ""
    route: str = ""
    medical_devices: str = ""
    medication: str = ""
    mobility: str = ""
    other_needs: str = ""
    reviewed_on: date | None = None


class ShelterOut(Schema):
    id: int
    place_id: int | None
    name: str
    address: str
    phone: str
    operator: str
    agreement_on: date | None
    capacity: int
    targets: list[str]
    accepts_direct: bool
    is_active: bool
    direct_plans: int


def _page(request, rows) -> list:
    """The slice @paginate will return (it has validated limit and offset), for the audit."""
    offset = int(request.GET.get("offset") or 0)
    limit = min(int(request.GET.get("limit") or ninja_settings.PAGINATION_PER_PAGE), MAX_LIMIT)
    return list(rows[offset : offset + limit])


@router.get("/plans", response={200: list[PlanSummaryOut], **ERRORS})
@paginate(BoundedLimitOffsetPagination)
def plan_list(request, status: str = ""):
    policy.require(request.actor, "disaster.view_plan")
    rows = evacuation.plans_visible_to(request.actor, status=status)
    audit_reads(request.actor, _page(request, rows), subject_of=lambda plan: plan.entry)
    return rows


@router.get("/plans/{plan_id}", response={200: PlanOut, **ERRORS})
def plan_detail(request, plan_id: int):
    policy.require(request.actor, "disaster.view_plan")
    plan = evacuation.plan_for(request.actor, plan_id)
    audit_object(request.actor, Action.READ, plan, subject=plan.entry)
    return plan


@router.put("/plans/{plan_id}", response={200: PlanOut, **ERRORS})
def plan_update(request, plan_id: int, payload: PlanIn):
    """The whole plan form; `version` as read: a newer save answers 409 `conflict`."""
    policy.require(request.actor, "disaster.edit_plan")
    plan = evacuation.plan_for(request.actor, plan_id)
    data = payload.dict()
    version = data.pop("version")
    return evacuation.plan_update(actor=request.actor, plan=plan, data=data, version=version)


@router.get("/shelters", response={200: list[ShelterOut], **ERRORS})
def shelter_list(request):
    """Welfare shelters hold no personal content: every permitted member sees all of them."""
    policy.require(request.actor, "disaster.view_shelters")
    return list(evacuation.shelters_visible_to(request.actor))
