import datetime

import pytest
from django.utils import timezone

from sasaeai.accounts import services as account_services
from sasaeai.accounts.models import Role
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
