"""Staff pages: home, intake and duplicate search, passing a concern on, persons, households,
settings. Assertions are on status codes, data and data-* attributes, never on UI wording."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.consultation import services
from sasaeai.consultation.models import (
    Agency,
    Case,
    CasePerson,
    Channel,
    ConcernTag,
    Consent,
    Consultation,
    ConsultationStatus,
    Household,
    Person,
    PersonFlag,
    Settings,
    Supervision,
)
from sasaeai.consultation.templatetags.consultation_tags import age_on
from tests.consultation.factories import actor_of, admin_actor_in, make_case, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def csw(world):
    services.concern_tags_ensure(world.tenant_a.pk)
    return actor_of(world, Role.COMMUNITY_SOCIAL_WORKER)


@pytest.fixture
def csw_client(world):
    return world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))


def record(actor, description="父の様子が心配", **extra):
    return services.consultation_record(
        actor=actor,
        data=services.ConsultationInput(channel=Channel.PHONE, description=description, **extra),
    )


def reads_of(obj) -> int:
    return AuditEntry.objects.filter(
        action="read", object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).count()


def test_age_is_counted_in_completed_years():
    birth = datetime.date(1944, 5, 1)
    assert age_on(birth, datetime.date(2024, 4, 30)) == 79
    assert age_on(birth, datetime.date(2024, 5, 1)) == 80
    leap = datetime.date(2000, 2, 29)
    assert age_on(leap, datetime.date(2023, 2, 28)) == 22
    assert age_on(leap, datetime.date(2023, 3, 1)) == 23
    assert age_on(None, datetime.date(2024, 1, 1)) is None


def test_home_lists_the_workers_cases_tasks_and_queue(world, csw, csw_client):
    person = make_person(csw)
    case = make_case(csw, persons=[person], title="山田さん世帯")
    services.task_create(
        actor=csw, case=case,
        data=services.TaskInput(title="訪問", due_on=timezone.localdate() - datetime.timedelta(days=1),
                                assignee_id=csw.user_id),
    )  # fmt: skip
    Case.objects.filter(pk=case.pk).update(
        opened_on=timezone.localdate() - datetime.timedelta(days=60)
    )
    waiting = record(csw)
    response = csw_client.get("/consultation/")
    assert response.status_code == 200
    assert [c.pk for c in response.context["my_cases"]] == [case.pk]
    assert response.context["my_cases"][0].overdue_tasks == 1
    assert [t.title for t in response.context["tasks"]] == ["訪問"]
    assert [c.pk for c in response.context["no_contact"]] == [case.pk]
    assert response.context["queue_count"] == 1
    assert [c.pk for c in response.context["queue_items"]] == [waiting.pk]
    assert reads_of(case) >= 1
    assert csw_client.get("/consultation/?days=90").context["no_contact"] == []
    assert csw_client.get("/consultation/?days=90").context["no_contact_days"] == 90


def test_csw_records_a_consultation_and_takes_it_in_as_a_new_case(world, csw, csw_client):
    assert csw_client.get("/consultation/intake/new/").status_code == 200
    response = csw_client.post(
        "/consultation/intake/new/",
        {
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "channel": Channel.COUNTER,
            "description": "母の物忘れがひどくなった",
            "caller_name": "山田花子",
            "caller_relation": "娘",
            "area": world.district.pk,
            "concerns": ["elderly", "dementia"],
        },
    )
    consultation = Consultation.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/consultation/intake/{consultation.pk}/"
    )
    assert consultation.received_by_id == csw.user_id and consultation.area == world.district
    assert set(consultation.concerns.values_list("code", flat=True)) == {"elderly", "dementia"}
    assert csw_client.get("/consultation/intake/").status_code == 200
    assert csw_client.get(response["Location"]).status_code == 200
    assert reads_of(consultation) >= 1
    response = csw_client.post(
        f"/consultation/intake/{consultation.pk}/take-in/",
        {"mode": "new", "title": "山田さん 物忘れ"},
    )
    consultation.refresh_from_db()
    assert response["Location"] == reverse("consultation:case_detail", args=[consultation.case_id])
    assert consultation.status == ConsultationStatus.TAKEN_IN
    assert consultation.case.title == "山田さん 物忘れ"
    assert consultation.case.assignments.get().user_id == csw.user_id


def test_an_intake_without_a_description_is_refused(csw_client):
    response = csw_client.post(
        "/consultation/intake/new/",
        {
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "channel": Channel.PHONE,
            "description": "",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["description"]
    assert not Consultation.objects.exists()


def test_duplicate_search_folds_hiragana_and_half_width_kana(world, csw, csw_client):
    yamada = make_person(csw, name="山田太郎", kana="ヤマダ タロウ")
    make_person(csw, name="佐藤花子", kana="サトウ ハナコ")
    consultation = record(csw)
    url = f"/consultation/intake/{consultation.pk}/"
    for typed in ("やまだ", "ﾔﾏﾀﾞ"):
        response = csw_client.get(url, {"name_kana": typed})
        assert response.status_code == 200
        rows = response.context["candidates"]
        assert [r["person"].pk for r in rows] == [yamada.pk]
        assert [code for code, _label in rows[0]["reasons"]] == ["kana"]
        assert f'data-person="{yamada.pk}"' in response.content.decode()
    # The htmx request gets only the result list.
    partial = csw_client.get(
        url, {"name_kana": "ﾔﾏﾀﾞ", "birth_date": "1944-05-01"}, HTTP_HX_REQUEST="true"
    )
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body
    assert 'data-reason="birth_date"' in body and f'data-person="{yamada.pk}"' in body


def test_linking_a_found_person_and_adding_to_an_existing_case(world, csw, csw_client):
    person = make_person(csw)
    case = make_case(csw, title="既存ケース")
    consultation = record(csw)
    response = csw_client.get(f"/consultation/intake/{consultation.pk}/", {"person": person.pk})
    assert response.context["chosen"] == person
    response = csw_client.post(
        f"/consultation/intake/{consultation.pk}/take-in/",
        {"mode": "existing", "case": case.pk, "person": person.pk, "title": ""},
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.case == case and consultation.person == person
    assert CasePerson.objects.filter(case=case, person=person).exists()


def test_a_new_person_prefilled_from_the_intake_returns_to_it(csw, csw_client):
    consultation = record(csw)
    response = csw_client.get(
        "/consultation/persons/new/",
        {"name": "鈴木一郎", "name_kana": "すずき", "intake": consultation.pk},
    )
    assert response.context["form"].initial["name"] == "鈴木一郎"
    response = csw_client.post(
        "/consultation/persons/new/",
        {
            "name": "鈴木一郎",
            "name_kana": "スズキ イチロウ",
            "sex": "male",
            "intake": consultation.pk,
        },
    )
    person = Person.objects.get(name="鈴木一郎")
    assert response["Location"] == f"/consultation/intake/{consultation.pk}/?person={person.pk}"


def test_answered_without_a_case(csw, csw_client):
    consultation = record(csw)
    response = csw_client.post(f"/consultation/intake/{consultation.pk}/answer/")
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.ANSWERED and consultation.case is None


def test_a_confidential_intake_stays_visible_to_whoever_recorded_it(world, csw, csw_client):
    consultation = record(csw, is_confidential=True)
    assert csw_client.get(f"/consultation/intake/{consultation.pk}/").status_code == 200
    other = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    assert other.get(f"/consultation/intake/{consultation.pk}/").status_code == 404


def test_commissioner_passes_a_concern_and_sees_only_that_it_was_received(world, csw, csw_client):
    commissioner = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    assert commissioner.get("/consultation/").status_code == 200
    form_page = commissioner.get("/consultation/concerns/new/")
    assert form_page.status_code == 200
    assert {a.pk for a in form_page.context["form"].fields["area"].queryset} == {
        world.district.pk,
        world.sub_district.pk,
    }
    response = commissioner.post(
        "/consultation/concerns/new/",
        {"description": "向かいの独居の方の郵便物がたまっている", "area": world.district.pk},
    )
    concern = Consultation.objects.get()
    assert response["Location"] == f"/consultation/concerns/{concern.pk}/"
    assert concern.channel == Channel.COMMISSIONER
    assert 'data-received="no"' in commissioner.get(response["Location"]).content.decode()
    # The commissioner may not open the intake itself.
    assert commissioner.get(f"/consultation/intake/{concern.pk}/").status_code == 403

    csw_client.post(
        f"/consultation/intake/{concern.pk}/take-in/", {"mode": "new", "title": "秘匿ケースXYZ"}
    )
    concern.refresh_from_db()
    assert concern.status == ConsultationStatus.TAKEN_IN
    body = commissioner.get("/consultation/").content.decode()
    assert f'data-concern="{concern.pk}" data-received="yes"' in body
    assert timezone.localtime(concern.acknowledged_at).strftime("%Y-%m-%d") in body
    assert "秘匿ケースXYZ" not in body
    assert "郵便物" not in body
    assert world.user(Role.COMMUNITY_SOCIAL_WORKER).username not in body
    assert f"/consultation/cases/{concern.case_id}" not in body


def test_agency_worker_can_pass_a_concern_on(world):
    client = world.client_for(world.user(Role.AGENCY_WORKER))
    home = client.get("/consultation/")
    assert home.status_code == 200
    assert f'href="{reverse("consultation:agency_inbox")}"' in home.content.decode()
    response = client.post("/consultation/concerns/new/", {"description": "通所が途絶えている"})
    assert response.status_code == 302
    assert Consultation.objects.get().channel == Channel.AGENCY


def test_person_page_is_audited_and_shows_households_cases_and_consents(world, csw, csw_client):
    person = make_person(csw, flags=[PersonFlag.LIVES_ALONE])
    case = make_case(csw, persons=[person], title="山田さん支援")
    before = reads_of(person)
    response = csw_client.get(f"/consultation/persons/{person.pk}/")
    assert response.status_code == 200
    assert reads_of(person) == before + 1
    assert list(response.context["cases"]) == [case]
    body = response.content.decode()
    assert 'data-testid="disclosure-export"' not in body  # a supervisor's judgement, not a CSW's
    supervisor = world.user(Role.MUNICIPAL_STAFF)
    services.supervision_set(
        actor=admin_actor_in(csw), supervisor_id=supervisor.pk, worker_ids=[csw.user_id]
    )
    supervisor_page = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get(
        f"/consultation/persons/{person.pk}/"
    )
    assert 'data-testid="disclosure-export"' in supervisor_page.content.decode()
    age = age_on(person.birth_date, timezone.localdate())
    assert f'<span data-testid="age">{age}' in body
    # Record a consent, then withdraw it.
    response = csw_client.post(
        f"/consultation/persons/{person.pk}/consents/new/",
        {
            "scope": "地域包括支援センターと心身の状況を共有",
            "obtained_on": timezone.localdate().isoformat(),
            "method": "written",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(person=person)
    response = csw_client.post(f"/consultation/persons/{person.pk}/consents/{consent.pk}/withdraw/")
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()


def test_person_edit_saves_and_a_stale_version_is_refused(world, csw, csw_client):
    person = make_person(csw)
    url = f"/consultation/persons/{person.pk}/edit/"
    assert csw_client.get(url).context["form"].initial["version"] == person.version
    data = {"name": "山田太郎", "name_kana": "ヤマダタロウ", "birth_date": "1944-05-01", "sex": "male",
            "address": "桶川市若宮1-1", "language": "日本語", "version": person.version}  # fmt: skip
    response = csw_client.post(url, data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.address == "桶川市若宮1-1" and person.version == 2
    # A second editor who loaded version 1 does not overwrite version 2.
    response = csw_client.post(url, {**data, "address": "桶川市東1-1", "version": 1})
    assert response.status_code == 200
    assert response.context["conflict"] is True
    assert 'data-testid="conflict"' in response.content.decode()
    assert response.context["form"]["address"].value() == "桶川市東1-1"
    person.refresh_from_db()
    assert person.address == "桶川市若宮1-1" and person.version == 2


def test_households_are_created_and_members_added_by_search(world, csw, csw_client):
    mother = make_person(csw, name="山田ハナ", kana="ヤマダハナ", birth=datetime.date(1940, 1, 1),
                         flags=[PersonFlag.OLDER_ONLY_HOUSEHOLD])  # fmt: skip
    son = make_person(csw, name="山田一郎", kana="ヤマダイチロウ", birth=datetime.date(1972, 3, 3))
    assert csw_client.get(f"/consultation/households/new/?person={mother.pk}").status_code == 200
    response = csw_client.post(
        "/consultation/households/new/", {"name": "山田家", "person": mother.pk}
    )
    household = Household.objects.get()
    assert response["Location"] == f"/consultation/households/{household.pk}/"
    response = csw_client.get(response["Location"], {"q": "やまだい"})
    assert response.status_code == 200
    assert [p.pk for p in response.context["results"]] == [son.pk]
    response = csw_client.post(
        f"/consultation/households/{household.pk}/members/",
        {"person": son.pk, "relationship": "child", "lives_together": "on"},
    )
    assert response.status_code == 302
    page = csw_client.get(f"/consultation/households/{household.pk}/")
    members = {m.person_id: m.relationship for m in page.context["members"]}
    assert members == {mother.pk: "head", son.pk: "child"}
    assert reads_of(son) >= 1


def test_person_search_finds_by_kana_fragment_and_audits_the_list(world, csw, csw_client):
    person = make_person(csw, name="山田太郎", kana="ヤマダ タロウ")
    make_person(csw, name="佐藤花子", kana="サトウ ハナコ")
    response = csw_client.get("/consultation/persons/", {"q": "ﾔﾏﾀﾞ"})
    assert response.status_code == 200
    assert [p.pk for p in response.context["page"]] == [person.pk]
    assert reads_of(person) == 1


def test_settings_edit_concerns_agencies_supervisors_and_rules(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert client.get("/consultation/settings/").status_code == 200
    assert ConcernTag.objects.filter(tenant=world.tenant_a).exists()
    assert (
        client.post(
            "/consultation/settings/",
            {"action": "settings", "retention_years": 7, "no_contact_days": 45},
        ).status_code
        == 302
    )
    assert (
        Settings.objects.get(tenant=world.tenant_a).retention_years,
        Settings.objects.get(tenant=world.tenant_a).no_contact_days,
    ) == (7, 45)
    client.post(
        "/consultation/settings/",
        {
            "action": "tag_add",
            "code": "gambling",
            "name": "ギャンブル",
            "order": 200,
            "is_active": "on",
        },
    )
    client.post(
        "/consultation/settings/",
        {"action": "tag", "code": "hoarding", "name": "ごみ屋敷・ためこみ", "order": 80},
    )
    hoarding = ConcernTag.objects.get(tenant=world.tenant_a, code="hoarding")
    assert (hoarding.name, hoarding.is_active) == ("ごみ屋敷・ためこみ", False)
    assert ConcernTag.objects.filter(
        tenant=world.tenant_a, code="gambling", is_active=True
    ).exists()
    duplicate = client.post(
        "/consultation/settings/",
        {"action": "tag_add", "code": "gambling", "name": "x", "order": 1},
    )
    assert duplicate.status_code == 200 and duplicate.context["tag_add_form"].errors["code"]
    agency_user = world.user(Role.AGENCY_WORKER)
    client.post("/consultation/settings/", {"action": "agency", "name": "桶川市地域包括支援センター",
                                            "kind": "community_care_centre", "members": [agency_user.pk]})  # fmt: skip
    agency = Agency.objects.get(tenant=world.tenant_a)
    assert list(agency.members.all()) == [agency_user]
    assert (
        client.get(f"/consultation/settings/?agency={agency.pk}")
        .context["agency_form"]
        .initial["name"]
        == agency.name
    )
    supervisor, worker = world.user(Role.MUNICIPAL_STAFF), world.user(Role.COMMUNITY_SOCIAL_WORKER)
    client.post(
        "/consultation/settings/",
        {"action": "supervision", "supervisor": supervisor.pk, "workers": [worker.pk]},
    )
    assert Supervision.objects.filter(supervisor=supervisor, worker=worker).exists()
    csw_client = world.client_for(worker)
    assert csw_client.get("/consultation/settings/").status_code == 403


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.VOLUNTEER])
def test_residents_and_volunteers_are_kept_out(world, csw, role):
    person = make_person(csw)
    consultation = record(csw)
    household = services.household_create(actor=csw, name="山田家")
    client = world.client_for(world.user(role))
    for url in ("/consultation/", "/consultation/intake/", "/consultation/intake/new/",
                f"/consultation/intake/{consultation.pk}/", "/consultation/persons/?q=やまだ",
                f"/consultation/persons/{person.pk}/", f"/consultation/persons/{person.pk}/edit/",
                "/consultation/persons/new/", "/consultation/households/new/",
                f"/consultation/households/{household.pk}/", "/consultation/concerns/new/",
                "/consultation/settings/"):  # fmt: skip
        assert client.get(url).status_code in (403, 404), url
    assert client.post(f"/consultation/intake/{consultation.pk}/answer/").status_code in (403, 404)
    assert reads_of(person) == 0


def test_another_citys_administrator_finds_nothing(world, csw):
    person = make_person(csw)
    consultation = record(csw)
    client = world.client_for(world.admin_b.user)
    assert client.get(f"/consultation/persons/{person.pk}/").status_code == 404
    assert client.get(f"/consultation/intake/{consultation.pk}/").status_code in (403, 404)
    assert (
        client.post(
            f"/consultation/persons/{person.pk}/edit/", {"name": "x", "version": 1}
        ).status_code
        == 404
    )
    # Their own settings page shows their own city's data only.
    response = client.get("/consultation/settings/")
    assert response.status_code == 200
    assert {t.tenant_id for t in response.context["tags"]} == {world.tenant_b.pk}


def intake_post(world, **extra) -> dict:
    return {
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "channel": Channel.PHONE, "description": "隣の一人暮らしの方を最近見かけない",
        "area": world.district.pk, **extra,
    }  # fmt: skip


def test_intake_asks_who_the_call_is_about_and_fills_the_person_form(world, csw, csw_client):
    response = csw_client.post("/consultation/intake/new/", intake_post(
        world, caller_name="佐藤", caller_relation="隣人", contact="048-111-2222",
        about="neighbour", subject_name="鈴木一郎", subject_name_kana="スズキ イチロウ",
        subject_address="桶川市若宮1-1", subject_phone="048-333-4444",
    ))  # fmt: skip
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert (consultation.about, consultation.subject_name) == ("neighbour", "鈴木一郎")
    page = csw_client.get(f"/consultation/intake/{consultation.pk}/")
    # The duplicate search runs on the subject at once; its "new person" link carries them.
    assert (
        page.context["searched"]
        and page.context["search_form"]["name_kana"].value() == "スズキ イチロウ"
    )
    link = f"/consultation/persons/new/?{page.context['prefill']}&intake={consultation.pk}"
    form = csw_client.get(link).context["form"]
    assert form.initial["name"] == "鈴木一郎" and form.initial["name_kana"] == "スズキ イチロウ"
    assert form.initial["address"] == "桶川市若宮1-1" and form.initial["phone"] == "048-333-4444"
    assert form.initial["area"] == str(world.district.pk)


def test_a_call_about_the_caller_fills_the_person_form_with_the_caller(world, csw, csw_client):
    csw_client.post("/consultation/intake/new/", intake_post(
        world, caller_name="山田花子", contact="048-111-2222", about="self",
    ))  # fmt: skip
    consultation = Consultation.objects.get()
    page = csw_client.get(f"/consultation/intake/{consultation.pk}/")
    assert page.context["search_form"]["name"].value() == "山田花子"
    form = csw_client.get(
        f"/consultation/persons/new/?{page.context['prefill']}&intake={consultation.pk}"
    ).context["form"]
    assert form.initial["name"] == "山田花子" and form.initial["phone"] == "048-111-2222"


def test_a_subject_name_for_a_call_about_the_caller_is_refused(world, csw_client):
    response = csw_client.post("/consultation/intake/new/", intake_post(
        world, caller_name="山田花子", about="self", subject_name="鈴木一郎",
    ))  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].has_error("subject_name")
    assert 'value="鈴木一郎"' in response.content.decode()  # what was typed is kept
    assert not Consultation.objects.exists()


def test_the_intake_page_shows_who_the_call_is_about(world, csw, csw_client):
    consultation = record(csw, about="family", subject_name="山田太郎", caller_name="山田花子")
    body = csw_client.get(f"/consultation/intake/{consultation.pk}/").content.decode()
    assert 'data-testid="call-about"' in body and "山田太郎" in body
