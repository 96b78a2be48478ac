"""Demo topics and subscribers for the three demo cities (example.jp addresses, is_demo=True).

所沢市 gets its two real lists, ところざわほっとメール and ボランティア情報配信サービス, which its plan's
indicators 46 and 47 count (plans.demo.METRIC_BINDINGS); 桶川市 and 鴻巣市 the general topic.
Confirmation dates spread over the last two years, so past fiscal years have figures too.
"""

import datetime

from django.utils import timezone

from sasaeai.core.demo import stable_unit
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.tenancy import tenant_context
from sasaeai.subscriptions.models import (
    Subscriber,
    SubscriberArea,
    SubscriberStatus,
    Subscription,
    Topic,
)
from sasaeai.subscriptions.services import ensure_general_topic

TOPICS = {
    "112089": [
        ("hotmail", "ところざわほっとメール", "Tokorozawa Hot Mail",
         "防災・防犯・子育て・健康など、市からのお知らせをメールでお届けします。"),
        ("volunteer_info", "ボランティア情報配信サービス", "Volunteer information",
         "社会福祉協議会ボランティアセンターから、ボランティア募集や講座の情報をお届けします。"),
    ],
}  # fmt: skip
SUBSCRIBERS = {"112089": 40, "112097": 12, "112178": 12}


def load_subscriptions(tenants: dict) -> None:
    now = timezone.now()
    for code, tenant in tenants.items():
        with tenant_context(tenant.pk):
            topics = []
            for order, (key, name, name_en, description) in enumerate(TOPICS.get(code, ()), 1):
                topics.append(
                    Topic.objects.create(
                        tenant=tenant,
                        key=key,
                        name=name,
                        name_en=name_en,
                        description=description,
                        order=order * 10,
                    )  # fmt: skip
                )
            general = ensure_general_topic(tenant.pk)
            if general is not None:
                topics.append(general)
            districts = list(
                Area.objects.filter(tenant=tenant, kind=AreaKind.DISTRICT).order_by("code")
            )
            for n in range(SUBSCRIBERS.get(code, 0)):
                unit = stable_unit("subscriber", code, n)
                confirmed_at = now - datetime.timedelta(days=int(730 * unit))
                status = SubscriberStatus.CONFIRMED
                unsubscribed_at = None
                if n % 13 == 5:
                    status, unsubscribed_at = SubscriberStatus.UNSUBSCRIBED, now
                subscriber = Subscriber.objects.create(
                    tenant=tenant, email=f"demo{n + 1:03d}@{code}.example.jp",
                    language="en" if n % 10 == 9 else "ja", status=status,
                    confirmed_at=confirmed_at, created=confirmed_at,
                    unsubscribed_at=unsubscribed_at, is_demo=True,
                )  # fmt: skip
                # The first topic for everyone, the second for two in three.
                chosen = topics[:1] + [t for i, t in enumerate(topics[1:]) if n % 3 != i % 3]
                Subscription.objects.bulk_create(
                    [Subscription(tenant=tenant, subscriber=subscriber, topic=t, created=confirmed_at)
                     for t in chosen]
                )  # fmt: skip
                if districts and n % 4 == 0:
                    SubscriberArea.objects.create(
                        tenant=tenant, subscriber=subscriber, area=districts[n % len(districts)]
                    )
