import re

import pytest
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.core import broadcasts
from sasaeai.core.broadcasts import Content
from sasaeai.core.tenancy import tenant_context
from sasaeai.subscriptions.models import (
    Subscriber,
    SubscriberArea,
    SubscriberAudience,
    SubscriberStatus,
    Subscription,
    Topic,
)
from tests.consultation.factories import actor_of

SOURCE = "tests.notice"


@pytest.fixture
def source():
    """A small broadcast source: what a notices module would register."""
    rendered = []

    def render(tenant_id, object_id, language):
        rendered.append(language)
        if language == "en":
            return Content(f"Notice {object_id}", "A notice in English.", f"/n/{object_id}/")
        return Content(f"お知らせ{object_id}", "本文です。", f"/n/{object_id}/")

    saved = dict(broadcasts._sources)
    broadcasts.register_source(SOURCE, render)
    yield rendered
    broadcasts._sources.clear()
    broadcasts._sources.update(saved)


@pytest.fixture
def topics(world):
    a = world.tenant_a
    return {
        "news": Topic.objects.create(tenant=a, key="news", name="お知らせ", name_en="News"),
        "volunteer": Topic.objects.create(tenant=a, key="volunteer", name="ボランティア"),
        "other": Topic.objects.create(tenant=world.tenant_b, key="news", name="所沢のお知らせ"),
    }


def make_subscriber(tenant, email, topics, *, status=SubscriberStatus.CONFIRMED, areas=(),
                    audiences=(), language="ja", **extra):  # fmt: skip
    subscriber = Subscriber.objects.create(
        tenant=tenant, email=email, status=status, language=language,
        confirmed_at=timezone.now() if status == SubscriberStatus.CONFIRMED else None, **extra,
    )  # fmt: skip
    for topic in topics:
        Subscription.objects.create(tenant=tenant, subscriber=subscriber, topic=topic)
    for area in areas:
        SubscriberArea.objects.create(tenant=tenant, subscriber=subscriber, area=area)
    for key in audiences:
        SubscriberAudience.objects.create(tenant=tenant, subscriber=subscriber, audience=key)
    return subscriber


@pytest.fixture
def staff(world):
    return actor_of(world, Role.MUNICIPAL_STAFF)


def link_in(body: str, kind: str) -> str:
    """The path of the first link of `kind` (confirm, unsubscribe, preferences) in a mail."""
    found = re.search(rf"http://[^/\s]+(/mail/\d+/{kind}/[^\s]+/)", body)
    assert found, body
    return found.group(1)


__all__ = ["tenant_context"]
