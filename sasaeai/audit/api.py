from datetime import datetime

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from sasaeai.accounts import policy
from sasaeai.audit import selectors
from sasaeai.core.pagination import BoundedLimitOffsetPagination

router = Router(tags=["audit"])


class EntryOut(Schema):
    sequence: int
    occurred_at: datetime
    actor_username: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    subject_type: str
    subject_id: str
    ip_address: str | None


class EntryFilter(Schema):
    subject_type: str = ""
    subject_id: str = ""
    username: str = ""
    action: str = ""


@router.get("/entries", response=list[EntryOut])
@paginate(BoundedLimitOffsetPagination)
def list_entries(request, filters: Query[EntryFilter]):
    """Who did what to whose record: filter by subject to answer "who looked at this person?"."""
    policy.require(request.actor, "audit.view_log")
    return selectors.entries_visible_to(request.actor, **filters.dict())
