"""The register pages and API: filters, search, every read audited, the watch link, the
import preview, the metrics and the demo."""

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core.csvio import write_csv
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.disaster import selectors
from sasaeai.disaster.models import ConsentEvent, ImportStatus, RegisterEntry, RegisterImport
from tests.disaster.register_factories import care_csv, consent, make_entries

STAFF = Role.MUNICIPAL_STAFF


def _client(world, role=STAFF):
    return world.client_for(world.user(role))


def _people(world):
    return make_entries(
        world, [("K1", "山田 トメ", "桶川市桶川1"), ("K2", "加納 ハナ", "桶川市加納1")]
    )


def test_the_list_filters_and_audits_what_it_shows(world):
    k1, k2 = _people(world)
    client = _client(world)
    before = AuditEntry.objects.filter(action=Action.READ).count()
    body = client.get(f"/disaster/register/?area={world.other_district.pk}").content.decode()
    assert "加納 ハナ" in body and "山田 トメ" not in body
    reads = AuditEntry.objects.filter(action=Action.READ).order_by("pk")[before:]
    assert [r.object_id for r in reads] == [str(k2.pk)]
    assert "山田" in client.get("/disaster/register/?q=桶川市桶川").content.decode()
    consent(world, k1, ConsentEvent.REFUSED)
    refused = client.get("/disaster/register/?consent=refused").content.decode()
    assert "山田 トメ" in refused and "加納 ハナ" not in refused
    assert "山田" in client.get("/disaster/register/?reason=care_level").content.decode()
    assert "山田" not in client.get("/disaster/register/?reason=medical_device").content.decode()


def test_the_entry_page_shows_the_legal_items_and_links_to_the_watch_list(world):
    k1, _k2 = _people(world)
    before = AuditEntry.objects.count()
    body = _client(world).get(f"/disaster/register/{k1.pk}/").content.decode()
    assert "1940" in body and "048-000-0000" in body and "桶川市桶川1" in body
    assert f"/watch/people/new/?source=register&amp;ref={k1.pk}" in body
    assert AuditEntry.objects.filter(action=Action.READ, object_id=str(k1.pk)).count() == 1
    assert AuditEntry.objects.count() == before + 1


def test_the_api_lists_and_audits_every_person_returned(world):
    k1, k2 = _people(world)
    client = _client(world)
    before = AuditEntry.objects.filter(action=Action.READ).count()
    listing = client.get("/api/v1/disaster/register?limit=1").json()
    assert listing["count"] == 2 and len(listing["items"]) == 1
    assert AuditEntry.objects.filter(action=Action.READ).count() == before + 1
    detail = client.get(f"/api/v1/disaster/register/{k2.pk}").json()
    assert detail["address"] == "桶川市加納1" and detail["reasons"] == ["care_level"]
    assert client.get("/api/v1/disaster/register/999999").status_code == 404


def test_the_import_pages_show_the_difference_then_apply_it_once(world):
    client = _client(world)
    upload = client.post("/disaster/register/imports/", {
        "kind": "care", "file": _file(care_csv([("K1", "山田 トメ", "桶川市桶川1", "要介護5")])),
    })  # fmt: skip
    record = RegisterImport.objects.get()
    assert upload.status_code == 302
    preview = client.get(f"/disaster/register/imports/{record.pk}/").content.decode()
    assert 'data-testid="count-new">1<' in preview and "山田 トメ" in preview
    client.post(f"/disaster/register/imports/{record.pk}/", {"action": "apply"})
    again = client.post(
        f"/disaster/register/imports/{record.pk}/", {"action": "apply"}, follow=True
    )
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED and RegisterEntry.objects.count() == 1
    assert "反映済み" in again.content.decode()


def test_a_bad_upload_shows_the_errors_and_saves_nothing(world):
    bad = write_csv(["宛名番号", "氏名"], [["K1", "山田"]])
    response = _client(world).post(
        "/disaster/register/imports/", {"kind": "care", "file": _file(bad)}
    )
    assert response.status_code == 200 and "住所" in response.content.decode()
    assert RegisterImport.objects.count() == 0


def _file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("extract.csv", data, content_type="text/csv")


def test_the_metrics_count_listed_and_consented_people(world):
    k1, k2 = _people(world)
    consent(world, k1, ConsentEvent.GIVEN)
    consent(world, k2, ConsentEvent.ASKED)
    year = fiscal_year_of(k1.listed_on)
    assert selectors.register_entries_count(world.tenant_a.pk, year) == 2
    assert selectors.consented_count(world.tenant_a.pk, year) == 1
    assert selectors.register_entries_count(world.tenant_a.pk, year - 1) == 0
    consent(world, k1, ConsentEvent.WITHDRAWN)
    assert selectors.consented_count(world.tenant_a.pk, year) == 0


def test_the_metrics_are_registered_and_bound_in_the_demo(world):
    from sasaeai.core import metrics
    from sasaeai.plans.demo import METRIC_BINDINGS

    k1, _k2 = _people(world)
    consent(world, k1, ConsentEvent.GIVEN)
    year = fiscal_year_of(k1.listed_on)
    assert metrics.compute("disaster.consented", tenant_id=world.tenant_a.pk, fiscal_year=year) == 1
    assert metrics.get("disaster.register_entries").source == "disaster"
    assert METRIC_BINDINGS["避難行動要支援者名簿登載同意者数"] == "disaster.consented"


def test_the_demo_loads_a_register_with_mixed_consent_and_two_organisations(world):
    from sasaeai.core.tenancy import tenant_context
    from sasaeai.disaster.demo import load_register
    from sasaeai.disaster.models import HelperOrganisation

    load_register({world.tenant_b.code: world.tenant_b})
    with tenant_context(world.tenant_b.pk):
        entries = RegisterEntry.objects.filter(tenant=world.tenant_b)
        statuses = set(entries.values_list("consent_status", flat=True))
        assert entries.count() == 60 and entries.filter(area=world.area_b).count() == 60
        assert {"given", "asked", "not_asked"} <= statuses
        assert HelperOrganisation.objects.filter(tenant=world.tenant_b).count() == 2


def test_the_list_query_count_does_not_grow_with_its_length(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(world)
    make_entries(world, [(f"A{i}", f"一 {i}", "桶川市桶川1") for i in range(2)])
    with CaptureQueriesContext(connection) as few:
        client.get("/disaster/register/")
    make_entries(world, [(f"B{i}", f"二 {i}", "桶川市加納1") for i in range(12)])
    with CaptureQueriesContext(connection) as many:
        client.get("/disaster/register/")
    assert len(many.captured_queries) == len(few.captured_queries)
