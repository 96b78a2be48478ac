"""Members in bulk from a sheet: validate (errors with their line, nothing saved) → apply."""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from sasaeai.accounts import importer
from sasaeai.accounts.models import ImportStatus, Invitation, MemberImport, Membership, Role, User
from sasaeai.audit.models import AuditEntry
from sasaeai.jobs.models import Job, JobStatus
from sasaeai.jobs.worker import run_pending
from tests.conftest import SYSTEM

HEADER = "氏名,ふりがな,メールアドレス,役割,地区\r\n"


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8-sig") -> bytes:
    return (header + "".join(line + "\r\n" for line in lines)).encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD = (
    "市川 花子,いちかわ はなこ,hanako@example.jp,民生委員・児童委員,桶川地区・加納地区",
    "市川 太郎,いちかわ たろう,taro@example.jp,municipal_staff,",
    "真間 一郎,まま いちろう,Ichiro@Example.jp,システム管理者,",
)


def actor(world):
    return SYSTEM.__class__(
        user_id=None, username="test", tenant_id=world.tenant_a.pk, membership_id=None, role=None
    )


def messages(preview) -> list[str]:
    return [problem.message for problem in preview.errors]


def counts_of_everything():
    return (User.objects.count(), Membership.objects.count(), Invitation.objects.count())


def test_a_utf8_sheet_creates_the_members_with_roles_and_districts(world):
    preview = importer.validate(csv_bytes(*GOOD), tenant=world.tenant_a)
    assert not preview.errors and preview.counts == {"new": 3, "changed": 0, "unchanged": 0}
    result = importer.apply(preview, actor=actor(world))
    assert len(result.created) == 3
    hanako = Membership.objects.get(user__email="hanako@example.jp")
    assert hanako.tenant == world.tenant_a
    assert hanako.role == Role.WELFARE_COMMISSIONER
    assert {a.name for a in hanako.areas.all()} == {"桶川地区", "加納地区"}
    assert hanako.user.username == "hanako@example.jp"
    assert hanako.user.display_name == "市川 花子"
    assert hanako.user.display_name_kana == "いちかわ はなこ"
    assert not hanako.user.has_usable_password()
    # E-mail addresses are kept in lower case and matched without regard to case.
    assert Membership.objects.get(user__email="ichiro@example.jp").role == Role.SYSTEM_ADMIN
    assert (
        AuditEntry.objects.filter(object_type="accounts.membership", action="create").count() >= 3
    )


def test_a_cp932_sheet_with_english_headers_and_role_labels_is_read(world):
    data = csv_bytes(
        "高橋 髙子,たかはし たかこ,takako@example.jp,民生委員,桶川第1区",
        header="name,kana,email,role,districts\r\n",
        encoding="cp932",
    )
    preview = importer.validate(data, tenant=world.tenant_a)
    assert preview.encoding == "cp932" and not preview.errors
    importer.apply(preview, actor=actor(world))
    membership = Membership.objects.get(user__email="takako@example.jp")
    assert membership.user.display_name == "高橋 髙子"
    assert [a.name for a in membership.areas.all()] == ["桶川第1区"]


def test_an_xlsx_sheet_is_read_with_its_row_numbers(world):
    data = xlsx_bytes([
        ["氏名", "ふりがな", "メールアドレス", "役割", "地区", "備考"],
        ["市川 花子", "いちかわ はなこ", "hanako@example.jp", "民生委員・児童委員", "桶川地区"],
        [None, None, None, None, None],
        ["", "", "bad-address", "市長", ""],
    ])  # fmt: skip
    preview = importer.validate(data, tenant=world.tenant_a, filename="members.xlsx")
    assert preview.encoding == "xlsx"
    assert messages(preview) == [
        "4行目、列「氏名」: 氏名が空です。",
        "4行目、列「メールアドレス」: bad-address は正しいメールアドレスではありません。",
        "4行目、列「役割」: 不明な役割です: 市長",
    ]
    # The extra column is a warning only.
    assert [w.message for w in preview.warnings] == [
        "1行目、列「備考」: この列は使われないため無視されます。"
    ]


