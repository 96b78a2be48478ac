from sasaeai.accounts.models import Role
from sasaeai.commissioners.demo import load_commissioners
from sasaeai.commissioners.models import ActivityEntry, MonthlyRecord, RecordStatus
from sasaeai.core import metrics
from sasaeai.plans.demo import METRIC_BINDINGS


def test_the_demo_writes_months_of_entries_and_locks_the_past_ones(world):
    load_commissioners({world.tenant_a.code: world.tenant_a})
    commissioner = world.user(Role.WELFARE_COMMISSIONER)
    entries = ActivityEntry.objects.filter(tenant=world.tenant_a, commissioner=commissioner)
    assert entries.dates("day", "month").count() >= 3
    assert entries.filter(kind="consultation").exists() and entries.filter(kind="visit").exists()
    locked = MonthlyRecord.objects.filter(commissioner=commissioner, status=RecordStatus.LOCKED)
    assert locked.count() == 3
    assert not entries.filter(tenant=world.tenant_b).exists()


def test_the_demo_plan_binds_both_indicators_to_published_metrics():
    assert METRIC_BINDINGS["民生委員・児童委員による訪問回数"] == "commissioners.visits"
    assert METRIC_BINDINGS["民生委員・児童委員による相談支援件数"] == "commissioners.consultations"
    assert metrics.is_published("commissioners.visits")
    assert metrics.is_published("commissioners.consultations")


def test_the_navigation_shows_activity_records_to_commissioners_and_the_office_only(world):
    for role in Role:
        page = world.client_for(world.user(role)).get("/")
        shown = b'href="/commissioners/"' in page.content
        assert shown == (role in {Role.WELFARE_COMMISSIONER, Role.MUNICIPAL_STAFF,
                                  Role.WELFARE_COUNCIL_STAFF}), role  # fmt: skip


def test_home_sends_each_role_to_its_page(world):
    commissioner = world.client_for(world.user(Role.WELFARE_COMMISSIONER)).get("/commissioners/")
    assert "/commissioners/forms/" in commissioner["Location"]
    office = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF)).get("/commissioners/")
    assert "/commissioners/office/" in office["Location"]
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN)).get("/commissioners/")
    assert "/commissioners/districts/" in admin["Location"]
    assert world.client_for(world.user(Role.VOLUNTEER)).get("/commissioners/").status_code == 403


def test_a_commissioner_records_an_entry_on_the_phone_form(world):
    from tests.commissioners.conftest import last_month

    client = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    day = last_month()
    response = client.post("/commissioners/entries/new/", {
        "day": day.isoformat(), "kind": "consultation", "field": "children",
        "topic": "child_school", "count": "2", "note": "",
    })  # fmt: skip
    assert response.status_code == 302
    entry = ActivityEntry.objects.get()
    assert (entry.field, entry.topic, entry.count) == ("children", "child_school", 2)
    refused = client.post("/commissioners/entries/new/", {
        "day": day.isoformat(), "kind": "visit", "detail": "watch", "count": "1",
        "note": "田中さん宅",
    })  # fmt: skip
    assert refused.status_code == 200
    assert "氏名" in refused.content.decode()
    assert ActivityEntry.objects.count() == 1
