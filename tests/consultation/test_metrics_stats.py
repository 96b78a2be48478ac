"""Metrics for the plans, and the anonymous statistics page with its CSV and Excel exports."""

import datetime
import io
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.consultation import metrics, services, statistics
from sasaeai.consultation.models import (
    ActivityKind,
    AgencyKind,
    Channel,
    ConferenceKind,
    Consultation,
)
from sasaeai.core import metrics as registry
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import demo as plans_demo
from sasaeai.plans import planfile
from sasaeai.plans import services as plan_services
from sasaeai.plans.models import IndicatorActual

from .factories import actor_for, actor_of, make_agency, make_case, make_person

SEED = Path(plans_demo.__file__).parent / "seed_plans" / "tokorozawa-community-welfare-4.yaml"
YEAR = fiscal_year_of(timezone.localdate())


def at(year, month, day, hour=10, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


def record(actor, channel=Channel.PHONE, when=None, **extra):
    services.concern_tags_ensure(actor.tenant_id)
    return services.consultation_record(
        actor=actor,
        data=services.ConsultationInput(
            channel=channel, description="相談の内容", received_at=when or timezone.now(), **extra
        ),
    )


def compute(key, tenant, year=YEAR):
    return registry.compute(f"consultation.{key}", tenant_id=tenant.pk, fiscal_year=year)


# ---- metrics ---------------------------------------------------------------------------------


def test_consultations_are_counted_in_the_fiscal_year_they_were_received(world):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    record(csw, when=at(YEAR, 4, 1, 0, 0))  # first minute of the year
    record(csw, when=at(YEAR, 3, 31, 23, 59))  # last minute of the year before
    record(csw, channel=Channel.COUNTER, when=at(YEAR, 4, 2))
    assert compute("consultations_received", world.tenant_a) == 2
    assert compute("consultations_received", world.tenant_a, YEAR - 1) == 1
    assert compute("consultations_phone", world.tenant_a) == 1
    assert compute("consultations_counter", world.tenant_a) == 1
    assert compute("consultations_received", world.tenant_b) == 0


def test_every_channel_concern_and_agency_kind_has_a_metric(world):
    keys = {m.key for m in registry.all_metrics()}
    assert {f"consultation.consultations_{c}" for c in Channel.values} <= keys
    assert {f"consultation.concern_{code}" for code, _name in services.DEFAULT_CONCERNS} <= keys
    assert {f"consultation.referrals_{k}" for k in AgencyKind.values} <= keys
    assert {f"consultation.conferences_{k}" for k in ConferenceKind.values} <= keys


def test_concerns_count_tags_on_the_consultation_or_its_case_and_cases_without_intake(world):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    record(csw, concern_codes=["elderly"])
    untagged = record(csw)
    case = make_case(csw, concern_codes=["8050", "elderly"])
    services.consultation_take_in(actor=csw, consultation=untagged, case=case)
    make_case(csw, concern_codes=["8050"])  # opened directly, no consultation record
    assert compute("concern_elderly", world.tenant_a) == 2  # the tagged one and the taken-in one
    assert compute("concern_8050", world.tenant_a) == 2  # the taken-in one and the direct case
    assert compute("concern_dv", world.tenant_a) == 0


def test_new_persons_are_those_first_consulted_about_in_the_year(world):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    returning = make_person(csw, name="前年度 さん", kana="ゼンネンド")
    new = make_person(csw, name="今年度 さん", kana="コンネンド")
    make_person(csw, name="相談なし さん", kana="ソウダンナシ")
    record(csw, when=at(YEAR - 1, 6, 1), person_id=returning.pk)
    record(csw, when=at(YEAR, 4, 3), person_id=returning.pk)
    make_case(csw, persons=[new])
    assert compute("new_persons", world.tenant_a) == 1
    assert compute("new_persons", world.tenant_a, YEAR - 1) == 1


def test_cases_referrals_conferences_and_outreach(world):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    person = make_person(csw)
    case = make_case(csw, persons=[person], is_outreach=True)
    closed = make_case(csw, title="終結したケース")
    services.case_transition(
        actor=csw, case=closed, to_status="closed", version=closed.version, note="終結"
    )
    agency = make_agency(csw, kind=AgencyKind.HIKIKOMORI_SUPPORT)
    services.referral_send(
        actor=csw,
        case=case,
        agency=agency,
        request="面談をお願いしたい",
        shares_personal_data=False,
    )
    services.conference_record(
        actor=csw,
        data=services.ConferenceInput(
            kind=ConferenceKind.SUPPORT_MEETING, held_at=timezone.now(), case_ids=[case.pk],
            confidentiality_confirmed=True,
        ),
    )  # fmt: skip
    services.activity_record(actor=csw, case=case, kind="visit", summary="訪問した", minutes=60)
    services.activity_record(
        actor=csw, case=closed, kind="phone", summary="電話した", is_outreach=True
    )
    services.activity_record(
        actor=csw, case=closed, kind="record", summary="記録", is_outreach=True
    )
    tenant = world.tenant_a
    assert compute("cases_opened", tenant) == 2
    assert compute("cases_closed", tenant) == 1
    assert compute("referrals", tenant) == 1
    assert compute("referrals_hikikomori_support", tenant) == 1
    assert compute("referrals_community_care_centre", tenant) == 0
    assert compute("conferences_held", tenant) == 1
    assert compute("conferences_support_meeting", tenant) == 1
    # The visit on the outreach case and the call marked outreach; a record is not a contact.
    assert compute("outreach_contacts", tenant) == 2


def test_csw_support_count_adds_consultations_received_and_contacts_recorded_by_csws(world):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    council = actor_of(world, Role.WELFARE_COUNCIL_STAFF)
    record(csw)
    record(council)
    case = make_case(csw)
    services.activity_record(actor=csw, case=case, kind="interview", summary="面談")
    services.activity_record(actor=csw, case=case, kind="record", summary="記録のみ")
    assert compute("csw_support_count", world.tenant_a) == 2


def test_refreshing_the_tokorozawa_plan_fills_its_bound_indicators(world):
    tenant = world.tenant_b
    year = min(YEAR, 2026)  # the plan runs to FY2026
    when = at(year, 4, 1, 0, 30)
    csw = actor_for(world.add_member(tenant, "b-csw", Role.COMMUNITY_SOCIAL_WORKER))
    council = actor_for(world.add_member(tenant, "b-council", Role.WELFARE_COUNCIL_STAFF))
    for _i in range(3):
        record(csw, when=when)
    record(council, when=when)
    case = make_case(csw, opened_on=when.date())
    services.activity_record(actor=csw, case=case, kind="phone", summary="電話", occurred_at=when)
    importer = actor_for(world.admin_b)
    bindings = {
        "福祉の相談窓口への相談件数": "consultation.consultations_received",
        "コミュニティソーシャルワーカー（ＣＳＷ）による総合的福祉相談支援件数": "consultation.csw_support_count",
    }
    assert {k: plans_demo.METRIC_BINDINGS[k] for k in bindings} == bindings
    with tenant_context(tenant.pk):
        plan = plan_services.plan_import(
            actor=importer,
            tenant_id=tenant.pk,
            document=planfile.load(SEED.read_text(encoding="utf-8")),
        )
        bound = plan.indicators.filter(name__in=bindings)
        assert bound.count() == 2
        for indicator in bound:
            indicator.metric_key = bindings[indicator.name]
            indicator.save(update_fields=["metric_key"])
        assert (
            plan_services.metric_actuals_refresh(actor=importer, plan=plan, today=when.date()) == 2
        )
        actuals = {
            a.indicator.metric_key: a.value
            for a in IndicatorActual.objects.filter(
                indicator__in=bound, fiscal_year=year
            ).select_related("indicator")
        }
    # Four consultations; the CSW received three and made one call.
    assert actuals == {
        "consultation.consultations_received": 4,
        "consultation.csw_support_count": 4,
    }


# ---- statistics ------------------------------------------------------------------------------


def test_small_cells_are_hidden_and_a_lone_hidden_cell_gets_a_partner():
    mask = statistics.MASK
    assert statistics.suppress([[1], [5], [0], [7]]) == [[mask], [mask], [0], [7]]
    assert statistics.suppress([[1], [2], [10]]) == [[mask], [mask], [10]]
    assert statistics.suppress([[3, 0], [4, 0]]) == [[3, 0], [4, 0]]


def _build(tenant, year=YEAR):
    return {t.key: t for t in statistics.build(tenant.pk, year)}


def _populate(world):
    csw = actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)
    in_district = make_person(csw, name="山田太郎", area_id=world.district.pk)
    in_sub_district = make_person(
        csw, name="佐藤花子", kana="サトウハナコ", area_id=world.sub_district.pk
    )
    for person in (in_district, in_sub_district):
        record(csw, person_id=person.pk)
    for _i in range(3):
        record(
            csw,
            channel=Channel.COUNTER,
            area_id=world.other_district.pk,
            concern_codes=["hardship"],
        )
    record(csw, channel=Channel.EMAIL)  # no district
    case = make_case(csw, persons=[in_district], concern_codes=["elderly"])
    services.activity_record(
        actor=csw, case=case, kind="visit", summary="訪問", minutes=90, is_outreach=True
    )
    return case


