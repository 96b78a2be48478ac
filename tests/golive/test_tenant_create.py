"""tenant_create: the service and `manage.py tenant_create`."""

import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.accounts.models import Membership, Role, User
from sasaeai.audit.models import AuditEntry
from sasaeai.consultation.models import ConcernTag
from sasaeai.consultation.models import Settings as ConsultationSettings
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.golive import services
from sasaeai.resources.categories import DEFAULT_CATEGORIES
from sasaeai.resources.models import Category, MapSettings
from tests.conftest import SYSTEM

ICHIKAWA = {"code": "122033", "name": "市川市", "admin": "ichikawa-admin",
            "email": "admin@city.ichikawa.example"}  # fmt: skip


def run(**options) -> str:
    out = StringIO()
    arguments = {**ICHIKAWA, **options}
    flags = [f"--{k}" if v is True else f"--{k}={v}" for k, v in arguments.items()]
    call_command("tenant_create", *flags, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    with tenant_context(None):
        return (Tenant.objects.count(), User.objects.count(), Membership.objects.count(),
                AuditEntry.objects.count())  # fmt: skip


@pytest.mark.django_db
def test_command_creates_tenant_admin_and_defaults_and_prints_the_password_once():
    output = run()
    tenant = Tenant.objects.get(code="122033")
    assert (tenant.name, tenant.name_kana, tenant.prefecture, tenant.welfare_council_name) == (
        "市川市", "いちかわし", "千葉県", "市川市社会福祉協議会"
    )  # fmt: skip
    admin = Membership.objects.get(tenant=tenant)
    assert admin.role == Role.SYSTEM_ADMIN and admin.user.email == ICHIKAWA["email"]
    assert not TOTPDevice.objects.filter(user=admin.user).exists()  # set up at first sign-in
    password = output.split("：")[-1].strip()
    assert admin.user.check_password(password) and len(password) == 19
    assert "初回パスワード" in output and output.count(password) == 1
    with tenant_context(tenant.pk):
        codes = set(Category.objects.filter(tenant=tenant).values_list("code", flat=True))
        assert codes == {d.code for d in DEFAULT_CATEGORIES}
        assert MapSettings.objects.filter(tenant=tenant).exists()
        assert ConcernTag.objects.filter(tenant=tenant).count() > 5
        assert ConsultationSettings.objects.filter(tenant=tenant).exists()
        entry = AuditEntry.objects.get(object_type="core.tenant", object_id=str(tenant.pk))
        assert entry.action == "create" and entry.actor_username == "tenant_create"
        assert "resources.defaults" in entry.detail["defaults"]


@pytest.mark.django_db
def test_running_again_with_the_same_arguments_changes_nothing():
    run()
    before = counts()
    output = run()
    assert output.strip() == (
        "市川市（122033）は管理者 ichikawa-admin で登録済みです。何も変更していません。"
    )
    assert counts() == before


@pytest.mark.django_db
def test_council_defaults_and_can_be_given():
    run(code="112011", name="川越市", council="社会福祉法人川越市社会福祉協議会", admin="kawagoe")
    assert (
        Tenant.objects.get(code="112011").welfare_council_name == "社会福祉法人川越市社会福祉協議会"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"code": "12203"}, "地方公共団体コードは6桁（5桁＋検査数字）です。12203 は 5 桁です。"),
        ({"code": "12203x"}, "地方公共団体コード 12203x は数字だけで入力してください。"),
        ({"code": "122034"}, "122034 の検査数字が違います。12203 の6桁目は 3 です（122033）。"),
        ({"code": "999997"}, "地方公共団体コード 999997 の市区町村はありません。"),
        (
            {"name": "船橋市"},
            "地方公共団体コード 122033 は 千葉県市川市 です。船橋市 ではありません。",
        ),
        ({"email": "not-an-address"}, "not-an-address はメールアドレスではありません。"),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_refused_in_japanese_and_nothing_is_saved(options, message):
    before = counts()
    with pytest.raises(CommandError) as error:
        run(**options)
    assert str(error.value) == f"{message} 何も保存していません。"
    assert counts() == before


@pytest.mark.django_db
def test_existing_tenant_with_another_admin_is_refused():
    run()
    before = counts()
    with pytest.raises(CommandError) as error:
        run(admin="someone-else", email="else@city.ichikawa.example")
    assert str(error.value) == (
        "市川市（122033）は別のシステム管理者で登録済みです。"
        "利用者の追加は利用者一覧から行ってください。 何も保存していません。"
    )
    assert counts() == before