def test_each_bad_line_is_reported_and_nothing_is_saved(world):
    before = counts_of_everything()
    data = csv_bytes(
        "市川 花子,,dup@example.jp,民生委員・児童委員,桶川地区",  # line 2
        "市川 太郎,,dup@example.jp,市町村職員,",  # line 3: duplicate of line 2
        ",,empty-name@example.jp,市町村職員,",  # line 4
        "真間 一郎,,not-an-address,市町村職員,",  # line 5
        "真間 次郎,,jiro@example.jp,課長,",  # line 6
        "真間 三郎,,saburo@example.jp,民生委員,どこか地区",  # line 7
        "真間 四郎,,shiro@example.jp,民生委員,",  # line 8
        "真間 五郎,,goro@example.jp,市町村職員,桶川地区",  # line 9
        "並木 六郎,,b-admin@example.jp,市町村職員,",  # line 10: user of another tenant
    )
    world.admin_b.user.email = "b-admin@example.jp"
    world.admin_b.user.save()
    preview = importer.validate(data, tenant=world.tenant_a)
    assert messages(preview) == [
        "3行目、列「メールアドレス」: dup@example.jp は 2 行目と 3 行目にあります。",
        "4行目、列「氏名」: 氏名が空です。",
        "5行目、列「メールアドレス」: not-an-address は正しいメールアドレスではありません。",
        "6行目、列「役割」: 不明な役割です: 課長",
        "7行目、列「地区」: 不明な地区です: どこか地区",
        "8行目、列「地区」: 民生委員・児童委員には地区が1つ以上必要です。",
        "9行目、列「地区」: 地区を持つのは民生委員・児童委員だけです。この役割では空欄にしてください。",
        "10行目、列「メールアドレス」: b-admin@example.jp は、この自治体のメンバーではない"
        "ユーザーがすでに使っています。",
    ]
    with pytest.raises(importer.ImportRefused):
        importer.apply(preview, actor=actor(world))
    assert counts_of_everything() == before


def test_missing_required_columns_are_named(world):
    preview = importer.validate("氏名,地区\r\n花子,\r\n".encode(), tenant=world.tenant_a)
    assert messages(preview) == [
        "1行目、列「メールアドレス」: この列は必須です。",
        "1行目、列「役割」: この列は必須です。",
    ]


def test_a_file_in_neither_encoding_is_refused(world):
    preview = importer.validate(b"\xff\xfe\x00\x81\x00", tenant=world.tenant_a)
    assert preview.has_errors and "文字コード" in messages(preview)[0]


def test_importing_the_same_sheet_again_changes_nothing(world):
    importer.apply(importer.validate(csv_bytes(*GOOD), tenant=world.tenant_a), actor=actor(world))
    audit_count = AuditEntry.objects.count()
    before = counts_of_everything()
    preview = importer.validate(csv_bytes(*GOOD), tenant=world.tenant_a)
    assert preview.counts == {"new": 0, "changed": 0, "unchanged": 3}
    result = importer.apply(preview, actor=actor(world))
    assert result.created == [] and result.changed == 0
    assert counts_of_everything() == before
    assert AuditEntry.objects.count() == audit_count


def test_a_changed_row_updates_the_existing_member(world):
    importer.apply(importer.validate(csv_bytes(*GOOD), tenant=world.tenant_a), actor=actor(world))
    changed = csv_bytes(
        "市川 花子,いちかわ はなこ,hanako@example.jp,民生委員・児童委員,加納地区",
        "市川 太郎,いちかわ たろう,taro@example.jp,社会福祉協議会職員,",
    )
    preview = importer.validate(changed, tenant=world.tenant_a)
    assert preview.counts == {"new": 0, "changed": 2, "unchanged": 0}
    assert preview.rows[0].changes == ["地区: 桶川地区、加納地区 → 加納地区"]
    # The page that shows these changes records that the admin read those members.
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    upload(client, changed)
    reads = AuditEntry.objects.filter(action="read", object_type="accounts.membership")
    assert reads.filter(object_id=str(preview.rows[0].membership_id)).exists()
    importer.apply(preview, actor=actor(world))
    hanako = Membership.objects.get(user__email="hanako@example.jp")
    assert [a.name for a in hanako.areas.all()] == ["加納地区"]
    assert Membership.objects.get(user__email="taro@example.jp").role == (
        Role.WELFARE_COUNCIL_STAFF
    )


def test_an_existing_member_of_the_tenant_is_matched_by_email(world):
    user = world.user(Role.MUNICIPAL_STAFF)
    user.email, user.display_name = "staff@example.jp", "市 職員"
    user.save()
    preview = importer.validate(
        csv_bytes(f"{user.display_name},,STAFF@example.jp,municipal_staff,"),
        tenant=world.tenant_a,
    )
    assert preview.counts == {"new": 0, "changed": 0, "unchanged": 1}


