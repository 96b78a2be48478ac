"""The mailing channel of core.broadcasts: who a Target reaches, and sending to them as a job.

`recipients(target)` is one query: confirmed subscribers of the tenant with a subscription to
an active topic among the target's, narrowed by areas and audiences. A subscriber who named no
area hears about every area (likewise audiences). Area matching follows the tree one step both
ways: a notice for 桶川地区 reaches who chose 桶川第1区 (a sub-area), and a notice for 桶川第1区
reaches who chose the whole 桶川地区.
"""

from django.db.models import Q, QuerySet

from sasaeai.core import broadcasts
from sasaeai.core.broadcasts import Channel, Target
from sasaeai.core.models import Area
from sasaeai.subscriptions.models import (
    Subscriber,
    SubscriberArea,
    SubscriberAudience,
    SubscriberStatus,
    Subscription,
    Topic,
)

SEND_KIND = "subscriptions.send"


def recipients(target: Target) -> QuerySet[Subscriber]:
    # Each condition is an uncorrelated `id IN (subquery)`: PostgreSQL and SQLite build each
    # set once (a hashed subplan), where correlated EXISTS with an OR ran once per subscriber.
    tenant_id = target.tenant_id
    topics = Topic.objects.filter(
        tenant_id=tenant_id, key__in=list(target.topic_keys), active=True
    ).values("pk")
    rows = Subscriber.objects.filter(
        tenant_id=tenant_id,
        status=SubscriberStatus.CONFIRMED,
        # The topics are the tenant's: no tenant filter needed on their subscriptions.
        pk__in=Subscription.objects.filter(topic_id__in=topics).values("subscriber_id"),
    )
    if target.area_ids:
        ids = list(target.area_ids)
        parents = Area.objects.filter(tenant_id=tenant_id, pk__in=ids, parent__isnull=False)
        near = Area.objects.filter(
            Q(pk__in=ids) | Q(parent_id__in=ids) | Q(pk__in=parents.values("parent_id")),
            tenant_id=tenant_id,
        ).values("pk")
        chose = SubscriberArea.objects.filter(tenant_id=tenant_id)
        rows = rows.filter(
            ~Q(pk__in=chose.values("subscriber_id"))
            | Q(pk__in=chose.filter(area_id__in=near).values("subscriber_id"))
        )
    if target.audience_keys:
        chose = SubscriberAudience.objects.filter(tenant_id=tenant_id)
        keys = list(target.audience_keys)
        rows = rows.filter(
            ~Q(pk__in=chose.values("subscriber_id"))
            | Q(pk__in=chose.filter(audience__in=keys).values("subscriber_id"))
        )
    return rows


def count(target: Target) -> int:
    return recipients(target).count()


def target_parameters(target: Target) -> dict:
    return {
        "topic_keys": list(target.topic_keys),
        "area_ids": [int(a) for a in target.area_ids],
        "audience_keys": list(target.audience_keys),
    }


def target_from(tenant_id: int, parameters: dict) -> Target:
    return Target(
        tenant_id=tenant_id,
        topic_keys=tuple(parameters.get("topic_keys") or ()),
        area_ids=tuple(int(a) for a in parameters.get("area_ids") or ()),
        audience_keys=tuple(parameters.get("audience_keys") or ()),
    )


def send(actor, target: Target, source_key: str, object_id: int) -> int:
    """Queue the mailing as a background job (SEND_KIND); returns the job's id at once."""
    from sasaeai.jobs.services import job_enqueue

    if target.tenant_id != actor.tenant_id:
        raise ValueError("A target of another tenant")
    job = job_enqueue(
        actor=actor,
        kind=SEND_KIND,
        parameters={"source": source_key, "object_id": int(object_id), **target_parameters(target)},
    )
    return job.pk


def topics(tenant_id: int) -> list[tuple[str, str]]:
    return list(
        Topic.objects.filter(tenant_id=tenant_id, active=True)
        .order_by("order", "pk")
        .values_list("key", "name")
    )


def register() -> None:
    broadcasts.register_channel(Channel(count=count, send=send, topics=topics))