def test_statistics_tables_agree_with_the_metrics(world):
    _populate(world)
    tables = _build(world.tenant_a)
    summary = dict((row[0], row[1]) for row in tables["summary"].rows)
    assert list(summary.values())[0] == compute("consultations_received", world.tenant_a) == 6
    assert tables["consultations"].rows[-1][-1] == 6
    concerns = {row[0]: row[1:] for row in tables["concerns"].rows}
    assert concerns["生活困窮"] == [3, 0] and concerns["高齢"] == [0, 1]
    assert tables["case_status"].rows[-1][-1] == 1
    activities = {row[0]: row[1:] for row in tables["activities"].rows}
    assert activities[str(ActivityKind.VISIT.label)] == [1, 1.5, 1]


def test_district_table_rolls_up_sub_districts_and_hides_small_counts(world):
    _populate(world)
    rows = {row[0]: row[1:] for row in _build(world.tenant_a)["districts"].rows}
    # 桶川地区: two consultations (one via its sub-district) and one without a district:
    # hidden; 加納地区: three, shown.
    assert rows["桶川地区"][0] == statistics.MASK
    assert rows["加納地区"][0] == 3
    assert list(rows.values())[-1][0] == statistics.MASK  # district not recorded
    assert "桶川第1区" not in rows


def test_statistics_page_for_staff_and_committee_not_for_residents(world):
    _populate(world)
    url = reverse("consultation:statistics")
    for role in (Role.PLAN_COMMITTEE_MEMBER, Role.MUNICIPAL_STAFF, Role.COMMUNITY_SOCIAL_WORKER):
        response = world.client_for(world.user(role)).get(url, {"fy": YEAR})
        assert response.status_code == 200
        body = response.content.decode()
        assert 'data-testid="statistics-districts"' in body
        assert "山田太郎" not in body and "佐藤花子" not in body
    for role in (Role.RESIDENT, Role.VOLUNTEER, Role.AGENCY_WORKER, Role.WELFARE_COMMISSIONER):
        assert world.client_for(world.user(role)).get(url).status_code == 403


