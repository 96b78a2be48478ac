"""Staff pages, public pages, exports and the API."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.courses import services
from sasaeai.courses.models import Registration, RegistrationStatus

from .conftest import make_session

FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'


def register(session, name, **contact):
    with tenant_context(session.tenant_id):
        return services.registration_create(
            actor=None, session=session, name=name, **(contact or {"phone": "090-9999-0000"})
        )


@pytest.mark.parametrize(
    "role",
    [Role.WELFARE_COUNCIL_STAFF, Role.VOLUNTEER_COORDINATOR, Role.MUNICIPAL_STAFF,
     Role.SYSTEM_ADMIN],
)  # fmt: skip
def test_course_staff_can_open_the_course_pages(world, session, role):
    client = world.client_for(world.user(role))
    assert client.get("/courses/").status_code == 200
    assert client.get(f"/courses/session/{session.pk}/").status_code == 200
    assert client.get("/courses/statistics/").status_code == 200


@pytest.mark.parametrize(
    "role",
    [Role.COMMUNITY_SOCIAL_WORKER, Role.WELFARE_COMMISSIONER, Role.VOLUNTEER, Role.RESIDENT,
     Role.AGENCY_WORKER, Role.PLAN_COMMITTEE_MEMBER],
)  # fmt: skip
def test_other_roles_cannot_open_the_course_pages(world, session, role):
    client = world.client_for(world.user(role))
    assert client.get("/courses/").status_code == 403
    assert client.get(f"/courses/session/{session.pk}/").status_code in (403, 404)
    assert client.get(f"/courses/session/{session.pk}/participants.csv").status_code in (403, 404)


def test_another_tenants_session_does_not_exist_for_staff(world, session):
    client = world.client_for(world.admin_b.user)
    assert client.get(f"/courses/session/{session.pk}/").status_code == 404
    assert client.get(f"/courses/course/{session.course_id}/").status_code == 404
    assert client.get(f"/courses/session/{session.pk}/participants.csv").status_code == 404
    response = client.get("/api/v1/courses/sessions")
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_the_session_page_lists_registrations_with_attendance_rows_and_audits_the_read(
    world, session
):
    register(session, "佐藤 花子")
    register(session, "鈴木 太郎")
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    before = AuditEntry.objects.filter(action=Action.READ, object_type="courses.registration")
    count = before.count()
    response = client.get(f"/courses/session/{session.pk}/")
    html = response.content.decode()
    assert html.count('data-testid="attendance-row"') == 2
    assert "佐藤 花子" in html
    assert before.count() == count + 2


def test_attendance_is_saved_from_the_session_page(world, staff, course):
    session = make_session(staff, course, days=-1)
    with tenant_context(session.tenant_id):
        row = services.registration_create(
            actor=staff, session=session, name="一", phone="0",
            now=session.starts_at - timedelta(days=1),
        )  # fmt: skip
    client = world.client_for(world.user(Role.VOLUNTEER_COORDINATOR))
    response = client.post(f"/courses/session/{session.pk}/attendance/", {"attended": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.attended and row.completed


def test_the_public_page_shows_remaining_places_and_no_personal_data(world, session):
    register(session, "秘密 花子", email="himitsu@example.jp")
    response = Client().get(f"/courses/{world.tenant_a.code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="public-session"' in html
    assert "認知症サポーター養成講座" in html
    assert "秘密" not in html and "himitsu" not in html and "090-" not in html
    assert "残り1" in html.replace(" ", "") or "1" in html


def test_the_public_page_of_one_city_does_not_show_another_citys_sessions(world, session):
    html = Client().get(f"/courses/{world.tenant_b.code}/").content.decode()
    assert "認知症サポーター養成講座" not in html
    assert Client().get("/courses/999999/").status_code == 404


def test_a_resident_registers_through_the_public_form_and_sees_their_confirmation(world, session):
    client = Client()
    url = f"/courses/{world.tenant_a.code}/sessions/{session.pk}/register/"
    page = client.get(url)
    assert 'data-testid="course-register-form"' in page.content.decode()
    response = client.post(url, {"name": "山田 一郎", "phone": "090-1234-5678"}, follow=True)
    html = response.content.decode()
    assert 'data-testid="registration-status"' in html
    assert "山田" not in html and "090-1234-5678" not in html
    registration = Registration.objects.get()
    assert registration.status == RegistrationStatus.REGISTERED
    # The registrant's own link cancels.
    confirm_url = response.redirect_chain[-1][0]
    client.post(confirm_url)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED


def test_the_public_form_shows_a_japanese_error_for_a_missing_contact(world, session):
    url = f"/courses/{world.tenant_a.code}/sessions/{session.pk}/register/"
    response = Client().post(url, {"name": "山田 一郎"})
    assert response.status_code == 200
    assert "電話番号かメールアドレス" in response.content.decode()
    assert not Registration.objects.exists()


def test_the_public_form_of_a_session_in_the_past_is_not_found(world, staff, course):
    past = make_session(staff, course, days=-1)
    url = f"/courses/{world.tenant_a.code}/sessions/{past.pk}/register/"
    assert Client().get(url).status_code == 404


def test_the_participant_exports_keep_formulas_as_text_and_are_audited(world, session):
    register(session, FORMULA_NAME)
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    response = client.get(f"/courses/session/{session.pk}/participants.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1] == "'" + FORMULA_NAME
    response = client.get(f"/courses/session/{session.pk}/participants.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=3, column=2)
    assert cell.value == FORMULA_NAME and cell.data_type == "s" and cell.quotePrefix
    assert (
        AuditEntry.objects.filter(action=Action.EXPORT, object_type="courses.registration").count()
        == 2
    )


def test_the_attendance_sheet_shows_the_questionnaire_link_and_qr(world, staff, course):
    with tenant_context(course.tenant_id):
        services.course_update(
            actor=staff, course=course, questionnaire_url="https://example.jp/surveys/q1/"
        )
    session = make_session(staff, course)
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    html = client.get(f"/courses/session/{session.pk}/sheet/").content.decode()
    assert "https://example.jp/surveys/q1/" in html
    assert 'src="data:image/svg+xml' in html


def test_the_api_lists_sessions_with_places_and_counts_by_kind(world, session):
    register(session, "一")
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    item = client.get("/api/v1/courses/sessions?upcoming=true").json()["items"][0]
    assert (item["capacity"], item["registered"], item["remaining"]) == (2, 1, 1)
    assert "name" not in item
    counts = client.get("/api/v1/courses/counts").json()
    assert {k["kind"] for k in counts["kinds"]} >= {"event", "outreach_course"}
    assert client.get("/api/v1/courses/counts?fiscal_year=99999").status_code == 422
    resident = world.client_for(world.user(Role.RESIDENT))
    assert resident.get("/api/v1/courses/sessions").status_code == 403


def test_the_course_form_creates_a_course_and_refuses_a_duplicate_key(world, course):
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    data = {"kind": "event", "title": "福祉まつり", "key": "dementia_supporter"}
    response = client.post("/courses/new/", data)
    assert response.status_code == 200
    assert "このキー" in response.content.decode() or "key" in response.content.decode()
    response = client.post("/courses/new/", {**data, "key": "fukushi_matsuri"})
    assert response.status_code == 302


def test_the_session_form_refuses_an_end_before_the_start(world, course):
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    start = timezone.localtime() + timedelta(days=2)
    response = client.post(f"/courses/course/{course.pk}/sessions/new/", {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "status": "scheduled", "capacity": "10",
    })  # fmt: skip
    assert response.status_code == 200
    assert course.sessions.count() == 0


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_session_page_and_the_list_read_a_fixed_number_of_queries(world, staff, course):
    session = make_session(staff, course, capacity=20)
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    register(session, "一")
    few = _queries(client, f"/courses/session/{session.pk}/"), _queries(client, "/courses/")
    for number in range(6):
        register(session, f"人{number}")
        make_session(staff, course, days=10 + number)
    many = _queries(client, f"/courses/session/{session.pk}/"), _queries(client, "/courses/")
    assert many == few


def test_outreach_sessions_are_not_on_the_public_page(world, staff):
    with tenant_context(world.tenant_a.pk):
        outreach = services.course_create(
            actor=staff, kind="outreach_course", key="outreach", title="出前講座（自治会向け）"
        )
    make_session(staff, outreach, capacity=None, requesting_group="並木自治会")
    html = Client().get(f"/courses/{world.tenant_a.code}/").content.decode()
    assert "出前講座（自治会向け）" not in html and "並木自治会" not in html


def test_the_staff_in_charge_is_chosen_among_this_tenants_course_staff(world, staff, course):
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    coordinator = world.user(Role.VOLUNTEER_COORDINATOR)
    data = {"kind": "training", "title": course.title, "key": course.key,
            "cumulative": "on", "cumulative_base": "22518", "cumulative_base_year": "2019",
            "completes_on_attendance": "on"}  # fmt: skip
    response = client.post(
        f"/courses/course/{course.pk}/edit/", {**data, "contact_user_id": coordinator.pk}
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.contact_user_id == coordinator.pk
    response = client.post(
        f"/courses/course/{course.pk}/edit/", {**data, "contact_user_id": world.admin_b.user_id}
    )
    assert response.status_code == 200  # not a choice: another tenant's member
    with tenant_context(course.tenant_id), pytest.raises(ValidationError):
        services.course_update(actor=staff, course=course, contact_user_id=world.admin_b.user_id)
