from datetime import date, datetime, time

from django.db.models import Q, QuerySet
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.audit.models import AuditEntry


def entries_visible_to(
    actor: policy.Actor,
    *,
    subject_type: str = "",
    subject_id: str = "",
    username: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries of the actor's tenant, narrowed for "who looked at this person?"."""
    entries = policy.scope(actor, "audit.view_log", AuditEntry.objects.all())
    if subject_type and subject_id:
        entries = entries.filter(
            Q(subject_type=subject_type, subject_id=subject_id)
            | Q(object_type=subject_type, object_id=subject_id)
        )
    elif subject_type:
        entries = entries.filter(Q(subject_type=subject_type) | Q(object_type=subject_type))
    if username:
        entries = entries.filter(actor_username=username)
    if action:
        entries = entries.filter(action=action)
    tz = timezone.get_current_timezone()
    if since:
        entries = entries.filter(occurred_at__gte=datetime.combine(since, time.min, tzinfo=tz))
    if until:
        entries = entries.filter(occurred_at__lte=datetime.combine(until, time.max, tzinfo=tz))
    return entries.order_by("-sequence")
