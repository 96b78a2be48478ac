"""rules.py for every role: who sees which register entries, in normal times and under an
active declaration; consent records follow their entry; the other tenant sees nothing."""

import pytest
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.disaster import rules, services
from sasaeai.disaster.models import (
    ConsentEvent,
    ConsentRecord,
    Declaration,
    EvacuationPlan,
    RegisterEntry,
)
from tests.disaster.register_factories import consent, make_entries, make_organisation, staff

R = Role


@pytest.fixture
def scene(world):
    """K1 桶川 consented, K2 加納 consented, K3 桶川 not asked, K4 桶川 consented then moved
    out; an organisation for 桶川地区 naming the evacuation helper."""
    k1, k2, k3, k4 = make_entries(world, [
        ("K1", "一 桶川", "桶川市桶川1"), ("K2", "二 加納", "桶川市加納1"),
        ("K3", "三 桶川", "桶川市桶川2"), ("K4", "四 桶川", "桶川市桶川3"),
    ])  # fmt: skip
    for entry in (k1, k2, k4):
        consent(world, entry, ConsentEvent.GIVEN)
    RegisterEntry.objects.filter(pk=k4.pk).update(status="removed")
    organisation = make_organisation(world, members=[R.EVACUATION_HELPER])
    return organisation


def _keys(actor) -> set[str]:
    rows = policy.scope(actor, "disaster.view_register", RegisterEntry.objects.all())
    return set(rows.values_list("resident_key", flat=True))


NORMAL = {
    R.MUNICIPAL_STAFF: {"K1", "K2", "K3", "K4"},
    R.WELFARE_COMMISSIONER: {"K1"},
    R.EVACUATION_HELPER: {"K1"},
    R.WELFARE_COUNCIL_STAFF: set(),  # not named on any organisation
    R.COMMUNITY_SOCIAL_WORKER: set(),
    R.CARE_PLANNER: set(),
    R.SYSTEM_ADMIN: set(),
    R.VOLUNTEER_COORDINATOR: set(),
    R.PLAN_COMMITTEE_MEMBER: set(),
    R.VOLUNTEER: set(),
    R.RESIDENT: set(),
    R.AGENCY_WORKER: set(),
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_its_share_in_normal_times(world, scene, role):
    assert _keys(world.actor(role)) == NORMAL[role]


def test_the_table_covers_every_role():
    assert set(NORMAL) == set(Role)


def test_council_staff_named_on_an_organisation_see_its_share(world, scene):
    services.member_add(actor=staff(world), organisation=scene,
                        user_id=world.user(R.WELFARE_COUNCIL_STAFF).pk, duty="viewer")  # fmt: skip
    assert _keys(world.actor(R.WELFARE_COUNCIL_STAFF)) == {"K1"}


def test_a_care_planner_sees_only_the_people_of_their_plans(world, scene):
    k3 = RegisterEntry.objects.get(resident_key="K3")
    EvacuationPlan.objects.create(
        tenant=world.tenant_a, entry=k3, care_planner=world.user(R.CARE_PLANNER)
    )
    assert _keys(world.actor(R.CARE_PLANNER)) == {"K3"}


def _declare(world, areas, recipients=(), commissioners=True):
    declaration = Declaration.objects.create(
        tenant=world.tenant_a, reason="大雨", declared_at=timezone.now(),
        includes_commissioners=commissioners,
    )  # fmt: skip
    declaration.areas.set(areas)
    declaration.covered_areas.set(areas)
    declaration.recipients.set(recipients)
    return declaration


def test_under_a_declaration_commissioners_see_every_listed_entry_of_their_declared_districts(
    world, scene
):
    _declare(world, [world.district, world.sub_district])
    assert _keys(world.actor(R.WELFARE_COMMISSIONER)) == {"K1", "K3"}


def test_a_declaration_leaving_commissioners_out_changes_nothing_for_them(world, scene):
    _declare(world, [world.district], commissioners=False)
    assert _keys(world.actor(R.WELFARE_COMMISSIONER)) == {"K1"}


def test_under_a_declaration_a_named_recipient_sees_its_declared_areas_consent_or_not(world, scene):
    _declare(world, [world.other_district], recipients=[scene])
    assert _keys(world.actor(R.EVACUATION_HELPER)) == {"K1", "K2"}


def test_an_ended_declaration_shares_nothing_more(world, scene):
    declaration = _declare(world, [world.other_district], recipients=[scene])
    Declaration.objects.filter(pk=declaration.pk).update(ended_at=timezone.now())
    assert _keys(world.actor(R.EVACUATION_HELPER)) == {"K1"}


def test_consent_records_follow_their_entry(world, scene):
    records = policy.scope(
        world.actor(R.EVACUATION_HELPER), "disaster.view_register", ConsentRecord.objects.all()
    )
    assert set(records.values_list("entry__resident_key", flat=True)) == {"K1"}


def test_another_tenants_member_sees_nothing(world, scene):
    from tests.consultation.factories import actor_for

    assert _keys(actor_for(world.admin_b)) == set()
    b_staff = staff(world, world.tenant_b)
    assert _keys(b_staff) == set()


def test_shareable_follows_the_model(world, scene):
    assert rules.shareable(world.tenant_a.pk) is not None
    services.settings_save(actor=staff(world), consent_model="opt_out", ordinance_name="条例")
    assert _keys(world.actor(R.EVACUATION_HELPER)) == {"K1", "K3"}
