"""The open-data import pages: upload, preview, apply and discard, as each persona sees them."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.jobs.models import Job, JobStatus
from sasaeai.jobs.worker import run_pending
from sasaeai.resources.models import ImportStatus, ResourceImport, Service

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "opendata"
UPLOAD_URL = "/resources/import/"


def csv_file(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, data if data is not None else (FIXTURES / name).read_bytes(), "text/csv"
    )


@pytest.fixture
def staff(world):
    return world.client_for(world.user(Role.MUNICIPAL_STAFF))


def upload(client, name, data=None):
    return client.post(UPLOAD_URL, {"file": csv_file(name, data)})


def test_staff_uploads_previews_and_applies(world, staff):
    assert staff.get(UPLOAD_URL).status_code == 200
    response = upload(staff, "care_service_current_utf8bom_crlf.csv")
    record = ResourceImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/resources/import/{record.pk}/"
    assert (record.tenant_id, record.dataset, record.column_set, record.encoding) == (
        world.tenant_a.pk, "care_service", "current", "utf-8-sig",
    )  # fmt: skip
    assert record.status == ImportStatus.PREVIEWED
    assert (
        bytes(record.content) == (FIXTURES / "care_service_current_utf8bom_crlf.csv").read_bytes()
    )
    assert record.summary["counts"] == {"added": 5, "changed": 0, "removed": 0, "unchanged": 0}
    assert record.uploaded_by == world.user(Role.MUNICIPAL_STAFF)
    assert not Service.objects.exists()  # nothing is applied on upload

    page = staff.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert "介護サービス事業所一覧" in text and "utf-8-sig" in text
    assert 'data-code="phone_normalised" data-line="3"' in text
    assert 'data-code="no_coordinates" data-line="5"' in text
    assert 'data-key="care_service:112097:K0001"' in text
    assert 'data-testid="apply"' in text and 'data-testid="apply" disabled' not in text

    applied = staff.post(response["Location"], {"action": "apply"})
    assert applied.status_code == 302
    job = Job.objects.get()
    assert applied["Location"] == f"/jobs/{job.pk}/"  # applying is a background job
    assert staff.post(response["Location"], {"action": "apply"})["Location"] == applied["Location"]
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED and not Service.objects.exists()
    run_pending()
    job_page = staff.get(applied["Location"]).content.decode()
    assert 'data-status="succeeded"' in job_page
    assert f'href="/resources/import/{record.pk}/"' in job_page
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED and record.applied_at is not None
    assert record.summary["applied"] is True
    assert Service.objects.filter(tenant=world.tenant_a).count() == 5
    entry = AuditEntry.objects.filter(object_type="core.tenant").get()
    assert entry.actor_id == world.user(Role.MUNICIPAL_STAFF).pk

    # Applying twice does nothing more.
    staff.post(response["Location"], {"action": "apply"})
    assert AuditEntry.objects.filter(object_type="core.tenant").count() == 1
    assert 'data-testid="apply"' not in staff.get(response["Location"]).content.decode()


def test_changes_are_listed_with_old_and_new_values(world, staff):
    upload(staff, "care_service_current_utf8bom_crlf.csv")
    staff.post(f"/resources/import/{ResourceImport.objects.get().pk}/", {"action": "apply"})
    run_pending()
    data = (FIXTURES / "care_service_current_utf8bom_crlf.csv").read_bytes()
    upload(
        staff,
        "care_service_current_utf8bom_crlf.csv",
        data.replace(b"048-999-0103", b"048-999-0999"),
    )
    record = ResourceImport.objects.order_by("-pk").first()
    assert record.summary["counts"]["changed"] == 1
    text = staff.get(f"/resources/import/{record.pk}/").content.decode()
    assert 'data-key="care_service:112097:K0003"' in text
    assert "048-999-0103 → 048-999-0999" in text


def test_discard_changes_nothing(world, staff):
    upload(staff, "public_facility_current_utf8bom_crlf.csv")
    record = ResourceImport.objects.get()
    response = staff.post(f"/resources/import/{record.pk}/", {"action": "discard"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == ImportStatus.DISCARDED
    assert not Service.objects.exists()
    staff.post(f"/resources/import/{record.pk}/", {"action": "apply"})
    run_pending()
    assert not Service.objects.exists()


def test_a_file_with_errors_cannot_be_applied(world, staff):
    upload(staff, "bad_duplicate_ids.csv")
    record = ResourceImport.objects.get()
    assert record.summary["has_errors"] is True
    text = staff.get(f"/resources/import/{record.pk}/").content.decode()
    assert 'data-testid="apply" disabled' in text
    assert 'data-code="duplicate_key" data-line="2"' in text
    assert 'data-code="duplicate_key" data-line="4"' in text
    staff.post(f"/resources/import/{record.pk}/", {"action": "apply"})
    run_pending()
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED
    assert not Service.objects.exists() and not Job.objects.exists()


def test_a_file_that_became_wrong_since_its_preview_fails_its_job_and_saves_nothing(world, staff):
    upload(staff, "care_service_current_utf8bom_crlf.csv")
    record = ResourceImport.objects.get()
    # The stored file is checked again when the job runs: now it has duplicate ids.
    record.content = (FIXTURES / "bad_duplicate_ids.csv").read_bytes()
    record.save(update_fields=["content"])
    location = staff.post(f"/resources/import/{record.pk}/", {"action": "apply"})["Location"]
    run_pending()
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.error_message.startswith("2件のエラーがあるため、何も保存しませんでした。")
    assert "2行目: 4行目と同じ記録です" in job.error_message
    assert 'data-testid="job-error"' in staff.get(location).content.decode()
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED
    assert not Service.objects.exists()


def test_unreadable_or_unknown_files_are_refused_on_the_upload_page(world, staff):
    for name in ("bad_encoding_latin1.csv", "bad_unknown_header.csv"):
        response = upload(staff, name)
        assert response.status_code == 200
        assert 'data-testid="problems"' in response.content.decode()
    assert 'data-code="undecodable"' in upload(staff, "bad_encoding_latin1.csv").content.decode()
    assert not ResourceImport.objects.exists()
    assert not Service.objects.exists()


def test_a_volunteer_is_refused(world):
    client = world.client_for(world.user(Role.VOLUNTEER))
    assert client.get(UPLOAD_URL).status_code == 403
    response = client.post(UPLOAD_URL, {"file": csv_file("care_service_current_utf8bom_crlf.csv")})
    assert response.status_code == 403
    record = ResourceImport.objects.create(
        tenant=world.tenant_a, filename="x.csv", content=b"", dataset="care_service"
    )
    assert client.get(f"/resources/import/{record.pk}/").status_code == 403
    assert client.post(f"/resources/import/{record.pk}/", {"action": "apply"}).status_code == 403
    assert not Service.objects.exists()


def test_another_tenants_import_is_not_found(world, staff):
    data = (FIXTURES / "public_facility_current_utf8bom_crlf.csv").read_bytes()
    record = ResourceImport.objects.create(
        tenant=world.tenant_b, filename="b.csv", content=data.replace(b"112097", b"112089"),
        dataset="public_facility", summary={"counts": {"added": 4}},
    )  # fmt: skip
    assert staff.get(f"/resources/import/{record.pk}/").status_code == 404
    assert staff.post(f"/resources/import/{record.pk}/", {"action": "apply"}).status_code == 404
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED
    assert not Service.objects.exists()
    # The upload page lists this tenant's imports only.
    assert "b.csv" not in staff.get(UPLOAD_URL).content.decode()
