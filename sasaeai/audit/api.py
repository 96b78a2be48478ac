from datetime import datetime

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from sasaeai.accounts import policy
from sasaeai.audit import selectors
from sasaeai.audit.services import audit_log_read
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
    subject_type: str
    subject_id: str
    ip_address: str | None


class EntryFilter(Schema):
    subject_type: str = ""
    subject_id: str = ""
    username: str = ""
    action: str = ""


class AuditedPagination(BoundedLimitOffsetPagination):
    """Records the read of the page actually returned: reading the log is audited too."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        filters = {k: v for k, v in params["filters"].dict().items() if v}
        audit_log_read(request.actor, filters=filters, shown=len(page["items"]))
        return page


@router.get("/entries", response=list[EntryOut])
@paginate(AuditedPagination)
def list_entries(request, filters: Query[EntryFilter]):
    """Who did what to whose record: filter by subject to answer "who looked at this person?".

    Entries name the record (type and id), never its content.
    """
    policy.require(request.actor, "audit.view_log")
    return selectors.entries_visible_to(request.actor, **filters.dict())
