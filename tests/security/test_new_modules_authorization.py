"""Who may reach what in the modules merged together: notices, subscriptions, surveys, courses,
volunteers (with matching) and the tenant's public site.

One scene, built once for the module through each app's services (each test is rolled back to
it): tenant A (桶川市) and tenant B (所沢市) each have a notice, a reading entry, a topic and a
subscriber, a survey with a free-text answer, a course with a session and a registration, an
outreach request, a helper, a help request and an offer. Every tenant A text carries the marker
ZQ#A (addresses: zqa-…), so a response can be searched for what it must not contain.

The table lists every staff URL and API endpoint of those apps with the roles holding its
permission. For each (endpoint, user) pair:
- anonymous: a page redirects to the login page, the API answers 401;
- a role holding the permission: 200 (a POST: 200 or a redirect);
- a role without it: 403 or 404, and nothing of tenant A in the answer;
- tenant B's administrator, given tenant A's ids: never 200 for an object, and a list of theirs
  never holds tenant A's rows.
Row rules, the public pages and the audit of personal reads have their own tests below.
"""

import json
from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.courses import services as course_services
from sasaeai.courses.models import CourseKind
from sasaeai.notices import services as notice_services
from sasaeai.subscriptions.models import Topic
from sasaeai.surveys import services as survey_services
from sasaeai.surveys.models import SurveyMode, SurveyStatus
from sasaeai.volunteers import services as volunteer_services
from tests.conftest import World
from tests.consultation.factories import actor_for
from tests.notices.conftest import approve, make_notice
from tests.subscriptions.conftest import make_subscriber
from tests.surveys.conftest import answer, make_survey

A_MARK, A_MAIL = "ZQ#A", "zqa-"
FREE_TEXT = "ZQ#A自由記述の意見"
REGISTRANT, REGISTRANT_PHONE, REGISTRANT_MAIL = "ZQ#A申込者", "090-1234-5678", "zqa-reg@example.jp"
OUTREACH_CONTACT = "ZQ#A連絡者"

R = Role
ANON, B_ADMIN, OTHER_VOLUNTEER = "anonymous", "b_admin", "other_volunteer"
USERS = [role.value for role in Role] + [ANON, B_ADMIN]
STAFF = frozenset({R.SYSTEM_ADMIN, R.MUNICIPAL_STAFF, R.WELFARE_COUNCIL_STAFF,
                   R.COMMUNITY_SOCIAL_WORKER, R.VOLUNTEER_COORDINATOR})  # fmt: skip
SUBSCRIPTIONS = frozenset({R.MUNICIPAL_STAFF, R.WELFARE_COUNCIL_STAFF, R.VOLUNTEER_COORDINATOR})
COURSES = SUBSCRIPTIONS | {R.SYSTEM_ADMIN}
SURVEY_VIEW = STAFF | {R.PLAN_COMMITTEE_MEMBER}
VOL_MANAGE = frozenset({R.SYSTEM_ADMIN, R.WELFARE_COUNCIL_STAFF, R.VOLUNTEER_COORDINATOR})
VOL_VIEW = STAFF | {R.VOLUNTEER}  # the certificate: staff, and a volunteer for their own record
VOLUNTEER = frozenset({R.VOLUNTEER})
RESIDENT = frozenset({R.RESIDENT})


def _in_future(days=7):
    return (timezone.localtime() + timedelta(days=days)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )


