"""Attendance, completion, head counts and the figures the plans read."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.core import metrics
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.tenancy import tenant_context
from sasaeai.courses import services
from sasaeai.courses.models import CourseKind, SessionStatus

from .conftest import make_session

THIS_YEAR = fiscal_year_of(timezone.localdate())


def held_session_with(staff, course, names, attended, *, capacity=10):
    """A session registered for in the past (a week before it) and attended as given."""
    session = make_session(staff, course, days=-1, capacity=capacity)
    registered = []
    with tenant_context(course.tenant_id):
        for name in names:
            registered.append(
                services.registration_create(
                    actor=staff,
                    session=session,
                    name=name,
                    phone="0000",
                    now=session.starts_at - timedelta(days=7),
                )  # fmt: skip
            )
        services.attendance_set(
            actor=staff, session=session,
            attended_ids={r.pk for r in registered if r.name in attended},
        )  # fmt: skip
    for row in registered:
        row.refresh_from_db()
    return session, registered


def test_attendance_marks_the_session_held_and_completes_by_attending(staff, course):
    session, rows = held_session_with(staff, course, ["一", "二", "三"], {"一", "三"})
    session.refresh_from_db()
    assert session.status == SessionStatus.HELD
    assert [(r.attended, r.completed) for r in rows] == [(True, True), (False, False),
                                                          (True, True)]  # fmt: skip


def test_a_course_with_its_own_completion_rule_needs_completion_ticked(staff, course):
    with tenant_context(course.tenant_id):
        services.course_update(actor=staff, course=course, completes_on_attendance=False)
    session = make_session(staff, course, days=-1)
    with tenant_context(course.tenant_id):
        first, second = (
            services.registration_create(actor=staff, session=session, name=n, phone="0",
                                         now=session.starts_at - timedelta(days=1))
            for n in ("一", "二")
        )  # fmt: skip
        services.attendance_set(
            actor=staff, session=session, attended_ids={first.pk, second.pk},
            completed_ids={second.pk},
        )  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attended, first.completed) == (True, False)
    assert (second.attended, second.completed) == (True, True)


def test_attendance_of_someone_not_registered_in_the_session_is_refused(staff, course):
    session, rows = held_session_with(staff, course, ["一"], set())
    other, _ = held_session_with(staff, course, ["他"], set())
    with tenant_context(course.tenant_id), pytest.raises(ValidationError):
        services.attendance_set(actor=staff, session=other, attended_ids={rows[0].pk})


def test_attendance_before_the_session_starts_is_refused(staff, session):
    with tenant_context(session.tenant_id), pytest.raises(ValidationError):
        services.attendance_set(actor=staff, session=session, attended_ids=set())


def test_the_cumulative_count_adds_completions_to_the_count_before_the_system(world, staff, course):
    held_session_with(staff, course, ["一", "二", "三"], {"一", "二"})
    key = "courses.completed_total:dementia_supporter"
    assert metrics.compute(key, tenant_id=world.tenant_a.pk, fiscal_year=THIS_YEAR) == 22520
    assert metrics.compute(key, tenant_id=world.tenant_a.pk, fiscal_year=2019) == 22518
    assert metrics.compute(key, tenant_id=world.tenant_b.pk, fiscal_year=THIS_YEAR) is None


def test_a_non_cumulative_course_counts_the_fiscal_years_completions(world, staff):
    with tenant_context(world.tenant_a.pk):
        course = services.course_create(
            actor=staff, kind=CourseKind.COURSE, key="lecture", title="講座"
        )
    held_session_with(staff, course, ["一", "二"], {"一"})
    key = "courses.completed_total:lecture"
    assert metrics.compute(key, tenant_id=world.tenant_a.pk, fiscal_year=THIS_YEAR) == 1
    assert metrics.compute(key, tenant_id=world.tenant_a.pk, fiscal_year=THIS_YEAR - 1) == 0


def test_an_event_is_counted_by_head_count_without_registration(world, staff):
    with tenant_context(world.tenant_a.pk):
        event = services.course_create(
            actor=staff, kind=CourseKind.EVENT, key="disability_week", title="障害者週間記念事業"
        )
    session = make_session(staff, event, days=-1, capacity=None)
    with tenant_context(world.tenant_a.pk):
        services.head_count_set(actor=staff, session=session, head_count=418)
    session.refresh_from_db()
    assert session.status == SessionStatus.HELD
    tenant = world.tenant_a.pk
    assert metrics.compute("courses.participants:event", tenant_id=tenant,
                           fiscal_year=THIS_YEAR) == 418  # fmt: skip
    assert metrics.compute("courses.sessions_held:event", tenant_id=tenant,
                           fiscal_year=THIS_YEAR) == 1  # fmt: skip
    assert metrics.compute("courses.participants:disability_week", tenant_id=tenant,
                           fiscal_year=THIS_YEAR) == 418  # fmt: skip
    assert metrics.compute("courses.participants:event", tenant_id=world.tenant_b.pk,
                           fiscal_year=THIS_YEAR) == 0  # fmt: skip


def test_participants_count_attendees_of_held_sessions_only(world, staff, course):
    held_session_with(staff, course, ["一", "二", "三"], {"一", "二"})
    make_session(staff, course, days=3)  # scheduled, not held
    tenant = world.tenant_a.pk
    assert metrics.compute("courses.participants:training", tenant_id=tenant,
                           fiscal_year=THIS_YEAR) == 2  # fmt: skip
    assert metrics.compute("courses.sessions_held:training", tenant_id=tenant,
                           fiscal_year=THIS_YEAR) == 1  # fmt: skip


def test_a_negative_head_count_is_refused(staff, course):
    session = make_session(staff, course, days=-1, capacity=None)
    with tenant_context(course.tenant_id), pytest.raises(ValidationError):
        services.head_count_set(actor=staff, session=session, head_count=-1)


def test_the_metric_families_offer_kinds_and_course_keys(world, course):
    families = {f.key: f for f in metrics.all_families()}
    assert ("dementia_supporter", "認知症サポーター養成講座") in families[
        "courses.completed_total"
    ].options(world.tenant_a.pk)
    assert "event" in dict(families["courses.participants"].options(world.tenant_a.pk))


def test_the_statistics_page_counts_sessions_and_participants_by_month_and_kind(
    world, staff, course
):
    session, _rows = held_session_with(staff, course, ["一", "二", "三"], {"一", "二"})
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(f"/courses/statistics/?fiscal_year={THIS_YEAR}")
    month = timezone.localtime(session.starts_at).strftime("%Y-%m")
    rows = response.context["rows"]
    assert [(r["month"].strftime("%Y-%m"), r["kind"], r["sessions"], r["participants"])
            for r in rows] == [(month, "training", 1, 2)]  # fmt: skip
    assert "養成講座" in response.content.decode()
