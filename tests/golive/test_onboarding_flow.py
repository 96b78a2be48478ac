"""A real city that is not in the demo, from tenant_create to its admin's checklist."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.accounts import services as account_services
from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.golive import services
from tests.conftest import SYSTEM


def test_kawagoe_goes_from_tenant_create_to_the_admins_checklist(db):
    result = services.tenant_create(
        actor=SYSTEM, code="112011", name="川越市", admin_username="kawagoe-admin",
        admin_email="joho@city.kawagoe.example", admin_display_name="川越 管理",
    )  # fmt: skip
    assert result.created and result.tenant.name_kana == "かわごえし"

    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "kawagoe-admin", "password": result.password}
    )
    assert response.status_code == 302
    # The system admin must set up two-factor before anything else.
    response = client.get("/golive/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/setup/")
    assert b"data:image/svg+xml" in response.content
    device = TOTPDevice.objects.get(user=result.admin.user, confirmed=False)
    response = client.post(
        "/accounts/two-factor/setup/?next=/golive/", {"token": f"{totp(device.bin_key):06d}"}
    )
    assert response.status_code == 302 and response["Location"] == "/golive/"

    response = client.get("/golive/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "川越市（112011）の稼働までに残っている作業です。" in page
    rows = {row.key: row for row in response.context["rows"]}
    assert rows["core.tenant"].state == "done"
    assert rows["core.tenant"].facts == ["112011 埼玉県川越市", "川越市社会福祉協議会"]
    assert rows["core.districts"].state == "todo"
    assert rows["accounts.users"].state == "todo"
    assert "二要素認証の設定済み：対象 1 人中 1 人" in rows["accounts.users"].facts
    assert rows["plans.plan"].state == "todo"
    assert rows["resources.open_data"].state == "todo"
    # Every page the checklist links to opens for the new tenant, with its defaults in place.
    for row in rows.values():
        if row.url:
            assert client.get(row.url).status_code == 200, row.url
    for url in ("/resources/", "/consultation/", "/plans/", f"/map/{result.tenant.code}/"):
        assert client.get(url).status_code == 200, url


def signed_in(user) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY

    device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
    client = Client(raise_request_exception=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def parameterless_pages() -> list[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and not entry.pattern.converters:
                route = prefix + str(entry.pattern)
                if "<" not in route and "(" not in route and "^" not in route:
                    yield "/" + route

    return sorted(
        url for url in walk(get_resolver().url_patterns)
        if not url.startswith(("/admin/", "/api/", "/accounts/logout", "/i18n/"))
    )  # fmt: skip


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.COMMUNITY_SOCIAL_WORKER])
def test_every_page_without_parameters_works_in_a_new_tenant(db, role):
    """A tenant made by tenant_create has what every module's pages need: none fails."""
    result = services.tenant_create(
        actor=SYSTEM, code="122033", name="市川市", admin_username="ichikawa-admin",
        admin_email="joho@city.ichikawa.example",
    )  # fmt: skip
    user = result.admin.user
    if role != Role.SYSTEM_ADMIN:
        with tenant_context(result.tenant.pk):
            user = account_services.member_create(
                actor=SYSTEM, tenant=result.tenant, username="ichikawa-csw",
                password="correct-horse-battery-9", role=role,
            ).user  # fmt: skip
    client = signed_in(user)
    urls = parameterless_pages()
    assert "/golive/" in urls and "/resources/" in urls and "/consultation/intake/new/" in urls
    ok = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404, 405), (url, response.status_code)
        ok += response.status_code == 200
    assert ok >= 20
