"""Fixtures of the notices tests: staff actors, notices built through the services, and a small
fake mailing channel registered in core.broadcasts (the boundary with the subscriptions app)."""

from dataclasses import dataclass, field

import pytest

from sasaeai.accounts.models import Role
from sasaeai.core import broadcasts
from sasaeai.notices import selectors, services
from tests.consultation.factories import actor_for


@dataclass
class FakeChannel:
    recipients: int = 3
    topic_list: list = field(default_factory=lambda: [("events", "催し"), ("care", "介護")])
    counted: list = field(default_factory=list)
    sent: list = field(default_factory=list)
    next_job_id: int = 4242

    def count(self, target):
        self.counted.append(target)
        return self.recipients

    def send(self, actor, target, key, object_id):
        self.sent.append((actor, target, key, object_id))
        return self.next_job_id

    def topics(self, tenant_id):
        return list(self.topic_list)


def _swap_channel(new):
    saved = list(broadcasts._channel)
    broadcasts._channel[:] = [new] if new else []
    return saved


@pytest.fixture
def channel():
    fake = FakeChannel()
    saved = _swap_channel(broadcasts.Channel(count=fake.count, send=fake.send, topics=fake.topics))
    yield fake
    broadcasts._channel[:] = saved


@pytest.fixture
def no_channel():
    saved = _swap_channel(None)
    yield
    broadcasts._channel[:] = saved


@pytest.fixture
def staff(world):
    return actor_for(world.members[Role.MUNICIPAL_STAFF])


@pytest.fixture
def staff_b(world):
    return actor_for(world.admin_b)


def make_notice(actor, **fields):
    values = {"title": "小手指で集いを行います", "body": "民生委員がお越しをお待ちしています。"}
    values.update(fields)
    return services.notice_create(actor=actor, **values)


def approve(actor, notice, **overrides):
    review = selectors.readings_review(notice)
    readings = {w.surface: w.reading or "よみ" for w in review.words}
    readings.update(overrides)
    return services.readings_approve(
        actor=actor, notice=notice, readings=readings, text_hash=review.text_hash
    )
