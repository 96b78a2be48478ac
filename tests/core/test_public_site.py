"""A tenant's public site: the registry of public pages, the shared layout, /p/<code>/."""

import re
from pathlib import Path

import pytest
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.core import public_site
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import planfile, services
from tests.conftest import SYSTEM

pytestmark = pytest.mark.django_db

SEED = Path("sasaeai/plans/seed_plans/tokorozawa-community-welfare-4.yaml")


def import_plan(tenant, *, published: bool):
    document = planfile.load(SEED.read_text(encoding="utf-8"))
    with tenant_context(tenant.pk):
        plan = services.plan_import(actor=SYSTEM, tenant_id=tenant.pk, document=document)
        if published:
            plan = services.plan_publication_set(actor=SYSTEM, plan=plan, public_progress=True)
    return plan


def nav_links(html: str) -> dict[str, str]:
    """data-public-page key → href, from the header's navigation only."""
    nav = re.search(r'<nav class="modules public-nav".*?</nav>', html, re.S)
    assert nav, "the public navigation is missing"
    return dict(
        (key, href)
        for href, key in re.findall(r'<a href="([^"]+)" data-public-page="([^"]+)"', nav.group())
    )


@pytest.fixture
def anonymous():
    return Client()


def test_the_map_links_to_progress_when_a_plan_is_published(world, anonymous):
    import_plan(world.tenant_a, published=True)
    html = anonymous.get(f"/map/{world.tenant_a.code}/").content.decode()
    links = nav_links(html)
    assert links["plans.progress"] == f"/progress/{world.tenant_a.code}/"
    assert links["resources.map"] == f"/map/{world.tenant_a.code}/"
    assert links["home"] == f"/p/{world.tenant_a.code}/"


def test_the_map_does_not_link_to_progress_while_no_plan_is_published(world, anonymous):
    import_plan(world.tenant_a, published=False)
    html = anonymous.get(f"/map/{world.tenant_a.code}/").content.decode()
    assert "plans.progress" not in nav_links(html)
    assert "/progress/" not in html


def test_the_progress_page_links_back_to_the_map_and_marks_itself_current(world, anonymous):
    plan = import_plan(world.tenant_a, published=True)
    html = anonymous.get(f"/progress/{world.tenant_a.code}/{plan.code}/").content.decode()
    assert nav_links(html)["resources.map"] == f"/map/{world.tenant_a.code}/"
    current = re.findall(r'data-public-page="([^"]+)" aria-current="page"', html)
    assert current == ["plans.progress"]


def test_the_public_home_lists_the_public_pages_of_its_own_tenant_only(world, anonymous):
    import_plan(world.tenant_b, published=True)  # another city's published plan
    response = anonymous.get(f"/p/{world.tenant_a.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    listed = re.search(r'data-testid="public-pages">(.*?)</ul>', html, re.S).group(1)
    assert f"/map/{world.tenant_a.code}/" in listed
    assert "/progress/" not in listed  # tenant A has published nothing
    assert world.tenant_b.code not in html and world.tenant_b.name not in html
    assert world.tenant_a.name in html

    other = anonymous.get(f"/p/{world.tenant_b.code}/").content.decode()
    assert f"/progress/{world.tenant_b.code}/" in other
    assert world.tenant_a.code not in other


def test_an_unknown_or_inactive_tenant_is_not_found(world, anonymous):
    assert anonymous.get("/p/999999/").status_code == 404
    world.tenant_b.is_active = False
    world.tenant_b.save()
    assert anonymous.get(f"/p/{world.tenant_b.code}/").status_code == 404


def test_public_pages_offer_no_sign_in_and_keep_the_accessibility_aids(world, anonymous):
    html = anonymous.get(f"/p/{world.tenant_a.code}/").content.decode()
    assert '<html lang="ja"' in html
    assert 'class="skip-link" href="#main"' in html
    assert "/display/large-text/" in html
    assert "/accounts/login" not in html and "/accounts/logout" not in html


def test_a_signed_in_member_sees_the_public_layout_without_the_staff_shell(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    html = client.get(f"/p/{world.tenant_a.code}/").content.decode()
    assert 'data-testid="public-nav"' in html
    assert "/accounts/logout/" not in html


def test_the_city_choice_links_to_each_active_public_home(world, anonymous):
    html = anonymous.get("/p/").content.decode()
    assert f"/p/{world.tenant_a.code}/" in html and f"/p/{world.tenant_b.code}/" in html


def test_registering_a_key_twice_differently_is_refused():
    page = public_site.all_pages()[0]
    public_site.register(page)  # the same definition again: fine (ready() may run twice)
    with pytest.raises(ValueError):
        public_site.register(public_site.PublicPage(page.key, "other", lambda t: None))


def test_pages_for_leaves_out_pages_with_nothing_to_show(world):
    keys = [link.key for link in public_site.pages_for(world.tenant_a)]
    assert keys[0] == public_site.HOME
    assert "resources.map" in keys and "plans.progress" not in keys


def test_the_staff_home_links_to_the_tenants_public_home(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    html = client.get("/").content.decode()
    assert f'href="/p/{world.tenant_a.code}/" data-testid="public-home-link"' in html


def test_notices_join_the_public_navigation_once_one_is_published(world, anonymous):
    from django.utils import timezone

    from sasaeai.notices.models import Notice, NoticeStatus

    tenant = world.tenant_a
    assert "notices" not in nav_links(anonymous.get(f"/map/{tenant.code}/").content.decode())
    with tenant_context(tenant.pk):
        Notice.objects.create(
            tenant=tenant, title="お知らせ", body="本文", status=NoticeStatus.PUBLISHED,
            published_at=timezone.now(),
        )  # fmt: skip
    links = nav_links(anonymous.get(f"/map/{tenant.code}/").content.decode())
    assert links["notices"] == f"/notices/{tenant.code}/"
    notices_page = anonymous.get(f"/notices/{tenant.code}/").content.decode()
    assert nav_links(notices_page)["notices"] == f"/notices/{tenant.code}/"


def test_courses_are_on_the_public_navigation(world, anonymous):
    code = world.tenant_a.code
    page = anonymous.get(f"/courses/{code}/")
    assert page.status_code == 200
    assert nav_links(page.content.decode())["courses"] == f"/courses/{code}/"
