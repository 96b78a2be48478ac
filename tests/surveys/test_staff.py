"""Staff pages: permissions, tenant isolation, creating and editing (structure fixed once
answered), opening, answer links as CSV and PDF, the QR code, formula-safe exports."""

import csv
import io

import pytest
from openpyxl import load_workbook

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.surveys import services
from sasaeai.surveys.models import Invitation, Question, QuestionKind, Survey, SurveyMode
from tests.surveys.conftest import answer, make_survey, member_actor

FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize(
    ("role", "list_status", "create_status"),
    [
        (Role.MUNICIPAL_STAFF, 200, 200),
        (Role.WELFARE_COUNCIL_STAFF, 200, 200),
        (Role.COMMUNITY_SOCIAL_WORKER, 200, 200),
        (Role.VOLUNTEER_COORDINATOR, 200, 200),
        (Role.PLAN_COMMITTEE_MEMBER, 200, 403),
        (Role.VOLUNTEER, 403, 403),
        (Role.RESIDENT, 403, 403),
        (Role.WELFARE_COMMISSIONER, 403, 403),
    ],
)
def test_who_may_open_the_survey_pages(world, role, list_status, create_status):
    client = world.client_for(world.user(role))
    assert client.get("/surveys/").status_code == list_status
    assert client.get("/surveys/new/").status_code == create_status


def test_another_tenants_survey_does_not_exist(world, staff):
    survey = make_survey(staff)
    client = world.client_for(world.admin_b.user)
    for path in ("", "results/", "edit/", "export.csv"):
        assert client.get(f"/surveys/{survey.pk}/{path}").status_code == 404
    assert client.get(f"/api/v1/surveys/{survey.pk}/results").status_code == 404
    assert client.get("/api/v1/surveys").json()["items"] == []


def test_the_committee_may_not_export(world, staff):
    survey = make_survey(staff)
    client = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    assert client.get(f"/surveys/{survey.pk}/export.csv").status_code == 403


def test_staff_create_a_survey_add_questions_and_open_it(world):
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    response = client.post("/surveys/new/", {"title": "講座アンケート", "kind": "course",
                                             "fiscal_year": 2026, "mode": "anonymous"})  # fmt: skip
    survey = Survey.objects.get()
    assert response.status_code == 302 and survey.code and len(survey.code) == 16
    bad = client.post(f"/surveys/{survey.pk}/questions/new/",
                      {"kind": "single", "text": "理解度", "choices": "だけ"})  # fmt: skip
    assert "選択肢を2つ以上入力してください。" in bad.content.decode()
    client.post(f"/surveys/{survey.pk}/questions/new/",
                {"kind": "single", "text": "理解度", "choices": "well|よく理解できた\nok|理解できた\nno|理解できなかった",
                 "metric_slug": "human_rights_understanding", "counted_keys": "well, ok"})  # fmt: skip
    question = Question.objects.get()
    assert question.counted_keys == ["well", "ok"]
    client.post(f"/surveys/{survey.pk}/status/", {"status": "open"})
    survey.refresh_from_db()
    assert survey.status == "open" and survey.opened_at is not None
    detail = client.get(f"/surveys/{survey.pk}/").content.decode()
    assert f"/surveys/{world.tenant_a.code}/{survey.code}/" in detail and "<svg" in detail
    assert client.get(f"/surveys/{survey.pk}/qr.png")["Content-Type"] == "image/png"


def test_once_answered_the_structure_is_fixed_but_the_wording_is_not(world, staff):
    survey = make_survey(staff)
    answer(survey)
    question = survey.questions.get(order=3)
    with tenant_context(survey.tenant_id):
        with pytest.raises(Exception, match="すでに回答があります"):
            services.question_save(actor=staff, survey=survey, kind=QuestionKind.FREE_TEXT,
                                   text="追加")  # fmt: skip
        with pytest.raises(Exception, match="すでに回答があります"):
            services.question_save(actor=staff, survey=survey, question=question,
                                   kind=question.kind, text=question.text,
                                   choices=[("care", "介護"), ("child", "子育て")])  # fmt: skip
        with pytest.raises(Exception, match="すでに回答があります"):
            services.question_delete(actor=staff, question=question)
        with pytest.raises(Exception, match="すでに回答があります"):
            services.survey_update(actor=staff, survey=survey, mode=SurveyMode.SIGNED)
        services.question_save(actor=staff, survey=survey, question=question, kind=question.kind,
                               text="関心のある福祉の分野", choices=[("care", "介護・高齢者"),
                               ("child", "子育て"), ("disaster", "防災")])  # fmt: skip
    question.refresh_from_db()
    assert question.text == "関心のある福祉の分野"
    assert question.choices.get(key="care").label == "介護・高齢者"
    assert survey.questions.count() == 4


def test_answer_links_come_as_csv_or_a_pdf_and_only_hashes_are_kept(world, staff):
    survey = make_survey(staff, mode=SurveyMode.SIGNED)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post(
        f"/surveys/{survey.pk}/links/", {"count": 3, "label": "A-", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["番号", "ラベル", "回答用リンク"] and len(rows) == 4
    token = rows[1][2].rstrip("/").rsplit("/", 1)[1]
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert Invitation.objects.filter(token_hash=services.token_hash(token), label="A-1").exists()
    pdf = client.post(f"/surveys/{survey.pk}/links/", {"count": 12, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert Invitation.objects.count() == 15
    anonymous = make_survey(staff)
    client.post(f"/surveys/{anonymous.pk}/links/", {"count": 3, "format": "csv"})
    assert Invitation.objects.count() == 15


def test_exports_keep_formula_like_answers_as_text_and_are_audited(world, staff):
    survey = make_survey(staff)
    answer(survey, text=FORMULA, topics=["care", "child"])
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(f"/surveys/{survey.pk}/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][-1] == "'" + FORMULA
    assert rows[1][-2] == "介護、子育て"
    book = load_workbook(io.BytesIO(client.get(f"/surveys/{survey.pk}/export.xlsx").content))
    cell = book["回答"].cell(row=2, column=len(rows[0]))
    assert cell.value == FORMULA and cell.data_type == "s" and cell.quotePrefix
    assert (
        AuditEntry.objects.filter(action=Action.EXPORT, object_type="surveys.survey").count() == 2
    )
    assert client.get(f"/surveys/{survey.pk}/export.pdf").status_code == 404


def test_staff_writes_are_audited(world, staff):
    survey = make_survey(staff)
    entries = AuditEntry.objects.filter(subject_type="surveys.survey", subject_id=str(survey.pk))
    actions = sorted(entries.values_list("action", flat=True))
    assert actions.count(Action.CREATE) == 5  # the survey and its four questions
    assert Action.UPDATE in actions  # opened
    assert set(entries.values_list("actor_username", flat=True)) == {staff.username}


def test_the_api_lists_and_describes_surveys_of_the_tenant_only(world, staff):
    survey = make_survey(staff)
    make_survey(member_actor(world.admin_b))
    client = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    items = client.get("/api/v1/surveys").json()["items"]
    assert [item["id"] for item in items] == [survey.pk]
    detail = client.get(f"/api/v1/surveys/{survey.pk}").json()
    assert [q["kind"] for q in detail["questions"]] == ["single", "likert", "multiple", "free_text"]
    assert detail["questions"][1]["choices"][0] == {"key": "satisfied", "label": "満足"}
    volunteer = world.client_for(world.user(Role.VOLUNTEER))
    assert volunteer.get("/api/v1/surveys").status_code == 403
