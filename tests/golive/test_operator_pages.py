"""The system operator's tenant pages (/golive/tenants/): Django superusers only."""

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.accounts.models import Membership, Role, User
from sasaeai.core.models import Tenant

FORM = {"code": "122033", "name": "市川市", "council_name": "", "admin_username": "ichikawa-admin",
        "admin_email": "admin@city.ichikawa.example", "admin_display_name": "市川 管理"}  # fmt: skip


def verified_client(user) -> Client:
    device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def operator(db):
    user = User.objects.create_superuser(username="operator", email="op@example.jp")
    return verified_client(user)


def test_operator_sees_every_tenant(world, operator):
    response = operator.get("/golive/tenants/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "桶川市" in page and "所沢市" in page and "自治体を追加" in page


def test_operator_creates_a_tenant_and_sees_the_password_once(operator):
    response = operator.post("/golive/tenants/new/", FORM)
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "千葉県市川市（122033）と 市川市社会福祉協議会 を、システム管理者 ichikawa-admin で作成しました。"
        in page
    )
    password = response.context["result"].password
    assert password in page
    user = User.objects.get(username="ichikawa-admin")
    assert user.check_password(password) and user.display_name == "市川 管理"
    assert Membership.objects.get(user=user).role == Role.SYSTEM_ADMIN
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    # The list does not show it again.
    assert password not in operator.get("/golive/tenants/").content.decode()


def test_operator_repeating_the_form_is_told_it_exists(operator):
    operator.post("/golive/tenants/new/", FORM)
    response = operator.post("/golive/tenants/new/", FORM)
    page = response.content.decode()
    assert "市川市（122033）は管理者 ichikawa-admin で登録済みです。何も変更していません。" in page
    assert Tenant.objects.filter(code="122033").count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"code": "122034"},
            "code",
            "122034 の検査数字が違います。12203 の6桁目は 3 です（122033）。",
        ),
        (
            {"name": "船橋市"},
            "name",
            "地方公共団体コード 122033 は 千葉県市川市 です。船橋市 ではありません。",
        ),
        (
            {"code": "99999"},
            "code",
            "地方公共団体コードは6桁（5桁＋検査数字）です。99999 は 5 桁です。",
        ),
    ],
)
def test_operator_form_shows_the_error_on_its_field(operator, change, field, message):
    response = operator.post("/golive/tenants/new/", {**FORM, **change})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Tenant.objects.filter(code="122033").exists()


def test_operator_form_refuses_a_duplicate_username(operator):
    User.objects.create_user(username="ichikawa-admin", email="other@example.jp")
    response = operator.post("/golive/tenants/new/", FORM)
    assert response.context["form"].errors["admin_username"] == [
        "ユーザー名 ichikawa-admin は別のメールアドレスの人が使っています。別のユーザー名にしてください。"
    ]
    assert not Tenant.objects.filter(code="122033").exists()


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF, Role.RESIDENT])
def test_members_who_are_not_operators_get_404(world, role):
    client = world.client_for(world.user(role), verified=role != Role.RESIDENT)
    assert client.get("/golive/tenants/").status_code == 404
    assert client.post("/golive/tenants/new/", FORM).status_code == 404
    assert not Tenant.objects.filter(code="122033").exists()


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/golive/tenants/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_operator_without_second_factor_is_sent_to_it(db):
    user = User.objects.create_superuser(username="operator", email="op@example.jp")
    client = Client()
    client.force_login(user)
    response = client.get("/golive/tenants/new/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/?next=%2Fgolive%2Ftenants%2Fnew%2F"
    # No device yet: the operator enrols one (no tenant needed), then the page opens.
    response = client.get(response["Location"], follow=True)
    assert b"data:image/svg+xml" in response.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    token = f"{totp(device.bin_key):06d}"
    response = client.post(
        "/accounts/two-factor/setup/?next=/golive/tenants/new/", {"token": token}
    )
    assert response.status_code == 302 and response["Location"] == "/golive/tenants/new/"
    assert client.get("/golive/tenants/new/").status_code == 200


def test_creating_a_tenant_on_the_page_is_audited_as_the_operator(operator):
    from sasaeai.audit.models import AuditEntry
    from sasaeai.core.tenancy import tenant_context

    operator.post("/golive/tenants/new/", FORM)
    tenant = Tenant.objects.get(code="122033")
    with tenant_context(tenant.pk):
        entries = list(AuditEntry.objects.filter(tenant=tenant).order_by("sequence"))
    assert [(e.object_type, e.actor_username) for e in entries] == [
        ("accounts.membership", "operator"),
        ("core.tenant", "operator"),
    ]
    assert entries[1].detail["admin"] == "ichikawa-admin"