def test_the_command_checks_dry_runs_and_imports_with_invitations(
    world, tmp_path, capsys, django_capture_on_commit_callbacks
):
    sheet = tmp_path / "members.csv"
    sheet.write_bytes(csv_bytes(*GOOD))
    call_command("import_members", str(sheet), "--tenant", "桶川市", "--dry-run")
    assert "new: 3" in capsys.readouterr().out
    assert not User.objects.filter(email="hanako@example.jp").exists()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_members", str(sheet), "--tenant", "112097")
    assert Membership.objects.filter(tenant=world.tenant_a, user__email__endswith="@example.jp")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "hanako@example.jp", "ichiro@example.jp", "taro@example.jp"
    ]  # fmt: skip
    assert Invitation.objects.filter(tenant=world.tenant_a).count() == 3

    call_command("import_members", str(sheet), "--tenant", "桶川市")
    assert "new: 0, changed: 0, unchanged: 3" in capsys.readouterr().out
    assert len(mail.outbox) == 3


def test_the_command_without_invitations_sends_no_mail(world, tmp_path):
    sheet = tmp_path / "members.csv"
    sheet.write_bytes(csv_bytes(*GOOD))
    call_command("import_members", str(sheet), "--tenant", "桶川市", "--no-invite")
    assert User.objects.filter(email="taro@example.jp").exists()
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_the_command_refuses_a_bad_sheet_with_the_lines(world, tmp_path, capsys):
    sheet = tmp_path / "members.csv"
    sheet.write_bytes(csv_bytes("花子,,x@example.jp,課長,"))
    with pytest.raises(CommandError, match="1 件"):
        call_command("import_members", str(sheet), "--tenant", "桶川市")
    assert "2行目、列「役割」: 不明な役割です: 課長" in capsys.readouterr().err
    assert not User.objects.filter(email="x@example.jp").exists()


# ---- the page ---------------------------------------------------------------------------------


def upload(client, data: bytes, name="members.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/accounts/members/import/", {"file": SimpleUploadedFile(name, data)}, follow=True
    )


def test_admin_uploads_previews_and_confirms(world, django_capture_on_commit_callbacks):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    assert "一括登録" in client.get("/accounts/members/").content.decode()
    response = upload(client, csv_bytes(*GOOD))
    page = response.content.decode()
    assert "新規: 3" in page and "hanako@example.jp" in page
    assert not User.objects.filter(email="hanako@example.jp").exists()
    record = MemberImport.objects.get()
    response = client.post(f"/accounts/members/import/{record.pk}/", {"action": "apply"})
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"  # applying is a background job
    assert (job.kind, job.parameters) == ("accounts.member_import_apply", {"import_id": record.pk})
    # A second click while the job waits opens the same job; nothing is saved yet.
    again = client.post(f"/accounts/members/import/{record.pk}/", {"action": "apply"})
    assert again["Location"] == response["Location"] and Job.objects.count() == 1
    assert not User.objects.filter(email="hanako@example.jp").exists()
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    job_page = client.get(response["Location"]).content.decode()
    assert 'data-status="succeeded"' in job_page
    assert f'href="/accounts/members/import/{record.pk}/"' in job_page  # back to the summary
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED and bytes(record.content) == b""
    # Once applied, the record keeps counts, not the people's names and addresses.
    assert "rows" not in record.summary and record.summary["counts"]["new"] == 3
    assert record.summary["invited"] == 3
    assert len(mail.outbox) == 3
    assert Invitation.objects.filter(sent_by=world.user(Role.SYSTEM_ADMIN)).count() == 3
    summary_page = client.get(f"/accounts/members/import/{record.pk}/").content.decode()
    assert f'href="/jobs/{job.pk}/"' in summary_page and 'value="apply"' not in summary_page
    # Confirming twice does nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/accounts/members/import/{record.pk}/", {"action": "apply"})
        run_pending()
    assert len(mail.outbox) == 3 and Job.objects.count() == 1
    listing = client.get("/accounts/members/").content.decode()
    assert 'data-invitation="pending"' in listing


