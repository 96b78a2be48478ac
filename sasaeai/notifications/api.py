"""Router /notifications: one's own notifications in the current tenant, and marking them read."""

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from sasaeai.accounts import policy
from sasaeai.core.pagination import BoundedLimitOffsetPagination
from sasaeai.notifications import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    label: str
    url: str
    created: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_label(obj) -> str:
        return selectors.kind_label(obj.kind)


class UnreadOut(Schema):
    unread: int


@router.get("", response=list[NotificationOut])
@paginate(BoundedLimitOffsetPagination)
def notification_list(request, unread: bool = False):
    """The signed-in member's notifications, newest first (`unread=true`: unread only)."""
    policy.require(request.actor, "notifications.view_own")
    rows = selectors.notifications_of(request.actor)
    if unread:
        rows = rows.unread()
    return rows  # paginate slices the query: one page is read


@router.get("/unread-count", response=UnreadOut)
def unread_count(request):
    policy.require(request.actor, "notifications.view_own")
    return UnreadOut(unread=selectors.unread_count(request.actor))


@router.post("/{notification_id}/read", response=NotificationOut)
def mark_read(request, notification_id: int):
    """Mark one's own notification read: 404 for anyone else's or another tenant's."""
    policy.require(request.actor, "notifications.view_own")
    return services.notification_mark_read(actor=request.actor, notification_id=notification_id)


@router.post("/read-all", response=UnreadOut)
def mark_all_read(request):
    policy.require(request.actor, "notifications.view_own")
    services.notifications_mark_all_read(actor=request.actor)
    return UnreadOut(unread=0)
