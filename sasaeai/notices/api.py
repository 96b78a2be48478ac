"""Router /notices: the tenant's notices for staff (read only; writes go through the pages)."""

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from sasaeai.accounts import policy
from sasaeai.core.pagination import BoundedLimitOffsetPagination
from sasaeai.notices import selectors

router = Router(tags=["notices"])


class NoticeOut(Schema):
    id: int
    title: str
    body: str
    easy_title: str
    easy_body: str
    title_en: str
    body_en: str
    topic_keys: list[str]
    area_ids: list[int]
    audience_keys: list[str]
    status: str
    published_at: datetime | None
    mail_job_id: int | None
    readings_approved: bool
    public_path: str


class ReadingEntryOut(Schema):
    id: int
    surface: str
    reading: str
    note: str


@router.get("", response=list[NoticeOut])
@paginate(BoundedLimitOffsetPagination)
def notice_list(request, status: str | None = None):
    """The tenant's notices, newest first (`status`: draft, published or withdrawn)."""
    policy.require(request.actor, "notices.manage")
    rows = selectors.notices_visible_to(request.actor)
    if status:
        rows = rows.filter(status=status)
    return rows


@router.get("/dictionary", response=list[ReadingEntryOut])
@paginate(BoundedLimitOffsetPagination)
def dictionary(request):
    """The tenant's reading dictionary (place and person names)."""
    policy.require(request.actor, "notices.manage")
    return selectors.reading_entries_of(request.actor)


@router.get("/{notice_id}", response=NoticeOut)
def notice_detail(request, notice_id: int):
    return selectors.notice_for(request.actor, notice_id)
