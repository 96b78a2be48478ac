"""Invitations: a one-time link by mail → set a password → sign in → forced two-factor set-up."""

import datetime
import re

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.accounts import invitations
from sasaeai.accounts.models import Invitation, MemberImport, Membership, Role, User
from sasaeai.audit.models import AuditEntry
from tests.conftest import SYSTEM

NEW_PASSWORD = "kawa-no-nagare-42"


def new_member(world, role=Role.MUNICIPAL_STAFF, email="new.staff@example.jp") -> Membership:
    user = User(username=email, email=email, display_name="国府台 春子")
    user.set_unusable_password()
    user.save()
    membership = Membership(user=user, tenant=world.tenant_a, role=role)
    membership.refresh_search_text()
    membership.save()
    return membership


def send(world, membership, *, capture) -> str:
    """Send an invitation and return the link from the mail."""
    with capture(execute=True):
        invitations.invitation_send(
            membership.user, membership.tenant, world.user(Role.SYSTEM_ADMIN)
        )
    return link_in(mail.outbox[-1].body)


def link_in(body: str) -> str:
    url = re.search(r"http://testserver(/accounts/invitation/\S+)", body)
    assert url, body
    return url.group(1)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_the_mail_names_the_tenant_and_carries_only_the_link(
    world, django_capture_on_commit_callbacks
):
    membership = new_member(world)
    path = send(world, membership, capture=django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert message.to == ["new.staff@example.jp"]
    assert "桶川市" in message.subject and "桶川市" in message.body
    # Nothing else about the person: not their name, not their role.
    assert "国府台" not in message.body + message.subject
    assert "市職員" not in message.body
    # The token is in the link only; the database holds its hash.
    token = path.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == invitations.token_hash(token) != token
    assert invitation.sent_by == world.user(Role.SYSTEM_ADMIN)
    assert invitation.expires_at - timezone.now() > datetime.timedelta(days=6)
    assert AuditEntry.objects.filter(object_type="accounts.invitation", action="create").exists()


def test_no_mail_leaves_when_the_transaction_is_rolled_back(
    world, django_capture_on_commit_callbacks
):
    membership = new_member(world)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            invitations.invitation_send(membership.user, membership.tenant, None)
            raise RuntimeError("tenant creation failed later")
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_invited_staff_set_a_password_sign_in_and_must_set_up_two_factor(
    world, django_capture_on_commit_callbacks
):
    membership = new_member(world, role=Role.MUNICIPAL_STAFF)
    assert (
        membership.role in {Role.MUNICIPAL_STAFF}
        and not TOTPDevice.objects.filter(user=membership.user).exists()
    )
    path = send(world, membership, capture=django_capture_on_commit_callbacks)
    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    assert "new.staff@example.jp" in page.content.decode()
    # Django's password validators apply.
    weak = client.post(path, {"new_password1": "12345", "new_password2": "12345"})
    assert weak.status_code == 200 and "短すぎ" in weak.content.decode()
    done = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"].startswith("/accounts/login/")
    login_page = client.get(done["Location"])
    assert 'value="new.staff@example.jp"' in login_page.content.decode()
    signed_in = client.post(
        "/accounts/login/", {"username": "new.staff@example.jp", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    # The middleware sends a TWO_FACTOR_ROLES member to set up TOTP before anything else.
    response = client.get("/accounts/members/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=membership.user, confirmed=False)
    client.post(
        "/accounts/two-factor/setup/?next=/accounts/members/",
        {"token": f"{totp(device.bin_key):06d}"},
    )
    assert client.get("/accounts/members/").status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.accepted_at is not None
    # The link works once.
    again = client.get(path)
    assert again.status_code == 410
    assert "すでに使われています" in again.content.decode()


def test_a_resident_sets_a_password_and_needs_no_second_factor(
    world, django_capture_on_commit_callbacks
):
    membership = new_member(world, role=Role.RESIDENT, email="resident@example.jp")
    path = send(world, membership, capture=django_capture_on_commit_callbacks)
    client = Client()
    client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.post("/accounts/login/", {"username": "resident@example.jp", "password": NEW_PASSWORD})
    assert client.get("/").status_code == 200


def test_an_expired_link_shows_a_clear_page(world, django_capture_on_commit_callbacks):
    path = send(world, new_member(world), capture=django_capture_on_commit_callbacks)
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = Client().get(path)
    assert response.status_code == 410
    assert "有効期限が切れています" in response.content.decode()
    posted = Client().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert posted.status_code == 410
    assert not User.objects.get(email="new.staff@example.jp").has_usable_password()


def test_an_unknown_or_mangled_link_is_not_found(world, django_capture_on_commit_callbacks):
    path = send(world, new_member(world), capture=django_capture_on_commit_callbacks)
    assert Client().get(path[:-5] + "xxxx/").status_code == 404
    # The same token under another tenant's number does not exist either.
    other = path.replace(f"/{world.tenant_a.pk}/", f"/{world.tenant_b.pk}/")
    response = Client().get(other)
    assert response.status_code == 404 and "無効です" in response.content.decode()


def test_resending_revokes_the_earlier_link(world, django_capture_on_commit_callbacks):
    membership = new_member(world)
    first = send(world, membership, capture=django_capture_on_commit_callbacks)
    second = send(world, membership, capture=django_capture_on_commit_callbacks)
    assert first != second
    response = Client().get(first)
    assert response.status_code == 410 and "取り消された" in response.content.decode()
    assert Client().get(second).status_code == 200


def test_admin_resends_and_revokes_from_the_member_page(world, django_capture_on_commit_callbacks):
    membership = new_member(world)
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    detail = admin.get(f"/accounts/members/{membership.pk}/").content.decode()
    assert 'data-testid="invite"' in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/accounts/members/{membership.pk}/invite/", follow=True)
    assert "招待メールを送りました" in response.content.decode()
    assert 'data-invitation="pending"' in response.content.decode()
    path = link_in(mail.outbox[-1].body)
    listing = admin.get("/accounts/members/?q=国府台").content.decode()
    assert 'data-invitation="pending"' in listing and "招待中" in listing

    response = admin.post(f"/accounts/members/{membership.pk}/invitation/revoke/", follow=True)
    assert 'data-invitation="revoked"' in response.content.decode()
    assert Client().get(path).status_code == 410
    assert AuditEntry.objects.filter(
        object_type="accounts.invitation", action="update", detail__revoked=True
    ).exists()


@pytest.mark.parametrize("role", [Role.MUNICIPAL_STAFF, Role.WELFARE_COMMISSIONER])
def test_only_system_admins_send_or_revoke_invitations(world, role):
    membership = new_member(world)
    client = world.client_for(world.user(role))
    assert client.post(f"/accounts/members/{membership.pk}/invite/").status_code in {403, 404}
    assert client.post(f"/accounts/members/{membership.pk}/invitation/revoke/").status_code in {
        403,
        404,
    }
    assert not Invitation.objects.exists() and mail.outbox == []


def test_an_admin_of_another_tenant_gets_not_found(world):
    membership = new_member(world)
    client_b = world.client_for(world.admin_b.user)
    assert client_b.post(f"/accounts/members/{membership.pk}/invite/").status_code == 404
    assert client_b.post(f"/accounts/members/{membership.pk}/invitation/revoke/").status_code == 404
    assert not Invitation.objects.exists()


def test_a_disabled_member_cannot_use_their_link(world, django_capture_on_commit_callbacks):
    membership = new_member(world)
    path = send(world, membership, capture=django_capture_on_commit_callbacks)
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    assert Client().get(path).status_code == 410


def test_a_user_without_email_cannot_be_invited(world):
    membership = world.members[Role.RESIDENT]
    with pytest.raises(ValueError):
        invitations.invitation_send(membership.user, world.tenant_a, None)


def test_a_user_of_another_tenant_cannot_be_invited_here(world):
    user = world.admin_b.user
    user.email = "b@example.jp"
    user.save()
    with pytest.raises(ValueError):
        invitations.invitation_send(user, world.tenant_a, None, actor=SYSTEM)


@pytest.mark.postgres
def test_import_and_invitation_work_as_the_app_role_under_row_level_security(
    world, app_role, django_capture_on_commit_callbacks
):
    """The link is opened with no tenant chosen: the services set the link's tenant
    themselves, or row-level security would hide the invitation (and every link would fail)."""
    from django.db import connection

    from sasaeai.accounts import importer
    from tests.accounts.test_member_import import GOOD, actor, csv_bytes

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL ROLE sasaeai_app")
            preview = importer.validate(csv_bytes(*GOOD), tenant=world.tenant_a)
            assert not preview.errors, preview.errors
            result = importer.apply(preview, actor=actor(world))
            user = User.objects.get(pk=result.created[0])
            invitations.invitation_send(user, world.tenant_a, None)
            cursor.execute("RESET ROLE")
    token = link_in(mail.outbox[-1].body).rstrip("/").rsplit("/", 1)[1]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        found = invitations.invitation_for_token(tenant_id=world.tenant_a.pk, token=token)
        invitations.invitation_accept(invitation=found, password=NEW_PASSWORD)
        cursor.execute("RESET ROLE")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_tenant_creation_can_create_and_invite_its_first_admin(
    world, django_capture_on_commit_callbacks
):
    """The pair another module (golive's tenant_create) uses for a city's first admin."""
    from django.core.exceptions import ValidationError

    from sasaeai.accounts import services

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        membership = services.member_create_invited(
            actor=SYSTEM, tenant=world.tenant_b, email="Admin@Ichikawa.example.jp",
            role=Role.SYSTEM_ADMIN, display_name="市川 管理",
        )  # fmt: skip
        invitations.invitation_send(membership.user, world.tenant_b, None)
    assert membership.user.username == "admin@ichikawa.example.jp"
    assert not membership.user.has_usable_password()
    assert mail.outbox[0].to == ["admin@ichikawa.example.jp"] and "所沢市" in mail.outbox[0].subject
    with pytest.raises(ValidationError):
        services.member_create_invited(
            actor=SYSTEM, tenant=world.tenant_a, email="admin@ichikawa.example.jp",
            role=Role.SYSTEM_ADMIN,
        )  # fmt: skip


def test_the_admin_lists_this_tenants_invitations_only_and_without_the_hash(
    world, django_capture_on_commit_callbacks
):
    mine = send(world, new_member(world), capture=django_capture_on_commit_callbacks)
    assert mine
    other = Membership.objects.create(
        user=User.objects.create(username="b@example.jp", email="b@example.jp"),
        tenant=world.tenant_b,
        role=Role.RESIDENT,
    )
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_send(other.user, world.tenant_b, None)
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    listing = admin.get("/admin/accounts/invitation/").content.decode()
    assert "国府台 春子" in listing and "b@example.jp" not in listing
    invitation = Invitation.objects.get(tenant=world.tenant_a)
    page = admin.get(f"/admin/accounts/invitation/{invitation.pk}/change/").content.decode()
    assert invitation.token_hash not in page
    theirs = Invitation.objects.get(tenant=world.tenant_b)
    assert admin.get(f"/admin/accounts/invitation/{theirs.pk}/change/").status_code in {302, 404}
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert staff.get("/admin/accounts/invitation/").status_code in {302, 403}


def test_members_imported_through_the_page_and_its_job_accept_their_invitation(
    world, django_capture_on_commit_callbacks
):
    """The whole way: sheet → preview → confirm (a job) → worker → mail → link → password."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sasaeai.jobs.models import Job, JobStatus
    from sasaeai.jobs.worker import run_pending
    from tests.accounts.test_member_import import GOOD, csv_bytes

    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    admin.post("/accounts/members/import/", {"file": SimpleUploadedFile("m.csv", csv_bytes(*GOOD))})
    record = MemberImport.objects.get()
    location = admin.post(f"/accounts/members/import/{record.pk}/", {"action": "apply"})["Location"]
    assert mail.outbox == []  # nothing is sent before the job has run and committed
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    assert Job.objects.get().status == JobStatus.SUCCEEDED
    assert sorted(m.to[0] for m in mail.outbox) == [
        "hanako@example.jp", "ichiro@example.jp", "taro@example.jp",
    ]  # fmt: skip
    assert admin.get(location).status_code == 200
    path = link_in(next(m for m in mail.outbox if m.to == ["taro@example.jp"]).body)
    client = Client()
    done = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert User.objects.get(email="taro@example.jp").check_password(NEW_PASSWORD)
    invitation = Invitation.objects.get(user__email="taro@example.jp")
    assert invitation.sent_by == world.user(Role.SYSTEM_ADMIN)


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_is_down_does_not_undo_a_committed_import(world, settings):
    """Committed for real (no test transaction): the job's transaction commits, then the
    invitations go to an SMTP port where nothing listens. The members stay saved, the job
    succeeded, the invitations are recorded (an admin resends them from the member page)."""
    from sasaeai.accounts.jobs import KIND
    from sasaeai.accounts.models import ImportStatus
    from sasaeai.core.tenancy import tenant_context
    from sasaeai.jobs.models import Job, JobStatus
    from sasaeai.jobs.worker import run_pending
    from tests.accounts.test_member_import import GOOD, csv_bytes

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    with tenant_context(world.tenant_a.pk):
        record = MemberImport.objects.create(
            tenant=world.tenant_a, filename="m.csv", content=csv_bytes(*GOOD)
        )
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    admin.post(f"/accounts/members/import/{record.pk}/", {"action": "apply"})
    run_pending()
    with tenant_context(world.tenant_a.pk):
        job = Job.objects.get(kind=KIND)
        assert job.status == JobStatus.SUCCEEDED, job.error_message
        record.refresh_from_db()
        assert record.status == ImportStatus.APPLIED
        assert Membership.objects.filter(user__email="hanako@example.jp").exists()
        assert Invitation.objects.filter(tenant=world.tenant_a).count() == 3
    assert mail.outbox == []
