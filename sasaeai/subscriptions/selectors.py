"""Reads of the subscriptions app for staff: topics with their counts, subscribers by address.
Every list goes through accounts.policy.scope; pages that show addresses audit each row."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from sasaeai.accounts import policy
from sasaeai.subscriptions.models import Subscriber, SubscriberStatus, Topic

MANAGE = "subscriptions.manage"
SEARCH_LIMIT = 50


def public_topics(tenant_id: int) -> QuerySet[Topic]:
    return Topic.objects.filter(tenant_id=tenant_id, active=True).order_by("order", "pk")


def topics_with_counts(actor: policy.Actor) -> QuerySet[Topic]:
    """Every topic of the tenant with its confirmed subscribers, in one query."""
    return (
        policy.scope(actor, MANAGE, Topic.objects.all())
        .annotate(
            confirmed=Count(
                "subscriptions",
                filter=Q(subscriptions__subscriber__status=SubscriberStatus.CONFIRMED),
            ),
            waiting=Count(
                "subscriptions",
                filter=Q(subscriptions__subscriber__status=SubscriberStatus.PENDING),
            ),
        )
        .order_by("order", "pk")
    )


def topic_for(actor: policy.Actor, topic_id: int) -> Topic:
    topic = policy.scope(actor, MANAGE, Topic.objects.all()).filter(pk=topic_id).first()
    if topic is None:
        raise Http404
    return topic


def subscribers_matching(actor: policy.Actor, query: str) -> QuerySet[Subscriber]:
    """Subscribers whose address contains `query` (at least 3 characters), at most
    SEARCH_LIMIT: staff look up one resident's address, they do not browse the list."""
    query = query.strip()
    if len(query) < 3:
        return Subscriber.objects.none()
    rows = policy.scope(actor, MANAGE, Subscriber.objects.all())
    return rows.filter(email__icontains=query).order_by("email")[:SEARCH_LIMIT]


def subscriber_for(actor: policy.Actor, subscriber_id: int) -> Subscriber:
    subscriber = (
        policy.scope(actor, MANAGE, Subscriber.objects.all())
        .filter(pk=subscriber_id)
        .prefetch_related("subscriptions__topic")
        .first()
    )
    if subscriber is None:
        raise Http404
    return subscriber