class Scene:
    def __init__(self):
        self.world = world = World()
        self.other_volunteer = world.add_member(world.tenant_a, "a-volunteer-2", Role.VOLUNTEER)
        self.a = self._build(world.tenant_a, world.members, world.district, "ZQ#A", "zqa")
        self.b = self._build(world.tenant_b, {}, world.area_b, "ZQ#B", "zqb")

    def _build(self, tenant, members, area, mark, mail) -> dict:
        members = members or {}
        admin = actor_for(self._admin(tenant))
        ids = {}
        with tenant_context(tenant.pk):
            # notices: a draft, a published one, a withdrawn one; a reading entry
            draft = make_notice(admin, title=f"{mark}下書きの知らせ", body="本文")
            published = make_notice(admin, title=f"{mark}公開の知らせ", body="本文です")
            approve(admin, published)
            notice_services.notice_publish(actor=admin, notice=published, site_only=True)
            ready = make_notice(admin, title=f"{mark}承認済みの知らせ", body="本文です")
            approve(admin, ready)
            withdrawn = make_notice(admin, title=f"{mark}取下げの知らせ", body="本文です")
            approve(admin, withdrawn)
            notice_services.notice_publish(actor=admin, notice=withdrawn, site_only=True)
            notice_services.notice_withdraw(actor=admin, notice=withdrawn)
            entry = notice_services.reading_entry_save(
                actor=admin, surface=f"{mark}語", reading="ご"
            )
            ids |= {"notice": draft.pk, "published": published.pk, "withdrawn": withdrawn.pk,
                    "ready": ready.pk, "entry": entry.pk}  # fmt: skip
            # subscriptions
            topic = Topic.objects.create(tenant=tenant, key="news", name=f"{mark}お知らせ")
            subscriber = make_subscriber(tenant, f"{mail}-sub@example.jp", [topic])
            ids |= {"topic": topic.pk, "subscriber": subscriber.pk}
            # surveys: an open one with a free-text answer, a signed one, a draft, a closed one
            survey = make_survey(admin, title=f"{mark}市民意識調査", slug=f"s_{mail}_open")
            answer(survey, text=FREE_TEXT if mark == A_MARK else f"{mark}意見")
            signed = make_survey(
                admin, title=f"{mark}記名調査", mode=SurveyMode.SIGNED, slug=f"s_{mail}_signed"
            )
            draft_survey = make_survey(
                admin, title=f"{mark}下書き調査", open_it=False, slug=f"s_{mail}_draft"
            )
            closed = make_survey(admin, title=f"{mark}締切調査", slug=f"s_{mail}_closed")
            answer(closed, text=FREE_TEXT if mark == A_MARK else f"{mark}意見")
            survey_services.survey_set_status(
                actor=admin, survey=closed, status=SurveyStatus.CLOSED
            )
            ids |= {"survey": survey.pk, "signed": signed.pk, "draft_survey": draft_survey.pk,
                    "closed_survey": closed.pk, "draft_code": draft_survey.code,
                    "closed_code": closed.code}  # fmt: skip
            # courses
            course = course_services.course_create(
                actor=admin, kind=CourseKind.TRAINING, key="dementia_supporter",
                title=f"{mark}認知症サポーター養成講座",
            )  # fmt: skip
            start = _in_future()
            session = course_services.session_create(
                actor=admin, course=course, starts_at=start, ends_at=start + timedelta(hours=2),
                place="市民ホール", capacity=20,
            )  # fmt: skip
            registration = course_services.registration_create(
                actor=None, session=session,
                name=REGISTRANT if mark == A_MARK else f"{mark}申込者",
                phone=REGISTRANT_PHONE, email=f"{mail}-reg@example.jp",
            )  # fmt: skip
            outreach = course_services.outreach_request_submit(
                tenant_id=tenant.pk, group_name=f"{mark}自治会",
                contact_name=OUTREACH_CONTACT if mark == A_MARK else f"{mark}連絡者",
                wanted_date=(start + timedelta(days=30)).date(), topic="認知症",
                phone="048-000-0000",
            )  # fmt: skip
            ids |= {"course": course.pk, "session": session.pk,
                    "registration": registration.pk, "outreach": outreach.pk}  # fmt: skip
            # volunteers: the volunteer's own helper record and another volunteer's
            own_user = members[Role.VOLUNTEER].user_id if members else None
            own = self._helper(admin, area, f"{mark}佐藤", own_user)
            other_user = self.other_volunteer.user_id if members else None
            other = self._helper(admin, area, f"{mark}鈴木", other_user)
            help_request = self._request(admin, area, f"{mark}買い物支援", f"{mark}山田")
            second = self._request(admin, area, f"{mark}通院付添", f"{mark}田中", days=4)
            unoffered = self._request(admin, area, f"{mark}見守り", f"{mark}高橋", days=6)
            own_offer, other_offer = volunteer_services.offers_confirm(
                actor=admin, pairs=[
                    volunteer_services.PairChoice(request_id=help_request.pk, helper_id=own.pk),
                    volunteer_services.PairChoice(request_id=second.pk, helper_id=other.pk),
                ],
            )  # fmt: skip
            ids |= {"helper": own.pk, "other_helper": other.pk, "request": help_request.pk,
                    "other_request": second.pk, "open_request": unoffered.pk, "offer": own_offer.pk,
                    "other_offer": other_offer.pk}  # fmt: skip
            if members:
                resident = actor_for(members[Role.RESIDENT])
                mine = self._request(resident, None, f"{mark}住民の依頼", f"{mark}住民", days=5)
                ids["resident_request"] = mine.pk
        return ids

    def _admin(self, tenant):
        if tenant.pk == self.world.tenant_a.pk:
            return self.world.members[Role.SYSTEM_ADMIN]
        return self.world.admin_b

    @staticmethod
    def _helper(actor, area, name, user_id):
        helper = volunteer_services.helper_save(
            actor=actor, name=name, area=area, latitude=36.0, longitude=139.55, user_id=user_id
        )
        today = timezone.localdate()
        from sasaeai.core.fiscal import fiscal_year_of

        volunteer_services.insurance_record(
            actor=actor, helper=helper, fiscal_year=fiscal_year_of(today), plan="basic",
            enrolled_on=today - timedelta(days=1),
        )  # fmt: skip
        # free every day from 8:00 to 18:00, so the matching engine proposes them
        volunteer_services.availability_set(
            actor=actor, helper=helper, slots=[(d, time(8), time(18)) for d in range(7)]
        )
        return helper

    @staticmethod
    def _request(actor, area, title, requester, days=3):
        starts = _in_future(days)
        data = volunteer_services.RequestInput(
            title=title, requester_name=requester, requester_phone="048-111-2222",
            address=f"{requester}の住所", starts_at=starts, ends_at=starts + timedelta(hours=2),
            area_id=area.pk if area else None, latitude=36.001, longitude=139.551,
        )  # fmt: skip
        return volunteer_services.request_create(actor=actor, data=data)

    def membership(self, user_key):
        if user_key == B_ADMIN:
            return self.world.admin_b
        if user_key == OTHER_VOLUNTEER:
            return self.other_volunteer
        return self.world.members[Role(user_key)]

    def client(self, user_key) -> Client:
        if user_key == ANON:
            return Client()
        return self.world.client_for(self.membership(user_key).user)


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    """Built once; each test runs in a savepoint inside this transaction and is rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield Scene()
        transaction.set_rollback(True)


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str  # {key}: the scene's tenant A id of that key
    allowed: frozenset
    method: str = "get"
    data: dict = field(default_factory=dict)
    is_object: bool = True  # an id of tenant A in the path: tenant B must never get a 200
    redirects: bool = False  # a landing page that sends each role on to its own page

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def E(name, path, allowed, **kw):  # noqa: N802
    return Endpoint(name, path, frozenset(allowed), is_object="{" in path, **kw)


API = "/api/v1"
PAGES = [
    # notices
    E("notices list", "/notices/", STAFF),
    E("notice create form", "/notices/new/", STAFF),
    E("notice detail", "/notices/manage/{notice}/", STAFF),
    E("notice edit", "/notices/manage/{notice}/edit/", STAFF),
    E("notice readings", "/notices/manage/{notice}/readings/", STAFF),
    E("notice flyer pdf", "/notices/manage/{published}/flyer.pdf", STAFF),
    E(
        "notice publish",
        "/notices/manage/{ready}/publish/",
        STAFF,
        method="post",
        data={"site_only": "on"},
    ),  # fmt: skip
    E("notice withdraw", "/notices/manage/{published}/withdraw/", STAFF, method="post"),
    E("notice delete", "/notices/manage/{notice}/delete/", STAFF, method="post"),
    E("reading dictionary", "/notices/dictionary/", STAFF),
    E("reading entry edit", "/notices/dictionary/{entry}/edit/", STAFF),
    E("reading entry delete", "/notices/dictionary/{entry}/delete/", STAFF, method="post"),
    E("reading dictionary import", "/notices/dictionary/import/", STAFF, method="post"),
    # subscriptions
    E("topic list", "/subscriptions/", SUBSCRIPTIONS),
    E("topic create form", "/subscriptions/topics/new/", SUBSCRIPTIONS),
    E("topic edit", "/subscriptions/topics/{topic}/", SUBSCRIPTIONS),
    E("subscriber search", "/subscriptions/subscribers/?q=zq", SUBSCRIPTIONS),
    E("subscriber detail", "/subscriptions/subscribers/{subscriber}/", SUBSCRIPTIONS),
    E(
        "subscriber bounced",
        "/subscriptions/subscribers/{subscriber}/bounced/",
        SUBSCRIPTIONS,
        method="post",
    ),  # fmt: skip
    E("subscription counts csv", "/subscriptions/counts.csv", SUBSCRIPTIONS),
    # surveys
    E("survey list", "/surveys/", SURVEY_VIEW),
    E("survey create form", "/surveys/new/", STAFF),
    E("survey detail", "/surveys/{survey}/", SURVEY_VIEW),
    E("survey edit", "/surveys/{survey}/edit/", STAFF),
    E(
        "survey status",
        "/surveys/{survey}/status/",
        STAFF,
        method="post",
        data={"status": "closed"},
    ),  # fmt: skip
    E("survey qr png", "/surveys/{survey}/qr.png", STAFF),
    E("question create form", "/surveys/{draft_survey}/questions/new/", STAFF),
    E("question edit", "/surveys/{draft_survey}/questions/1/", STAFF),
    E("question delete", "/surveys/{draft_survey}/questions/4/delete/", STAFF, method="post"),
    E(
        "survey link slips pdf",
        "/surveys/{signed}/links/",
        STAFF,
        method="post",
        data={"count": 2, "label": "A地区", "format": "pdf"},
    ),  # fmt: skip
    E(
        "survey links csv",
        "/surveys/{signed}/links/",
        STAFF,
        method="post",
        data={"count": 2, "label": "A地区", "format": "csv"},
    ),  # fmt: skip
    E("survey results", "/surveys/{survey}/results/", SURVEY_VIEW),
    E("survey results cross-tab", "/surveys/{survey}/results/?by=1", SURVEY_VIEW),
    E("survey export csv", "/surveys/{survey}/export.csv", STAFF),
    E("survey export xlsx", "/surveys/{survey}/export.xlsx", STAFF),
    # courses
    E("course list", "/courses/", COURSES),
    E("course create form", "/courses/new/", COURSES),
    E("course statistics", "/courses/statistics/", COURSES),
    E("course detail", "/courses/course/{course}/", COURSES),
    E("course edit", "/courses/course/{course}/edit/", COURSES),
    E("session create form", "/courses/course/{course}/sessions/new/", COURSES),
    E("session detail", "/courses/session/{session}/", COURSES),
    E("session edit", "/courses/session/{session}/edit/", COURSES),
    E("session attendance", "/courses/session/{session}/attendance/", COURSES, method="post"),
    E(
        "session head count",
        "/courses/session/{session}/head-count/",
        COURSES,
        method="post",
        data={"head_count": 3},
    ),  # fmt: skip
    E(
        "session register",
        "/courses/session/{session}/register/",
        COURSES,
        method="post",
        data={"name": "窓口の申込", "phone": "0"},
    ),  # fmt: skip
    E("attendance sheet", "/courses/session/{session}/sheet/", COURSES),
    E("session thank-you mail", "/courses/session/{session}/thank-you/", COURSES, method="post"),
    E("participants csv", "/courses/session/{session}/participants.csv", COURSES),
    E("participants xlsx", "/courses/session/{session}/participants.xlsx", COURSES),
    E("outreach list", "/courses/outreach/", COURSES),
    E(
        "outreach decide",
        "/courses/outreach/{outreach}/decide/",
        COURSES,
        method="post",
        data={"accept": ""},
    ),  # fmt: skip
    E(
        "registration cancel",
        "/courses/registration/{registration}/cancel/",
        COURSES,
        method="post",
    ),  # fmt: skip
    # volunteers
    E("volunteers home", "/volunteers/", STAFF | VOLUNTEER | RESIDENT, redirects=True),
    E("helper list", "/volunteers/helpers/", VOL_MANAGE),
    E("helper create form", "/volunteers/helpers/new/", VOL_MANAGE),
    E("helper detail", "/volunteers/helpers/{helper}/", VOL_MANAGE),
    E("helper edit", "/volunteers/helpers/{helper}/edit/", VOL_MANAGE),
    E("activity certificate pdf", "/volunteers/helpers/{helper}/certificate.pdf", VOL_VIEW),
    E("registry list", "/volunteers/registries/", VOL_MANAGE),
    E("request list", "/volunteers/requests/", VOL_MANAGE),
    E("request create form", "/volunteers/requests/new/", VOL_MANAGE),
    E("request detail", "/volunteers/requests/{request}/", VOL_MANAGE),
    E("shortlist", "/volunteers/requests/{request}/shortlist/", VOL_MANAGE),
    E(
        "offer withdraw",
        "/volunteers/offers/{offer}/withdraw/",
        VOL_MANAGE,
        method="post",
        data={"reason": "都合"},
    ),  # fmt: skip
    E("matching", "/volunteers/matching/", VOL_MANAGE),
    E("volunteer statistics", "/volunteers/statistics/", STAFF),
    E("statistics export csv", "/volunteers/statistics/export.csv", STAFF),
    E("statistics export xlsx", "/volunteers/statistics/export.xlsx", STAFF),
    E("my volunteering", "/volunteers/my/", VOLUNTEER),
    E("my profile", "/volunteers/my/profile/", VOLUNTEER),
    E("my offer", "/volunteers/my/offers/{offer}/", VOLUNTEER),
    E("my requests", "/volunteers/my/requests/", RESIDENT),
    E("my request form", "/volunteers/my/requests/new/", RESIDENT),
    E("my request", "/volunteers/my/requests/{resident_request}/", RESIDENT),
]
APIS = [
    E("api notices", f"{API}/notices", STAFF),
    E("api reading dictionary", f"{API}/notices/dictionary", STAFF),
    E("api notice detail", f"{API}/notices/{{notice}}", STAFF),
    E("api topics", f"{API}/subscriptions/topics", SUBSCRIPTIONS),
    E("api surveys", f"{API}/surveys", SURVEY_VIEW),
    E("api survey detail", f"{API}/surveys/{{survey}}", SURVEY_VIEW),
    E("api survey results", f"{API}/surveys/{{survey}}/results", SURVEY_VIEW),
    E("api sessions", f"{API}/courses/sessions", COURSES),
    E("api session detail", f"{API}/courses/sessions/{{session}}", COURSES),
    E("api course counts", f"{API}/courses/counts", COURSES),
    E("api help requests", f"{API}/volunteers/requests", STAFF | VOLUNTEER | RESIDENT),
    E("api help request detail", f"{API}/volunteers/requests/{{request}}", STAFF | VOLUNTEER),
    E("api helpers", f"{API}/volunteers/helpers", VOL_MANAGE),
    E("api helper detail", f"{API}/volunteers/helpers/{{helper}}", STAFF | VOLUNTEER),
    E("api offers", f"{API}/volunteers/offers", STAFF | VOLUNTEER | RESIDENT),
]
ENDPOINTS = PAGES + APIS


def _call(client, endpoint: Endpoint, ids: dict):
    path = endpoint.path.format_map(ids)
    if endpoint.method == "post":
        return client.post(path, endpoint.data)
    return client.get(path)


def _text(response) -> str:
    """The answer as text (JSON un-escaped, so Japanese markers can be searched for)."""
    kind = response.get("Content-Type", "")
    if not kind.startswith(("text/", "application/json")):
        return ""
    if getattr(response, "streaming", False):
        text = b"".join(response.streaming_content).decode("utf-8-sig", "replace")
    else:
        text = response.content.decode("utf-8-sig", "replace")
    if kind.startswith("application/json"):
        return json.dumps(json.loads(text), ensure_ascii=False)
    return text


@pytest.mark.parametrize("user_key", USERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_role_reaches_exactly_what_its_permission_allows(scene, db, endpoint, user_key):
    response = _call(scene.client(user_key), endpoint, scene.a)
    status = response.status_code
    assert status != 500, response.content[:500]
    if user_key == ANON:
        if endpoint.is_api:
            assert status == 401
        else:
            assert status == 302 and "/accounts/login" in response["Location"], status
        return
    if user_key == B_ADMIN:
        # Tenant B's administrator, with tenant A's ids: refused or not found, never tenant A's
        # data; on a list, only tenant B's rows.
        if endpoint.is_object and Role.SYSTEM_ADMIN in endpoint.allowed:
            assert status == 404, status  # they hold the permission: the object is not theirs
        elif endpoint.is_object:
            assert status in (403, 404), status
        else:
            assert status in (200, 302, 403, 404), status
        body = _text(response)
        assert A_MARK not in body and A_MAIL not in body
        return
    role = Role(user_key)
    if role in endpoint.allowed:
        if endpoint.method == "post" or endpoint.redirects:
            assert status in (200, 302), status
        else:
            assert status == 200, status
    else:
        assert status in (403, 404), status
        body = _text(response)
        assert A_MARK not in body and A_MAIL not in body


# --- row rules: a volunteer's own records, a resident's own requests -------------------------


def test_a_volunteer_sees_their_own_offer_and_not_another_volunteers(scene, db):
    client = scene.client(Role.VOLUNTEER.value)
    assert client.get(f"/volunteers/my/offers/{scene.a['offer']}/").status_code == 200
    other = client.get(f"/volunteers/my/offers/{scene.a['other_offer']}/")
    assert other.status_code == 404 and "ZQ#A鈴木" not in _text(other)
    api = client.get(f"{API}/volunteers/offers/{scene.a['other_offer']}")
    assert api.status_code in (404, 405)
    listed = client.get(f"{API}/volunteers/offers").json()["items"]
    assert [o["id"] for o in listed] == [scene.a["offer"]]


def test_a_volunteer_gets_their_own_certificate_and_not_another_volunteers(scene, db):
    client = scene.client(Role.VOLUNTEER.value)
    own = client.get(f"/volunteers/helpers/{scene.a['helper']}/certificate.pdf")
    assert own.status_code == 200 and own["Content-Type"] == "application/pdf"
    other = client.get(f"/volunteers/helpers/{scene.a['other_helper']}/certificate.pdf")
    assert other.status_code == 404


def test_a_volunteer_reads_their_own_helper_record_and_request_only_over_the_api(scene, db):
    client = scene.client(Role.VOLUNTEER.value)
    assert client.get(f"{API}/volunteers/helpers/{scene.a['helper']}").status_code == 200
    assert client.get(f"{API}/volunteers/helpers/{scene.a['other_helper']}").status_code == 404
    assert client.get(f"{API}/volunteers/requests/{scene.a['request']}").status_code == 200
    assert client.get(f"{API}/volunteers/requests/{scene.a['other_request']}").status_code == 404
    titles = _text(client.get(f"{API}/volunteers/requests"))
    assert "ZQ#A買い物支援" in titles and "ZQ#A通院付添" not in titles
    assert "ZQ#A住民の依頼" not in titles


def test_the_other_volunteer_cannot_open_the_first_volunteers_offer(scene, db):
    client = scene.client(OTHER_VOLUNTEER)
    assert client.get(f"/volunteers/my/offers/{scene.a['offer']}/").status_code == 404
    assert client.get(f"/volunteers/my/offers/{scene.a['other_offer']}/").status_code == 200


def test_a_resident_sees_only_their_own_requests(scene, db):
    client = scene.client(Role.RESIDENT.value)
    assert client.get(f"/volunteers/my/requests/{scene.a['resident_request']}/").status_code == 200
    staff_made = client.get(f"/volunteers/my/requests/{scene.a['request']}/")
    assert staff_made.status_code == 404
    page = _text(client.get("/volunteers/my/requests/"))
    assert "ZQ#A住民の依頼" in page and "ZQ#A買い物支援" not in page
    api = _text(client.get(f"{API}/volunteers/requests"))
    assert "ZQ#A住民の依頼" in api and "ZQ#A買い物支援" not in api
    assert client.get(f"{API}/volunteers/requests/{scene.a['request']}").status_code in (403, 404)
    assert client.get(f"{API}/volunteers/helpers/{scene.a['helper']}").status_code in (403, 404)
    offers = client.get(f"{API}/volunteers/offers")
    assert offers.status_code == 403 or offers.json()["items"] == []
    requests = client.get(f"{API}/volunteers/requests").json()["items"]
    assert [r["id"] for r in requests] == [scene.a["resident_request"]]


def test_the_plan_committee_sees_survey_results_without_free_text_and_cannot_export(scene, db):
    client = scene.client(Role.PLAN_COMMITTEE_MEMBER.value)
    results = client.get(f"/surveys/{scene.a['survey']}/results/")
    assert results.status_code == 200 and "市の情報発信に対する満足度" in _text(results)
    assert FREE_TEXT not in _text(results)
    api = client.get(f"{API}/surveys/{scene.a['survey']}/results")
    assert api.status_code == 200 and FREE_TEXT not in _text(api)
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/surveys/{scene.a['survey']}/export.{fmt}").status_code == 403
    assert client.get(f"/surveys/{scene.a['survey']}/qr.png").status_code == 403


def test_staff_do_see_the_free_text_the_committee_does_not(scene, db):
    """The other side of the committee test: the answer is there to be hidden."""
    client = scene.client(Role.MUNICIPAL_STAFF.value)
    assert FREE_TEXT in _text(client.get(f"/surveys/{scene.a['survey']}/results/"))


def test_the_system_administrator_sees_no_subscriber_address(scene, db):
    client = scene.client(Role.SYSTEM_ADMIN.value)
    for path in (
        f"/subscriptions/subscribers/{scene.a['subscriber']}/",
        "/subscriptions/subscribers/?q=zqa",
        "/subscriptions/counts.csv",
        f"{API}/subscriptions/topics",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert A_MAIL not in _text(response)
    staff = scene.client(Role.MUNICIPAL_STAFF.value)
    assert "zqa-sub@example.jp" in _text(
        staff.get(f"/subscriptions/subscribers/{scene.a['subscriber']}/")
    )


# --- public pages ---------------------------------------------------------------------------


def test_a_draft_or_withdrawn_notice_is_not_found_on_the_public_site(scene, db, client):
    for key in ("notice", "withdrawn", "ready"):
        assert client.get(f"/notices/112097/{scene.a[key]}/").status_code == 404, key
    assert client.get(f"/notices/112097/{scene.a['published']}/").status_code == 200
    listed = _text(client.get("/notices/112097/"))
    assert "ZQ#A公開の知らせ" in listed
    assert "下書きの知らせ" not in listed and "取下げの知らせ" not in listed
    assert "承認済みの知らせ" not in listed
    # another tenant's published notice under this tenant's code
    assert client.get(f"/notices/112097/{scene.b['published']}/").status_code == 404


def test_a_draft_or_closed_survey_never_shows_answers_on_the_public_site(scene, db, client):
    for key in ("draft_code", "closed_code"):
        response = client.get(f"/surveys/112097/{scene.a[key]}/")
        assert response.status_code in (200, 404), key
        body = _text(response)
        assert FREE_TEXT not in body and "市の情報発信に対する満足度" not in body, key
        thanks = client.get(f"/surveys/112097/{scene.a[key]}/thanks/")
        assert FREE_TEXT not in _text(thanks)
    # a tenant's survey code under the other tenant's code
    assert client.get(f"/surveys/112089/{scene.a['closed_code']}/").status_code == 404


def test_public_course_pages_never_show_registrants(scene, db, client):
    pages = [
        "/courses/112097/",
        f"/courses/112097/sessions/{scene.a['session']}/register/",
        "/courses/112097/outreach/",
        "/p/112097/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        body = _text(response)
        for personal in (REGISTRANT, REGISTRANT_PHONE, REGISTRANT_MAIL, OUTREACH_CONTACT):
            assert personal not in body, (path, personal)
    assert "ZQ#A認知症サポーター養成講座" in _text(client.get("/courses/112097/"))
    assert client.get(f"/courses/112089/sessions/{scene.a['session']}/register/").status_code == 404


def test_the_public_site_home_shows_no_personal_data(scene, db, client):
    body = _text(client.get("/p/112097/"))
    for personal in (REGISTRANT, FREE_TEXT, "zqa-sub@example.jp", "ZQ#A山田", "ZQ#A佐藤"):
        assert personal not in body


def _subscribe(client, email):
    page = client.get("/mail/112097/")
    assert page.status_code == 200
    return client.post("/mail/112097/", {"email": email, "topics": ["news"], "language": "ja"})


def test_the_mail_pages_do_not_reveal_whether_an_address_is_subscribed(scene, db):
    known = _subscribe(Client(), "zqa-sub@example.jp")
    unknown = _subscribe(Client(), "zqa-nobody@example.jp")
    assert known.status_code == unknown.status_code
    assert known.get("Location") == unknown.get("Location")
    if known.status_code == 200:
        assert _text(known).replace("zqa-sub", "X") == _text(unknown).replace("zqa-nobody", "X")
    for kind in ("confirm", "unsubscribe", "preferences"):
        bogus = Client().get(f"/mail/112097/{kind}/not-a-real-token-123/")
        assert bogus.status_code in (200, 404, 410), kind
        assert A_MAIL not in _text(bogus)


# --- every read of personal data is audited -------------------------------------------------

AUDITED = [
    ("subscriber detail", Role.MUNICIPAL_STAFF, "/subscriptions/subscribers/{subscriber}/"),
    ("subscriber search", Role.MUNICIPAL_STAFF, "/subscriptions/subscribers/?q=zqa"),
    ("session registrations", Role.WELFARE_COUNCIL_STAFF, "/courses/session/{session}/"),
    ("attendance sheet", Role.WELFARE_COUNCIL_STAFF, "/courses/session/{session}/sheet/"),
    (
        "participants csv",
        Role.WELFARE_COUNCIL_STAFF,
        "/courses/session/{session}/participants.csv",
    ),  # fmt: skip
    ("outreach requests", Role.WELFARE_COUNCIL_STAFF, "/courses/outreach/"),
    ("helper detail", Role.VOLUNTEER_COORDINATOR, "/volunteers/helpers/{helper}/"),
    ("helper list", Role.VOLUNTEER_COORDINATOR, "/volunteers/helpers/"),
    ("request detail", Role.VOLUNTEER_COORDINATOR, "/volunteers/requests/{request}/"),
    ("shortlist", Role.VOLUNTEER_COORDINATOR, "/volunteers/requests/{open_request}/shortlist/"),
    ("certificate", Role.VOLUNTEER_COORDINATOR, "/volunteers/helpers/{helper}/certificate.pdf"),
    ("requester data in an offer", Role.VOLUNTEER, "/volunteers/my/offers/{offer}/"),
    ("api helper list", Role.VOLUNTEER_COORDINATOR, f"{API}/volunteers/helpers"),
    ("api helper detail", Role.VOLUNTEER_COORDINATOR, f"{API}/volunteers/helpers/{{helper}}"),
    ("api request detail", Role.VOLUNTEER_COORDINATOR, f"{API}/volunteers/requests/{{request}}"),
]


@pytest.mark.parametrize(("name", "role", "path"), AUDITED, ids=[a[0] for a in AUDITED])
def test_every_read_of_personal_data_writes_an_audit_entry(scene, db, name, role, path):
    user = scene.world.user(role)
    entries = AuditEntry.objects.filter(
        tenant_id=scene.world.tenant_a.pk, actor_id=user.pk,
        action__in=[Action.READ, Action.EXPORT],
    )  # fmt: skip
    before = entries.count()
    response = scene.client(role.value).get(path.format_map(scene.a))
    assert response.status_code == 200
    assert entries.count() > before, f"{name}: no audit entry"


def test_a_matching_proposal_naming_helpers_is_audited(scene, db):
    user = scene.world.user(Role.VOLUNTEER_COORDINATOR)
    entries = AuditEntry.objects.filter(actor_id=user.pk, action=Action.READ)
    before = entries.count()
    response = scene.client(Role.VOLUNTEER_COORDINATOR.value).post(
        "/volunteers/matching/", {"action": "run", "request": [scene.a["open_request"]]}
    )
    assert response.status_code == 200
    assert "ZQ#A佐藤" in _text(response) or "ZQ#A鈴木" in _text(response)
    assert entries.count() > before


CROSS = [e for e in ENDPOINTS if e.is_object and "{resident_request}" not in e.path]


@pytest.mark.parametrize("endpoint", CROSS, ids=lambda e: e.name)
def test_tenant_a_users_holding_the_permission_get_404_for_tenant_b_objects(scene, db, endpoint):
    """The other direction of the table: tenant A's users, with tenant B's ids."""
    order = [Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF,
             Role.VOLUNTEER_COORDINATOR, Role.PLAN_COMMITTEE_MEMBER, Role.VOLUNTEER]  # fmt: skip
    role = next(r for r in order if r in endpoint.allowed)
    response = _call(scene.client(role.value), endpoint, scene.b)
    assert response.status_code == 404, (role, response.status_code)
    assert "ZQ#B" not in _text(response) and "zqb-" not in _text(response)
