from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.volunteers.models import Helper, HelpRequest, Offer
from tests.consultation.factories import actor_of
from tests.volunteers.factories import coordinator, make_helper, make_request, offer


def test_a_volunteer_sees_only_their_own_helper_record_and_offers(world):
    mine = make_helper(world, "自分", user=world.user(Role.VOLUNTEER))
    other = make_helper(world, "他人")
    offer(world, make_request(world, "一"), mine)
    offer(world, make_request(world, "二", days=6), other)
    volunteer = actor_of(world, Role.VOLUNTEER)
    assert list(policy.scope(volunteer, "volunteers.view", Helper.objects.all())) == [mine]
    offers = policy.scope(volunteer, "volunteers.view", Offer.objects.all())
    assert {o.helper_id for o in offers} == {mine.pk}
    titles = policy.scope(volunteer, "volunteers.view", HelpRequest.objects.all())
    assert [r.title for r in titles] == ["一"]


def test_a_resident_sees_only_their_own_requests_and_no_helpers(world):
    make_helper(world)
    own = make_request(world, "自分の依頼", actor=actor_of(world, Role.RESIDENT))
    make_request(world, "他の依頼")
    resident = actor_of(world, Role.RESIDENT)
    assert list(policy.scope(resident, "volunteers.view", HelpRequest.objects.all())) == [own]
    assert not policy.scope(resident, "volunteers.view", Helper.objects.all()).exists()


def test_a_coordinator_sees_every_request_of_their_tenant_only(world):
    make_request(world, "一")
    assert (
        policy.scope(coordinator(world), "volunteers.view", HelpRequest.objects.all()).count() == 1
    )
    admin_b = actor_of_b(world)
    assert not policy.scope(admin_b, "volunteers.view", HelpRequest.objects.all()).exists()


def test_commissioners_and_agencies_have_no_access(world):
    for role in (Role.WELFARE_COMMISSIONER, Role.AGENCY_WORKER, Role.PLAN_COMMITTEE_MEMBER):
        assert not policy.has_permission(actor_of(world, role), "volunteers.view")


def actor_of_b(world):
    from tests.consultation.factories import actor_for

    return actor_for(world.admin_b)
