"""個別避難計画: the rules of a plan (supporter, consent, direct shelter, versions), the care
planner's isolation, the one-page PDF, coverage per district, per-plan fees and metrics."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core import services as core_services
from sasaeai.core.errors import EditConflict
from sasaeai.core.models import AreaKind
from sasaeai.disaster import evacuation
from sasaeai.disaster.models import (
    ConsentStatus,
    DestinationKind,
    EntryStatus,
    EvacuationPlan,
    PlanStatus,
)
from sasaeai.disaster.plan_print import plan_pdf
from tests.conftest import SYSTEM
from tests.disaster.evacuation_factories import make_entry, make_plan, make_shelter

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def staff(world):
    return world.actor(Role.MUNICIPAL_STAFF)


@pytest.fixture
def plan(world):
    return make_plan(make_entry(world.tenant_a, world.district))


def _agree(actor, plan, **extra):
    data = {"status": PlanStatus.AGREED, "consent_on": TODAY - datetime.timedelta(days=1),
            "destination_kind": DestinationKind.DESIGNATED, "destination_name": "第一小学校",
            **extra}  # fmt: skip
    return evacuation.plan_update(actor=actor, plan=plan, data=data, version=plan.version)


def _codes(error: ValidationError) -> set[str]:
    return {e.code for errors in error.error_dict.values() for e in errors}


# ---- rules of a plan -------------------------------------------------------------------------


def test_a_plan_without_a_supporter_cannot_be_agreed_and_nothing_is_saved(staff, plan):
    with pytest.raises(ValidationError) as caught:
        _agree(staff, plan)
    assert "supporter_required" in _codes(caught.value)
    assert "避難支援等実施者" in " ".join(
        caught.value.messages
    )  # a Japanese message (LANGUAGE_CODE ja)
    stored = EvacuationPlan.objects.get(pk=plan.pk)
    assert stored.status == PlanStatus.DRAFT and stored.version == 1 and stored.consent_on is None


def test_a_plan_cannot_be_agreed_before_the_person_consents(staff, plan):
    evacuation.supporter_add(actor=staff, plan=plan, name="隣人", phone="090-1")
    with pytest.raises(ValidationError) as caught:
        _agree(staff, plan, consent_on=None)
    assert "consent_required" in _codes(caught.value)
    assert EvacuationPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT


def test_a_draft_needs_neither_consent_nor_supporter(staff, plan):
    saved = evacuation.plan_update(
        actor=staff, plan=plan, data={"status": PlanStatus.DRAFT, "route": "北へ"}, version=1
    )
    assert saved.route == "北へ" and saved.version == 2


def test_with_consent_and_a_supporter_the_plan_is_agreed_and_audited(staff, plan):
    evacuation.supporter_add(actor=staff, plan=plan, name="隣人", phone="090-1")
    saved = _agree(staff, plan)
    assert EvacuationPlan.objects.get(pk=saved.pk).status == PlanStatus.AGREED
    entry = AuditEntry.objects.filter(object_type="disaster.evacuationplan", action="update").last()
    assert entry.subject_type == "disaster.registerentry" and entry.subject_id == str(plan.entry_id)


def test_a_future_consent_date_is_refused(staff, plan):
    evacuation.supporter_add(actor=staff, plan=plan, name="隣人", phone="090-1")
    with pytest.raises(ValidationError) as caught:
        _agree(staff, plan, consent_on=TODAY + datetime.timedelta(days=3))
    assert "future_date" in _codes(caught.value)


def test_the_last_supporter_of_an_agreed_plan_stays(staff, plan):
    supporter = evacuation.supporter_add(actor=staff, plan=plan, name="隣人", phone="090-1")
    _agree(staff, plan)
    with pytest.raises(ValidationError):
        evacuation.supporter_remove(actor=staff, supporter=supporter)
    assert plan.supporters.count() == 1


def test_direct_evacuation_needs_a_shelter_that_takes_people_directly(world, staff, plan):
    not_direct = make_shelter(world.tenant_a, "間接の避難所", accepts_direct=False)
    data = {"status": PlanStatus.DRAFT, "destination_kind": DestinationKind.WELFARE_SHELTER}
    with pytest.raises(ValidationError) as caught:
        evacuation.plan_update(actor=staff, plan=plan, data=data, version=1)
    assert "shelter_required" in _codes(caught.value)
    with pytest.raises(ValidationError) as caught:
        evacuation.plan_update(
            actor=staff, plan=plan, data={**data, "shelter_id": not_direct.pk}, version=1
        )
    assert "shelter_not_direct" in _codes(caught.value)
    other_city = make_shelter(world.tenant_b, "他市の避難所")
    with pytest.raises(ValidationError):
        evacuation.plan_update(
            actor=staff, plan=plan, data={**data, "shelter_id": other_city.pk}, version=1
        )
    assert EvacuationPlan.objects.get(pk=plan.pk).shelter_id is None


def test_a_shelter_warns_once_its_direct_assignments_reach_capacity(world, staff):
    shelter = make_shelter(world.tenant_a, capacity=2)
    data = {"status": PlanStatus.DRAFT, "destination_kind": DestinationKind.WELFARE_SHELTER,
            "shelter_id": shelter.pk}  # fmt: skip
    warnings = []
    for name in ("一", "二", "三"):
        plan = make_plan(make_entry(world.tenant_a, world.district, name))
        saved = evacuation.plan_update(actor=staff, plan=plan, data=data, version=1)
        warnings.append(evacuation.capacity_warning(saved))
    assert warnings[0] == ""
    assert "2" in warnings[1] and warnings[2]  # reached, then beyond: warned, never refused
    assert evacuation.direct_assignments(shelter) == 3


def test_leaving_the_welfare_shelter_destination_clears_the_shelter(world, staff, plan):
    shelter = make_shelter(world.tenant_a)
    data = {"destination_kind": DestinationKind.WELFARE_SHELTER, "shelter_id": shelter.pk}
    saved = evacuation.plan_update(actor=staff, plan=plan, data=data, version=1)
    saved = evacuation.plan_update(
        actor=staff, plan=saved, data={"destination_kind": DestinationKind.RELATIVES,
                                       "shelter_id": shelter.pk}, version=2,
    )  # fmt: skip
    assert EvacuationPlan.objects.get(pk=plan.pk).shelter_id is None


def test_two_editors_the_second_save_is_refused_as_a_conflict(world, staff, plan):
    planner = world.actor(Role.MUNICIPAL_STAFF)
    first = EvacuationPlan.objects.get(pk=plan.pk)
    second = EvacuationPlan.objects.get(pk=plan.pk)
    evacuation.plan_update(actor=staff, plan=first, data={"route": "一人目"}, version=1)
    with pytest.raises(EditConflict):
        evacuation.plan_update(actor=planner, plan=second, data={"route": "二人目"}, version=1)
    assert EvacuationPlan.objects.get(pk=plan.pk).route == "一人目"


def test_adding_a_supporter_makes_an_open_form_stale(staff, plan):
    evacuation.supporter_add(actor=staff, plan=plan, name="隣人", phone="090-1")
    with pytest.raises(EditConflict):
        evacuation.plan_update(
            actor=staff, plan=EvacuationPlan.objects.get(pk=plan.pk), data={}, version=1
        )


def test_a_supporter_needs_a_name_and_a_telephone(staff, plan):
    with pytest.raises(ValidationError):
        evacuation.supporter_add(actor=staff, plan=plan, name="隣人", phone="")
    assert plan.supporters.count() == 0


# ---- starting and assigning plans ------------------------------------------------------------


def test_staff_start_one_plan_per_listed_person_for_a_care_planner(world, staff):
    entry = make_entry(world.tenant_a, world.district)
    planner = world.user(Role.CARE_PLANNER)
    plan = evacuation.plan_create(actor=staff, entry=entry, care_planner_id=planner.pk)
    assert plan.care_planner_id == planner.pk and plan.status == PlanStatus.DRAFT
    with pytest.raises(ValidationError):
        evacuation.plan_create(actor=staff, entry=entry)


def test_a_plan_goes_only_to_a_care_planner_of_the_city(world, staff):
    entry = make_entry(world.tenant_a, world.district)
    with pytest.raises(ValidationError) as caught:
        evacuation.plan_create(
            actor=staff, entry=entry, care_planner_id=world.user(Role.VOLUNTEER).pk
        )
    assert "not_care_planner" in _codes(caught.value)
    assert not EvacuationPlan.objects.filter(entry=entry).exists()


def test_a_removed_person_gets_no_plan(world, staff):
    entry = make_entry(world.tenant_a, world.district, status=EntryStatus.REMOVED)
    with pytest.raises(ValidationError):
        evacuation.plan_create(actor=staff, entry=entry)


def test_a_care_planner_cannot_start_or_assign_plans(world, plan):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    planner = world.actor(Role.CARE_PLANNER)
    with pytest.raises((PermissionDenied, Http404)):
        evacuation.plan_create(actor=planner, entry=make_entry(world.tenant_a, world.district))


# ---- the care planner's isolation ------------------------------------------------------------


def test_a_care_planner_sees_and_edits_only_their_own_plans(world):
    planner_user = world.user(Role.CARE_PLANNER)
    own = make_plan(make_entry(world.tenant_a, world.district, "本人"), care_planner=planner_user)
    other = make_plan(make_entry(world.tenant_a, world.district, "他人"))
    planner = world.actor(Role.CARE_PLANNER)
    assert [p.pk for p in evacuation.plans_visible_to(planner)] == [own.pk]
    from django.http import Http404

    with pytest.raises(Http404):
        evacuation.plan_for(planner, other.pk)
    with pytest.raises(Http404):
        evacuation.plan_update(actor=planner, plan=other, data={"route": "x"}, version=1)
    saved = evacuation.plan_update(actor=planner, plan=own, data={"route": "北へ"}, version=1)
    assert saved.route == "北へ"


def test_a_care_planners_pages_show_their_plan_and_404_for_another(world):
    planner_user = world.user(Role.CARE_PLANNER)
    own = make_plan(
        make_entry(world.tenant_a, world.district, "ZQ#A本人"), care_planner=planner_user
    )
    other = make_plan(make_entry(world.tenant_a, world.district, "ZQ#A他人"))
    client = world.client_for(planner_user)
    home = client.get("/disaster/plans/").content.decode()
    assert "ZQ#A本人" in home and "ZQ#A他人" not in home
    assert client.get(f"/disaster/plans/{own.pk}/").status_code == 200
    assert client.get(f"/disaster/plans/{other.pk}/").status_code == 404
    assert client.get(f"/disaster/plans/{other.pk}/plan.pdf").status_code == 404
    assert client.get(f"/api/v1/disaster/plans/{other.pk}").status_code == 404
    listed = client.get("/api/v1/disaster/plans").json()["items"]
    assert [p["id"] for p in listed] == [own.pk]


# ---- the plan page ---------------------------------------------------------------------------


def test_marking_agreed_without_a_supporter_shows_the_error_and_the_supporter_form(world, plan):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post(
        f"/disaster/plans/{plan.pk}/",
        {"form": "plan", "version": 1, "status": "agreed", "consent_on": "2025-04-01"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="needs-supporter"' in page and 'data-testid="supporter-form"' in page
    assert "避難支援等実施者がいない計画は「同意済み」にできません" in page
    assert EvacuationPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT


def test_the_plan_page_adds_a_supporter_then_agrees(world, plan):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/disaster/plans/{plan.pk}/"
    added = client.post(url, {"form": "supporter", "name": "隣人", "phone": "090-1"})
    assert added.status_code == 302
    version = EvacuationPlan.objects.get(pk=plan.pk).version
    agreed = client.post(
        url, {"form": "plan", "version": version, "status": "agreed", "consent_on": "2025-04-01"}
    )
    assert agreed.status_code == 302
    assert EvacuationPlan.objects.get(pk=plan.pk).status == PlanStatus.AGREED


def test_a_stale_form_on_the_page_is_refused_with_a_clear_message(world, plan):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    evacuation.plan_update(actor=world.actor(Role.MUNICIPAL_STAFF), plan=plan, data={}, version=1)
    response = client.post(
        f"/disaster/plans/{plan.pk}/",
        {"form": "plan", "version": 1, "status": "draft", "route": "古い"},
    )
    assert response.status_code == 200
    assert "開いた後に他の人が保存しました" in response.content.decode()
    assert EvacuationPlan.objects.get(pk=plan.pk).route == ""


def test_a_version_conflict_over_the_api_is_a_409(world, plan):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/api/v1/disaster/plans/{plan.pk}"
    first = client.put(url, {"version": 1, "route": "一人目"}, content_type="application/json")
    assert first.status_code == 200 and first.json()["version"] == 2
    second = client.put(url, {"version": 1, "route": "二人目"}, content_type="application/json")
    assert second.status_code == 409 and second.json()["error"]["code"] == "conflict"
    refused = client.put(url, {"version": 2, "status": "agreed"}, content_type="application/json")
    body = refused.json()["error"]
    assert refused.status_code == 422 and "consent_required" in body["codes"]["consent_on"]
    assert EvacuationPlan.objects.get(pk=plan.pk).route == "一人目"


def test_bad_api_input_is_a_422_never_a_500(world, plan):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/api/v1/disaster/plans/{plan.pk}"
    for body in ({"version": 1, "status": "nonsense"}, {"version": 1, "consent_on": "x"},
                 {"version": 1, "destination_kind": "moon"}, {"route": "no version"}):  # fmt: skip
        assert client.put(url, body, content_type="application/json").status_code == 422, body


def test_reading_a_plan_is_audited_with_the_person_as_subject(world, plan):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    client.get(f"/disaster/plans/{plan.pk}/")
    client.get(f"/disaster/plans/{plan.pk}/plan.pdf")
    entries = AuditEntry.objects.filter(
        object_type="disaster.evacuationplan", object_id=str(plan.pk)
    )
    actions = set(entries.values_list("action", flat=True))
    assert {Action.READ, Action.EXPORT} <= actions
    assert set(entries.values_list("subject_id", flat=True)) == {str(plan.entry_id)}


def test_the_plan_list_audits_each_plan_shown(world):
    plans = [make_plan(make_entry(world.tenant_a, world.district, f"人{i}")) for i in range(3)]
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    client.get("/disaster/plans/")
    read = AuditEntry.objects.filter(object_type="disaster.evacuationplan", action=Action.READ)
    assert sorted(int(i) for i in read.values_list("object_id", flat=True)) == [p.pk for p in plans]


# ---- the one-page PDF ------------------------------------------------------------------------


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_the_plan_pdf_is_a_real_one_page_pdf(world):
    plan = make_plan(make_entry(world.tenant_a, world.district), supporters=6)
    plan.route = "とても長い経路の説明。" * 200
    plan.save()
    pdf = plan_pdf(plan, world.tenant_a)
    assert pdf.startswith(b"%PDF") and _pages(pdf) == 1
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "個" in text and "ZQ#A" in text


def test_the_pdf_page_answers_a_pdf(world, plan):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(f"/disaster/plans/{plan.pk}/plan.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# ---- coverage per district -------------------------------------------------------------------


def test_coverage_per_district_matches_a_hand_count(world, staff):
    sub_area = world.sub_district  # under 桶川地区: its people count for 桶川地区
    # 桶川地区: 4 listed (2 in the sub-area), 2 agreed; one removed person with an agreed plan
    # does not count; one draft does not count.
    agreed = {"status": PlanStatus.AGREED, "consent_on": TODAY, "supporters": 1}
    make_plan(make_entry(world.tenant_a, world.district, "一"), **agreed)
    make_plan(make_entry(world.tenant_a, sub_area, "二"), **agreed)
    make_plan(make_entry(world.tenant_a, sub_area, "三"))
    make_entry(world.tenant_a, world.district, "四")
    make_plan(
        make_entry(world.tenant_a, world.district, "五", status=EntryStatus.REMOVED), **agreed
    )
    # 加納地区: 1 listed, 1 agreed; no district: 1 listed, 0 agreed; tenant B is not counted
    make_plan(make_entry(world.tenant_a, world.other_district, "六"), **agreed)
    make_entry(world.tenant_a, None, "七")
    make_plan(make_entry(world.tenant_b, world.area_b, "八"), **agreed)
    rows = {r.name: (r.listed, r.agreed, r.rate) for r in evacuation.plan_coverage(staff)}
    assert rows == {
        "桶川地区": (4, 2, 50.0), "加納地区": (1, 1, 100.0), "地区なし": (1, 0, 0.0),
    }  # fmt: skip
    total = evacuation.coverage_total(evacuation.plan_coverage(staff))
    assert (total.listed, total.agreed) == (6, 3)


def test_a_district_below_a_district_kind_area_rolls_up_through_two_levels(world, staff):
    deeper = core_services.area_create(
        actor=SYSTEM, tenant_id=world.tenant_a.pk, kind=AreaKind.DAILY_LIFE_AREA, name="第1区の班",
        parent_id=world.sub_district.pk,
    )  # fmt: skip
    make_plan(make_entry(world.tenant_a, deeper), status=PlanStatus.AGREED, consent_on=TODAY)
    rows = {r.name: (r.listed, r.agreed) for r in evacuation.plan_coverage(staff)}
    assert rows["桶川地区"] == (1, 1)


def test_the_coverage_csv_has_the_counts_and_a_total(world):
    make_plan(
        make_entry(world.tenant_a, world.district), status=PlanStatus.AGREED, consent_on=TODAY
    )
    make_entry(world.tenant_a, world.district)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    body = client.get("/disaster/plans/coverage.csv").content.decode("utf-8-sig")
    assert "桶川地区,2,1,50.0" in body and body.strip().splitlines()[-1].endswith(",2,1,50.0")
    assert AuditEntry.objects.filter(object_type="disaster.plancoverage", action="export").exists()


# ---- per-plan fees ---------------------------------------------------------------------------


def test_fees_list_the_plans_agreed_in_the_month_per_care_planner(world, staff):
    planner = world.user(Role.CARE_PLANNER)
    second = world.add_member(world.tenant_a, "a-care-planner-2", Role.CARE_PLANNER).user
    agreed = {"status": PlanStatus.AGREED, "supporters": 1}
    in_month = [
        make_plan(make_entry(world.tenant_a, world.district, "一"), care_planner=planner,
                  consent_on=datetime.date(2025, 5, 1), **agreed),
        make_plan(make_entry(world.tenant_a, world.district, "二"), care_planner=planner,
                  consent_on=datetime.date(2025, 5, 31), **agreed),
        make_plan(make_entry(world.tenant_a, world.district, "三"), care_planner=second,
                  consent_on=datetime.date(2025, 5, 15), **agreed),
    ]  # fmt: skip
    make_plan(make_entry(world.tenant_a, world.district, "四"), care_planner=planner,
              consent_on=datetime.date(2025, 6, 1), **agreed)  # fmt: skip
    make_plan(make_entry(world.tenant_a, world.district, "五"), care_planner=planner,
              consent_on=datetime.date(2025, 5, 2))  # a draft: no fee  # fmt: skip
    make_plan(make_entry(world.tenant_a, world.district, "六"),
              consent_on=datetime.date(2025, 5, 2), **agreed)  # by staff: no fee  # fmt: skip
    rows = evacuation.plan_fees(staff, "2025-05")
    counts = {row.care_planner_id: [p.pk for p in row.plans] for row in rows}
    assert counts == {planner.pk: [in_month[0].pk, in_month[1].pk], second.pk: [in_month[2].pk]}


def test_the_fee_page_counts_per_planner_and_names_one_planners_plans(world):
    planner = world.user(Role.CARE_PLANNER)
    agreed = {"status": PlanStatus.AGREED, "supporters": 1, "care_planner": planner,
              "consent_on": datetime.date(2025, 5, 10)}  # fmt: skip
    plans = [make_plan(make_entry(world.tenant_a, world.district, f"ZQ#A人{i}"), **agreed)
             for i in range(3)]  # fmt: skip
    staff = world.actor(Role.MUNICIPAL_STAFF)
    counts = evacuation.plan_fee_counts(staff, "2025-05")
    assert [(row.care_planner_id, row.count) for row in counts] == [(planner.pk, 3)]
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    summary = client.get("/disaster/plans/fees/?month=2025-05").content.decode()
    assert "ZQ#A人0" not in summary and f"planner={planner.pk}" in summary
    assert not AuditEntry.objects.filter(object_type="disaster.evacuationplan").exists()
    detail = client.get(f"/disaster/plans/fees/?month=2025-05&planner={planner.pk}")
    assert all(f"ZQ#A人{i}" in detail.content.decode() for i in range(3))
    read = AuditEntry.objects.filter(object_type="disaster.evacuationplan", action=Action.READ)
    assert sorted(int(i) for i in read.values_list("object_id", flat=True)) == [p.pk for p in plans]


def test_a_malformed_month_is_a_clear_error(world, staff):
    with pytest.raises(ValidationError):
        evacuation.plan_fees(staff, "2025-13")
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    page = client.get("/disaster/plans/fees/?month=abc")
    assert page.status_code == 200 and "YYYY-MM" in page.content.decode()
    assert client.get("/disaster/plans/fees.csv?month=abc").status_code == 400


def test_the_fee_csv_is_formula_safe_and_audited(world):
    entry = make_entry(world.tenant_a, world.district, '=HYPERLINK("x")')
    plan = make_plan(entry, care_planner=world.user(Role.CARE_PLANNER), status=PlanStatus.AGREED,
                     consent_on=datetime.date(2025, 5, 3), supporters=1)  # fmt: skip
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    body = client.get("/disaster/plans/fees.csv?month=2025-05").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body and str(plan.pk) in body
    assert AuditEntry.objects.filter(
        object_type="disaster.evacuationplan", object_id=str(plan.pk), action="export"
    ).exists()


# ---- metrics and the demo --------------------------------------------------------------------


def test_plan_rate_counts_plans_agreed_by_the_fiscal_years_end(world):
    agreed = {"status": PlanStatus.AGREED, "supporters": 1}
    make_plan(
        make_entry(world.tenant_a, world.district), consent_on=datetime.date(2025, 3, 1), **agreed
    )
    make_plan(
        make_entry(world.tenant_a, world.district), consent_on=datetime.date(2025, 4, 2), **agreed
    )
    make_entry(world.tenant_a, world.district)
    make_entry(world.tenant_a, world.district)
    assert evacuation.plan_rate(world.tenant_a.pk, 2024) == 25.0  # 1 of 4 by 2025-03-31
    assert evacuation.plan_rate(world.tenant_a.pk, 2025) == 50.0
    assert evacuation.plan_rate(world.tenant_b.pk, 2025) is None
    from sasaeai.core import metrics

    assert (
        metrics.compute("disaster.plan_rate", tenant_id=world.tenant_a.pk, fiscal_year=2025) == 50.0
    )


def test_the_demo_loader_writes_shelters_and_plans_for_consenting_people(world):
    from sasaeai.disaster.evacuation_demo import load_evacuation

    planner = world.add_member(world.tenant_a, "okegawa-careplanner", Role.CARE_PLANNER)
    for index in range(5):
        make_entry(world.tenant_a, world.district, f"同意{index}")
    refused = make_entry(world.tenant_a, world.district, "拒否", consent=ConsentStatus.REFUSED)
    load_evacuation({world.tenant_a.code: world.tenant_a})
    plans = EvacuationPlan.objects.filter(tenant=world.tenant_a)
    assert plans.count() == 5 and not plans.filter(entry=refused).exists()
    assert plans.filter(care_planner=planner.user).exists()
    assert all(p.supporters.exists() for p in plans)
    assert plans.filter(status=PlanStatus.AGREED).exists()
    # the test directory has no 福祉避難所: two shelters without a place
    from sasaeai.disaster.models import WelfareShelter

    assert WelfareShelter.objects.filter(tenant=world.tenant_a, place_id__isnull=True).count() == 2
