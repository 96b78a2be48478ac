"""The figure the plans read: subscribers of a topic (`subscriptions.subscribers:<topic key>`).

For the current fiscal year (or a later one): the confirmed subscribers of the topic now.
For a past fiscal year: subscribers of the topic confirmed before the year ended (31 March,
24:00 Japan time) and neither unsubscribed nor bounced before then. This is a reconstruction
from the dates each row keeps, not a stored history: someone who left and subscribed again
counts from their latest confirmation, and a topic deleted since counts nobody.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.subscriptions.models import Subscriber, SubscriberStatus, Topic

FAMILY = "subscriptions.subscribers"


def subscriber_count(tenant_id: int, fiscal_year: int, topic_key: str) -> int | None:
    if not Topic.objects.filter(tenant_id=tenant_id, key=topic_key).exists():
        return None
    rows = Subscriber.objects.filter(
        tenant_id=tenant_id, subscriptions__topic__key=topic_key
    ).distinct()
    if fiscal_year >= fiscal_year_of(timezone.localdate()):
        return rows.filter(status=SubscriberStatus.CONFIRMED).count()
    end = datetime.datetime(fiscal_year + 1, 4, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return (
        rows.filter(confirmed_at__lt=end)
        .exclude(status=SubscriberStatus.PENDING)
        .filter(Q(unsubscribed_at__isnull=True) | Q(unsubscribed_at__gte=end))
        .filter(Q(bounced_at__isnull=True) | Q(bounced_at__gte=end))
        .count()
    )


def topic_options(tenant_id: int) -> list[tuple[str, str]]:
    return list(
        Topic.objects.filter(tenant_id=tenant_id).order_by("order", "pk").values_list("key", "name")
    )


def register_metrics() -> None:
    metrics.register_family(
        metrics.MetricFamily(
            key=FAMILY,
            label=_("E-mail subscribers"),
            unit=_("people"),
            compute=subscriber_count,
            options=topic_options,
            source="subscriptions",
        )
    )
