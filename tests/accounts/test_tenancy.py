from django.test import Client

from sasaeai.accounts import services
from sasaeai.accounts.models import Role
from tests.conftest import PASSWORD, SYSTEM


def officer(world):
    membership = world.add_member(world.tenant_a, "officer", Role.MUNICIPAL_STAFF)
    services.membership_add(
        actor=SYSTEM, user=membership.user, tenant=world.tenant_b, role=Role.MUNICIPAL_STAFF
    )
    return membership.user


def test_user_of_several_tenants_chooses_one_explicitly(world):
    client = world.client_for(officer(world))
    response = client.get("/areas/")
    assert response.status_code == 302 and response["Location"] == "/accounts/tenant/"
    client.post("/accounts/tenant/", {"tenant": world.tenant_b.pk})
    content = client.get("/areas/").content.decode()
    assert "並木地区" in content and "桶川地区" not in content
    client.post("/accounts/tenant/", {"tenant": world.tenant_a.pk})
    content = client.get("/areas/").content.decode()
    assert "桶川地区" in content and "並木地区" not in content


def test_switching_to_a_tenant_without_membership_is_refused_clearly(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post("/accounts/tenant/", {"tenant": world.tenant_b.pk})
    assert response.status_code == 404
    assert "自治体" in response.content.decode()
    content = client.get("/areas/").content.decode()
    assert "並木地区" not in content


def test_me_endpoint_shows_memberships_and_current_tenant(world):
    client = world.client_for(officer(world))
    client.post("/accounts/tenant/", {"tenant": world.tenant_b.pk})
    body = client.get("/api/v1/me").json()
    assert body["tenant_id"] == world.tenant_b.pk
    assert {m["tenant_id"] for m in body["memberships"]} == {world.tenant_a.pk, world.tenant_b.pk}


def test_member_list_shows_own_tenant_only_with_fixed_queries(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    client.get("/accounts/members/")
    with CaptureQueriesContext(connection) as few:
        content = client.get("/accounts/members/").content.decode()
    assert "a-resident" in content and "b-admin" not in content
    for index in range(30):
        world.add_member(world.tenant_a, f"extra{index}", Role.VOLUNTEER)
    with CaptureQueriesContext(connection) as many:
        content = client.get("/accounts/members/").content.decode()
    assert "extra29" in content
    assert len(many) == len(few)


def test_login_by_password_only_then_choose(world):
    user = officer(world)
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    response = client.get("/")
    assert response.status_code == 302
