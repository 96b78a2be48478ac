import datetime

import pytest
from django.utils import timezone

from sasaeai.accounts import services as account_services
from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.core import visits
from tests.conftest import SYSTEM


def last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def second_commissioner(world):
    membership = world.add_member(world.tenant_a, "a-commissioner-2", Role.WELFARE_COMMISSIONER)
    account_services.membership_set_areas(
        actor=SYSTEM, membership=membership, area_ids=[world.other_district.pk]
    )
    return membership


def actor_of(membership) -> Actor:
    from sasaeai.accounts.selectors import district_area_ids

    return Actor(
        user_id=membership.user_id, username=membership.user.username,
        tenant_id=membership.tenant_id, membership_id=membership.pk, role=Role(membership.role),
        area_ids=district_area_ids(membership), otp_verified=True,
    )  # fmt: skip


@pytest.fixture
def visit_source():
    """core.visits with only a test source, restored afterwards: `recorded` is what it holds,
    {(user_id, day): visits}; it answers like a real source, within the asked range and users."""
    saved = dict(visits._sources)
    visits._sources.clear()
    recorded: dict = {}

    def count(tenant_id, user_ids, first, last):
        return {
            (user, day): n for (user, day), n in recorded.items()
            if user in user_ids and first <= day <= last
        }  # fmt: skip

    visits.register(visits.VisitSource(key="tests.visits", count=count))
    yield recorded
    visits._sources.clear()
    visits._sources.update(saved)
