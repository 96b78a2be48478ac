"""Who may open the bulk registration and invitation pages: system admins of the tenant only.

Every persona of tenant A, tenant B's admin and an anonymous visitor against every new page;
an object of tenant A is 404 for tenant B.
"""

import pytest
from django.test import Client

from sasaeai.accounts import importer
from sasaeai.accounts.models import MemberImport, Role
from tests.accounts.test_member_import import GOOD, csv_bytes


@pytest.fixture
def scene(world):
    record = MemberImport.objects.create(
        tenant=world.tenant_a,
        filename="members.csv",
        content=csv_bytes(*GOOD),
        summary=importer.validate(csv_bytes(*GOOD), tenant=world.tenant_a).summary(),
    )
    target = world.members[Role.VOLUNTEER]
    target.user.email = "volunteer@example.jp"
    target.user.save()
    return {
        "import": ("get", "/accounts/members/import/"),
        "preview": ("get", f"/accounts/members/import/{record.pk}/"),
        "apply": ("post", f"/accounts/members/import/{record.pk}/"),
        "invite": ("post", f"/accounts/members/{target.pk}/invite/"),
        "revoke": ("post", f"/accounts/members/{target.pk}/invitation/revoke/"),
    }


PAGES = ["import", "preview", "apply", "invite", "revoke"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", list(Role))
def test_each_role_of_the_tenant(world, scene, page, role):
    method, path = scene[page]
    client = world.client_for(world.user(role))
    response = getattr(client, method)(path, {"action": "discard"} if page == "apply" else {})
    if role == Role.SYSTEM_ADMIN:
        assert response.status_code in {200, 302}
    else:
        assert response.status_code in {403, 404}


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(world, scene, page):
    method, path = scene[page]
    response = getattr(Client(), method)(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", ["preview", "apply", "invite", "revoke"])
def test_another_tenants_admin_finds_nothing(world, scene, page):
    method, path = scene[page]
    response = getattr(world.client_for(world.admin_b.user), method)(path)
    assert response.status_code == 404
    assert MemberImport.objects.get().status == "previewed"


def test_another_tenants_admin_sees_only_their_own_imports(world, scene):
    page = world.client_for(world.admin_b.user).get("/accounts/members/import/")
    assert page.status_code == 200 and "members.csv" not in page.content.decode()


def test_the_apply_job_is_seen_by_the_admin_who_asked_only(world, scene):
    """Confirming queues a job; its page is 404 for every other persona and another tenant."""
    from sasaeai.jobs.worker import run_pending

    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    location = admin.post(scene["apply"][1], {"action": "apply"})["Location"]
    assert location.startswith("/jobs/")
    run_pending()
    assert 'data-status="succeeded"' in admin.get(location).content.decode()
    others = [world.client_for(world.user(role)) for role in Role if role != Role.SYSTEM_ADMIN]
    for client in [*others, world.client_for(world.admin_b.user)]:
        assert client.get(location).status_code == 404
        assert client.get(f"{location}download/").status_code == 404
    assert Client().get(location).status_code == 302  # to sign in