def test_unknown_year_falls_back_to_the_current_one(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    for value in ("1999", "abc"):
        response = client.get(reverse("consultation:statistics"), {"fy": value})
        assert response.status_code == 200 and response.context["year"] == YEAR


def test_csv_export_has_a_bom_no_names_and_is_audited(world):
    _populate(world)
    user = world.user(Role.PLAN_COMMITTEE_MEMBER)
    client = world.client_for(user)
    response = client.get(reverse("consultation:statistics_csv"), {"fy": YEAR})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert "山田太郎" not in text and "加納地区" in text
    one = client.get(reverse("consultation:statistics_csv"), {"fy": YEAR, "table": "districts"})
    assert one.status_code == 200 and len(one.content.decode("utf-8-sig").splitlines()) == 4
    assert client.get(reverse("consultation:statistics_csv"), {"table": "nope"}).status_code == 404
    entries = AuditEntry.objects.filter(
        object_type="consultation.statistics", action="export", actor_id=user.pk
    )
    assert entries.count() == 2
    assert {e.detail["format"] for e in entries} == {"csv"}


def test_excel_export_has_one_sheet_per_table_and_is_audited(world):
    _populate(world)
    user = world.user(Role.MUNICIPAL_STAFF)
    response = world.client_for(user).get(reverse("consultation:statistics_xlsx"), {"fy": YEAR})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == len(statistics.build(world.tenant_a.pk, YEAR))
    cells = [
        str(c)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c
    ]
    assert "山田太郎" not in cells and statistics.MASK in cells
    assert AuditEntry.objects.filter(
        object_type="consultation.statistics",
        action="export",
        actor_id=user.pk,
        detail__format="xlsx",
    ).exists()


def test_statistics_do_not_mix_tenants(world):
    _populate(world)
    assert _build(world.tenant_b)["summary"].rows[0][1] == 0


def test_metrics_run_in_the_tenant_context(world):
    """On PostgreSQL, row-level security lets a count through only inside its tenant."""
    _populate(world)
    with tenant_context(None):
        assert compute("consultations_received", world.tenant_a) == 6
    assert metrics.time_bounds(YEAR)[0].month == 4


@pytest.mark.postgres
def test_metrics_and_statistics_count_under_row_level_security(world, app_role):
    """As the application role, rows are visible only inside the tenant the metric sets."""
    _populate(world)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL ROLE sasaeai_app")
        assert Consultation.objects.count() == 0  # no tenant chosen: nothing
        value = compute("consultations_received", world.tenant_a)
        summary = _build(world.tenant_a)["summary"].rows
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert value == summary[0][1] == 6