@pytest.mark.django_db
def test_existing_tenant_with_another_council_is_refused():
    run()
    with pytest.raises(CommandError) as error:
        run(council="別の協議会")
    assert "社会福祉協議会「市川市社会福祉協議会」で登録済み" in str(error.value)


@pytest.mark.django_db
def test_existing_code_registered_under_another_name_is_refused():
    Tenant.objects.create(code="122033", name="旧市川市", prefecture="千葉県")
    with pytest.raises(CommandError) as error:
        run()
    assert str(error.value) == (
        "コード 122033 は 旧市川市 として登録済みです。 何も保存していません。"
    )


@pytest.mark.django_db
def test_username_of_someone_with_another_email_is_refused_and_nothing_saved():
    User.objects.create_user(username="ichikawa-admin", email="other@example.jp")
    before = counts()
    with pytest.raises(CommandError) as error:
        run()
    assert str(error.value) == (
        "ユーザー名 ichikawa-admin は別のメールアドレスの人が使っています。"
        "別のユーザー名にしてください。 何も保存していません。"
    )
    assert counts() == before


@pytest.mark.django_db
def test_existing_user_with_the_same_email_gets_a_membership_and_keeps_their_password():
    user = User.objects.create_user(
        username="ichikawa-admin", email="ADMIN@city.ichikawa.example", password="x-Y-z-123456"
    )
    output = run()
    assert "既存のパスワード" in output and "初回パスワード" not in output
    assert Membership.objects.get(user=user).tenant.code == "122033"
    user.refresh_from_db()
    assert user.check_password("x-Y-z-123456")


@pytest.mark.django_db
def test_a_failing_default_rolls_everything_back(monkeypatch):
    from sasaeai.core import tenant_setup

    def broken(tenant_id):
        raise RuntimeError("disk full")

    monkeypatch.setitem(
        tenant_setup._steps, "zz.broken", tenant_setup.TenantSetup("zz.broken", broken, 99)
    )
    before = counts()
    with pytest.raises(RuntimeError):
        services.tenant_create(actor=SYSTEM, code="122033", name="市川市",
                               admin_username="a", admin_email="a@example.jp")  # fmt: skip
    assert counts() == before


@pytest.mark.django_db
def test_service_errors_name_their_field():
    with pytest.raises(ValidationError) as error:
        services.tenant_create(actor=SYSTEM, code="122034", name="市川市",
                               admin_username="a", admin_email="a@example.jp")  # fmt: skip
    assert error.value.error_dict["code"][0].code == "invalid_code"
    with pytest.raises(ValidationError) as error:
        services.tenant_create(actor=SYSTEM, code="122033", name="市川市",
                               admin_username="bad name!", admin_email="a@example.jp")  # fmt: skip
    assert "admin_username" in error.value.error_dict


@pytest.mark.django_db
def test_first_sign_in_of_the_new_admin_must_set_up_two_factor():
    output = run()
    password = output.split("：")[-1].strip()
    client = Client()
    response = client.post("/accounts/login/", {"username": "ichikawa-admin", "password": password})
    assert response.status_code == 302
    response = client.get("/golive/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"].startswith(
        "/accounts/two-factor/setup/"
    )


@pytest.mark.django_db
def test_with_invite_the_admin_gets_a_link_by_mail_and_no_password_is_printed(
    settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    settings.SITE_URL = "http://testserver"
    with django_capture_on_commit_callbacks(execute=True):
        output = run(invite=True)
    admin = Membership.objects.get(tenant__code="122033").user
    assert not admin.has_usable_password()
    assert "招待" in output and admin.email in output and "初回パスワード" not in output
    assert [message.to for message in mail.outbox] == [[ICHIKAWA["email"]]]
    path = re.search(r"http://testserver(/accounts/invitation/\S+)", mail.outbox[0].body).group(1)
    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    chosen = "Ichikawa-go-live-2026!"
    response = client.post(path, {"new_password1": chosen, "new_password2": chosen})
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password(chosen)
    response = client.post("/accounts/login/", {"username": "ichikawa-admin", "password": chosen})
    assert response.status_code == 302
    assert client.get("/golive/")["Location"].startswith("/accounts/two-factor/")


@pytest.mark.django_db
def test_invite_sends_nothing_when_the_creation_fails(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.core import mail

    from sasaeai.core import tenant_setup

    def broken(tenant_id):
        raise RuntimeError("default failed")

    monkeypatch.setitem(
        tenant_setup._steps, "zz.broken", tenant_setup.TenantSetup("zz.broken", broken, 99)
    )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        run(invite=True)
    assert mail.outbox == [] and not Tenant.objects.filter(code="122033").exists()
