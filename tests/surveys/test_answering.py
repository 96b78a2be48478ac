"""Answering: each kind validates, required questions, closed surveys, one answer per link and
per member, anonymous responses without a person."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.surveys import services
from sasaeai.surveys.models import Answer, Invitation, Response, SurveyMode, SurveyStatus
from tests.surveys.conftest import answer, make_survey, member_actor


def url_of(survey, token=None):
    base = f"/surveys/{survey.tenant.code}/{survey.code}/"
    return f"{base}t/{token}/" if token else base


def post_answers(client, url, **fields):
    data = {"q1": "young", "q2": "somewhat_satisfied", **fields}
    return client.post(url, data)


def test_each_kind_accepts_a_valid_answer_and_stores_one_row_per_choice(world, staff):
    survey = make_survey(staff)
    response = answer(survey, topics=["care", "disaster"], text="もっと広報を")
    rows = sorted(
        Answer.objects.filter(response=response).values_list(
            "question__order", "choice_key", "text"
        )
    )
    assert rows == [(1, "young", ""), (2, "satisfied", ""), (3, "care", ""), (3, "disaster", ""),
                    (4, "", "もっと広報を")]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({1: ["young", "senior"], 2: ["satisfied"]}, "q1"),  # single: one only
        ({1: ["nobody"], 2: ["satisfied"]}, "q1"),  # unknown key
        ({1: ["young"], 2: ["very_happy"]}, "q2"),  # likert: its five keys only
        ({1: ["young"], 2: ["satisfied"], 3: ["care", "care"]}, "q3"),  # multiple: each once
        ({1: ["young"], 2: ["satisfied"], 4: ["あ" * 2001]}, "q4"),  # free text: 2,000 at most
        ({1: ["young"]}, "q2"),  # required
        ({1: ["  "], 2: ["satisfied"]}, "q1"),  # blank is no answer
    ],
)
def test_a_wrong_answer_is_refused_with_its_question_and_nothing_is_saved(world, staff, raw, field):
    survey = make_survey(staff)
    with tenant_context(survey.tenant_id), pytest.raises(ValidationError) as caught:
        services.response_submit(survey=survey, raw=raw)
    assert field in caught.value.message_dict
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_a_likert_question_gets_the_five_default_labels(world, staff):
    survey = make_survey(staff)
    labels = list(survey.questions.get(order=2).choices.values_list("label", flat=True))
    assert labels == ["満足", "やや満足", "どちらともいえない", "やや不満", "不満"]


def test_the_public_form_shows_japanese_errors_and_keeps_the_answers(world, staff):
    survey = make_survey(staff)
    client = Client()
    page = client.get(url_of(survey))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="survey-form"' in body and 'data-testid="question-2"' in body
    assert 'value="somewhat_satisfied"' in body and 'data-testid="submit-survey"' in body
    response = client.post(url_of(survey), {"q1": "middle", "q4": "残す文章"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "この設問にお答えください。" in body
    assert 'value="middle" checked' in body and "残す文章" in body
    assert not Response.objects.exists()


def test_an_anonymous_answer_thanks_and_holds_no_person_even_from_a_member(world, staff):
    survey = make_survey(staff)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = post_answers(client, url_of(survey))
    assert response.status_code == 302
    thanks = client.get(response["Location"])
    assert 'data-testid="survey-thanks"' in thanks.content.decode()
    row = Response.objects.get()
    assert row.user_id is None and row.invitation_id is None


def test_a_closed_or_draft_survey_shows_a_clear_page_and_takes_nothing(world, staff):
    draft = make_survey(staff, open_it=False)
    closed = make_survey(staff)
    with tenant_context(closed.tenant_id):
        services.survey_set_status(actor=staff, survey=closed, status=SurveyStatus.CLOSED)
    for survey in (draft, closed):
        page = Client().get(url_of(survey))
        assert page.status_code == 200
        assert "このアンケートは現在回答を受け付けていません" in page.content.decode()
        assert post_answers(Client(), url_of(survey)).status_code == 200
    assert not Response.objects.exists()


def test_an_unknown_survey_or_another_tenants_code_is_not_found(world, staff):
    survey = make_survey(staff)
    assert Client().get(f"/surveys/{survey.tenant.code}/{'x' * 16}/").status_code == 404
    assert Client().get(f"/surveys/{world.tenant_b.code}/{survey.code}/").status_code == 404


def signed_survey_with_links(staff, count=2):
    survey = make_survey(staff, mode=SurveyMode.SIGNED)
    with tenant_context(survey.tenant_id):
        made = services.invitations_create(actor=staff, survey=survey, count=count)
    return survey, [token for _invitation, token in made]


def test_a_signed_link_used_twice_keeps_the_first_answer(world, staff):
    survey, (token, _other) = signed_survey_with_links(staff)
    assert post_answers(Client(), url_of(survey, token)).status_code == 302
    second = post_answers(Client(), url_of(survey, token), q2="dissatisfied")
    assert second.status_code == 409
    assert "この回答用リンクはすでに使われています" in second.content.decode()
    again = Client().get(f"{url_of(survey)}?t={token}")
    assert "この回答用リンクはすでに使われています" in again.content.decode()
    assert list(Answer.objects.filter(question__order=2).values_list("choice_key", flat=True)) == [
        "somewhat_satisfied"
    ]
    assert Invitation.objects.filter(used_at__isnull=False).count() == 1


def test_the_service_refuses_a_used_link_too(world, staff):
    survey, (token, _other) = signed_survey_with_links(staff)
    answer(survey, token=token)
    with pytest.raises(services.AlreadyAnswered):
        answer(survey, token=token, satisfaction="dissatisfied")
    assert Response.objects.count() == 1


def test_a_signed_survey_takes_no_answer_without_a_link_or_membership(world, staff):
    survey, _tokens = signed_survey_with_links(staff)
    page = post_answers(Client(), url_of(survey))
    assert page.status_code == 403 and "回答用リンクが必要です" in page.content.decode()
    assert Client().get(url_of(survey, "y" * 32)).status_code == 404  # a made-up token
    assert not Response.objects.exists()


def test_a_signed_in_member_answers_a_signed_survey_once(world, staff):
    survey, _tokens = signed_survey_with_links(staff)
    user = world.user(Role.VOLUNTEER)
    client = world.client_for(user)
    assert post_answers(client, url_of(survey)).status_code == 302
    second = post_answers(client, url_of(survey), q2="dissatisfied")
    assert second.status_code == 409 and "すでに回答済みです" in second.content.decode()
    assert Response.objects.get().user_id == user.pk
    with pytest.raises(services.AlreadyAnswered):
        answer(survey, actor=member_actor(world.members[Role.VOLUNTEER]))


def test_a_member_of_another_tenant_cannot_answer_a_signed_survey(world, staff):
    survey, _tokens = signed_survey_with_links(staff)
    client = world.client_for(world.admin_b.user)
    assert post_answers(client, url_of(survey)).status_code == 403
    assert not Response.objects.exists()