def test_a_bad_sheet_shows_its_errors_and_cannot_be_applied(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = upload(client, csv_bytes("花子,,x@example.jp,課長,"))
    page = response.content.decode()
    assert "2行目、列「役割」: 不明な役割です: 課長" in page
    assert 'value="apply"' not in page
    record = MemberImport.objects.get()
    client.post(f"/accounts/members/import/{record.pk}/", {"action": "apply"})
    run_pending()
    assert not User.objects.filter(email="x@example.jp").exists() and not Job.objects.exists()


def test_an_xlsx_upload_works_on_the_page(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    data = xlsx_bytes([["氏名", "メールアドレス", "役割"], ["花子", "h@example.jp", "住民"]])
    response = upload(client, data, name="members.xlsx")
    assert "新規: 1" in response.content.decode()


@pytest.mark.parametrize("role", [Role.MUNICIPAL_STAFF, Role.WELFARE_COMMISSIONER])
def test_only_system_admins_may_import(world, role):
    client = world.client_for(world.user(role))
    assert client.get("/accounts/members/import/").status_code == 403
    assert "一括登録" not in client.get("/accounts/members/").content.decode()


def test_an_import_of_another_tenant_does_not_exist(world):
    client_b = world.client_for(world.admin_b.user)
    upload(client_b, csv_bytes(*GOOD))
    record = MemberImport.objects.get()
    client_a = world.client_for(world.user(Role.SYSTEM_ADMIN))
    assert client_a.get(f"/accounts/members/import/{record.pk}/").status_code == 404
    assert (
        client_a.post(f"/accounts/members/import/{record.pk}/", {"action": "apply"}).status_code
        == 404
    )
    run_pending()
    assert not User.objects.filter(email="hanako@example.jp").exists() and not Job.objects.exists()


def test_an_admin_cannot_change_their_own_role_by_import(world):
    admin = world.user(Role.SYSTEM_ADMIN)
    admin.email, admin.display_name = "admin@example.jp", "管理 者"
    admin.save()
    client = world.client_for(admin)
    response = upload(client, csv_bytes("管理 者,,admin@example.jp,市職員,"))
    assert (
        "2行目、列「役割」: ご自身のアカウントです。一括登録ではご自身の役割を変更しません。"
        in (response.content.decode())
    )
    assert world.members[Role.SYSTEM_ADMIN].role == Role.SYSTEM_ADMIN


def test_confirming_checks_the_sheet_again_against_the_members_as_they_are_now(
    world, django_capture_on_commit_callbacks
):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    upload(client, csv_bytes(*GOOD))
    record = MemberImport.objects.get()
    location = client.post(f"/accounts/members/import/{record.pk}/", {"action": "apply"})[
        "Location"
    ]
    # Meanwhile tenant B's admin gets one of the sheet's addresses.
    world.admin_b.user.email = "taro@example.jp"
    world.admin_b.user.save()
    before = counts_of_everything()
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.error_message.startswith("1件のエラーがあるため、何も保存しませんでした。")
    page = client.get(location).content.decode()
    assert 'data-testid="job-error"' in page
    assert "3行目、列「メールアドレス」: taro@example.jp は" in page
    assert f'href="/accounts/members/import/{record.pk}/"' in page
    assert not User.objects.filter(email="hanako@example.jp").exists()
    assert counts_of_everything() == before
    assert mail.outbox == []
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED  # the admin may discard it or try again


def _fail_after_saving(run):
    """The real apply handler, then a failure before the job's transaction commits."""
    from sasaeai.accounts.jobs import apply_job
    from sasaeai.core.jobs import JobError

    apply_job(run)
    assert User.objects.filter(email="hanako@example.jp").exists()  # saved, not committed
    raise JobError("保存の後で止まりました（テスト）")


def test_a_job_that_fails_after_saving_keeps_nothing_and_sends_no_mail(
    world, django_capture_on_commit_callbacks
):
    from sasaeai.accounts.jobs import APPLY
    from sasaeai.core import jobs as registry
    from sasaeai.jobs.services import job_enqueue

    registry.register(
        registry.JobKind(
            "tests.member_import_then_fail", "失敗する一括登録", _fail_after_saving,
            APPLY.permission, "tests", authorize=APPLY.authorize,
        )
    )  # fmt: skip
    admin = world.members[Role.SYSTEM_ADMIN]
    record = MemberImport.objects.create(
        tenant=world.tenant_a, filename="members.csv", content=csv_bytes(*GOOD)
    )
    before = counts_of_everything()
    actor_of_admin = SYSTEM.__class__(
        user_id=admin.user_id, username=admin.user.username, tenant_id=world.tenant_a.pk,
        membership_id=admin.pk, role=admin.role, otp_verified=True,
    )  # fmt: skip
    job = job_enqueue(
        actor=actor_of_admin, kind="tests.member_import_then_fail",
        parameters={"import_id": record.pk},
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error_message == "保存の後で止まりました（テスト）"
    assert counts_of_everything() == before and mail.outbox == []
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED and bytes(record.content)
    page = world.client_for(admin.user).get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-testid="job-error"' in page and "保存の後で止まりました" in page


def test_another_tenants_admin_cannot_see_the_job(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    upload(client, csv_bytes(*GOOD))
    record = MemberImport.objects.get()
    location = client.post(f"/accounts/members/import/{record.pk}/", {"action": "apply"})[
        "Location"
    ]
    client_b = world.client_for(world.admin_b.user)
    assert client_b.get(location).status_code == 404
    assert client_b.get(f"{location}download/").status_code == 404
    run_pending()
    assert client_b.get(location).status_code == 404
    assert client_b.get(f"{location}download/").status_code == 404
    assert client.get(location).status_code == 200


def test_a_stored_import_can_be_applied_without_a_request(
    world, django_capture_on_commit_callbacks
):
    """What a background job calls: ids in, the same result as the page."""
    record = MemberImport.objects.create(
        tenant=world.tenant_a, filename="members.csv", content=csv_bytes(*GOOD)
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = importer.apply_stored(
            import_id=record.pk, actor=actor(world), sent_by_id=world.user(Role.SYSTEM_ADMIN).pk
        )
    assert len(result.created) == 3 and len(mail.outbox) == 3
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED
    with pytest.raises(ValueError):
        importer.apply_stored(import_id=record.pk, actor=actor(world), sent_by_id=None)


def test_a_damaged_excel_file_is_refused_with_a_message(world):
    preview = importer.validate(b"PK\x03\x04 not really a zip", tenant=world.tenant_a)
    assert messages(preview) == ["Excelファイルを読み込めません（BadZipFile）。"]


def test_districts_by_code_with_any_separator_and_a_full_width_address(world):
    from sasaeai.core.models import Area

    Area.objects.filter(pk=world.district.pk).update(code="D01")
    Area.objects.filter(pk=world.other_district.pk).update(code="D02")
    data = csv_bytes("市川 花子,,ｈａｎａｋｏ＠example.jp,welfare_commissioner,D01;D02、D01")
    preview = importer.validate(data, tenant=world.tenant_a)
    assert not preview.errors
    assert preview.rows[0].email == "hanako@example.jp"
    assert preview.rows[0].area_ids == sorted([world.district.pk, world.other_district.pk])


@pytest.mark.postgres
def test_the_job_runs_as_the_app_role_under_row_level_security(
    world, app_role, django_capture_on_commit_callbacks
):
    """The worker's connection in production is the app role: the job sees its tenant only."""
    from django.db import connection, transaction

    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    upload(client, csv_bytes(*GOOD))
    record = MemberImport.objects.get()
    client.post(f"/accounts/members/import/{record.pk}/", {"action": "apply"})
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {app_role}")
            run_pending()
            cursor.execute("RESET ROLE")
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert Membership.objects.filter(tenant=world.tenant_a, user__email="taro@example.jp").exists()
    assert len(mail.outbox) == 3


def test_the_job_reports_its_progress(world, django_capture_on_commit_callbacks):
    """The handler itself, with a run that records what it is told (the job page's bar)."""
    from dataclasses import dataclass, field

    from sasaeai.accounts import jobs

    @dataclass
    class RecordingRun:
        job_id: int
        tenant_id: int
        parameters: dict
        actor: object
        seen: list = field(default_factory=list)

        def progress(self, done, total=None, stage=""):
            self.seen.append((done, total, stage))

    record = MemberImport.objects.create(
        tenant=world.tenant_a, filename="members.csv", content=csv_bytes(*GOOD)
    )
    run = RecordingRun(0, world.tenant_a.pk, jobs.parameters_for(record), actor(world))
    with django_capture_on_commit_callbacks(execute=True):
        jobs.apply_job(run)
    assert run.seen == [
        (0, 3, "シートをもう一度確認しています"),
        (1, 3, "3 人を保存しています"),
        (2, 3, "保存しました"),
        (3, 3, "保存しました。3 人に招待メールを送っています"),
    ]
    assert len(mail.outbox) == 3
