"""Demo courses and sessions of the current fiscal year for the three demo cities.

所沢市 gets the courses its plan's indicators read (認知症サポーター養成講座 with its 累計 base
of 22,518 up to 令和元年度, ボランティア体験, 出前講座, the ordinance's 出前講座 and the
障害者週間記念事業 counted by head count); 桶川市 and 鴻巣市 a small course each. Sessions
before today are held, with attendance; later ones are open for registration. Everything is
marked demo; registrants are made-up names.
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.demo import stable_unit
from sasaeai.core.fiscal import fiscal_year_bounds, fiscal_year_of
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.tenancy import tenant_context
from sasaeai.courses import services
from sasaeai.courses.models import CourseKind

SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
GIVEN = ("花子", "太郎", "陽子", "一郎", "恵子", "健", "明美", "誠", "由美", "茂")


def _actor(tenant) -> Actor | None:
    membership = (
        Membership.objects.filter(tenant=tenant, role=Role.WELFARE_COUNCIL_STAFF)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if membership is None:
        return None
    return Actor(
        user_id=membership.user_id, username=membership.user.username, tenant_id=tenant.pk,
        membership_id=membership.pk, role=Role.WELFARE_COUNCIL_STAFF, otp_verified=True,
    )  # fmt: skip


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _session(actor, course, day: date, *, hour=10, capacity=None, place="", area=None,
             group="", registrants=0, attend_share=0.9, head_count=None):  # fmt: skip
    now = timezone.now()
    session = services.session_create(
        actor=actor, course=course, starts_at=_at(day, hour), ends_at=_at(day, hour + 2),
        place=place, area_id=area.pk if area else None, capacity=capacity,
        requesting_group=group, is_demo=True,
    )  # fmt: skip
    registrations = []
    for number in range(registrants):
        name = f"{SURNAMES[number % 10]} {GIVEN[(number * 7 + day.day) % 10]}（デモ）"
        registrations.append(
            services.registration_create(
                actor=actor,
                session=session,
                name=name,
                phone=f"090-0000-{number:04d}",
                now=min(session.starts_at - timedelta(days=7), now),
                is_demo=True,
            )  # fmt: skip
        )
    if session.starts_at > now:
        return session
    if head_count is not None:
        return services.head_count_set(actor=actor, session=session, head_count=head_count)
    came = {
        r.pk
        for r in registrations
        if r.status == "registered" and stable_unit(course.key, r.pk) < attend_share
    }
    return services.attendance_set(actor=actor, session=session, attended_ids=came)


def _days(first: date, last: date, day_of_month: int, months) -> list[date]:
    days = []
    for month in months:
        month = (month - 1) % 12 + 1  # 13 is next January
        year = first.year if month >= 4 else first.year + 1
        day = date(year, month, day_of_month)
        if first <= day <= last:
            days.append(day)
    return days


def _load_tokorozawa(actor, tenant, first: date, last: date) -> None:
    districts = list(Area.objects.filter(tenant_id=tenant.pk, kind=AreaKind.DISTRICT)[:6])
    area = districts[0] if districts else None
    dementia = services.course_create(
        actor=actor, kind=CourseKind.TRAINING, key="dementia_supporter",
        title="認知症サポーター養成講座", organiser="所沢市・所沢市社会福祉協議会",
        audience="市内在住・在勤・在学の方", description="認知症を正しく理解し、地域で見守る応援者になる講座です（デモ）。",
        cumulative=True, cumulative_base=22518, cumulative_base_year=2019,
        contact_user_id=actor.user_id, is_demo=True,
    )  # fmt: skip
    for index, day in enumerate(_days(first, last, 15, range(4, 16))):
        months = day.month
        _session(actor, dementia, day, capacity=30, place="所沢市役所 会議室", area=area,
                 registrants=18 + (months * 3) % 14)  # fmt: skip
        if index % 3 == 0:
            _session(actor, dementia, day + timedelta(days=7), hour=14, capacity=20,
                     place="新所沢公民館", registrants=12 + months % 7)  # fmt: skip
    experience = services.course_create(
        actor=actor, kind=CourseKind.VOLUNTEER_EXPERIENCE, key="volunteer_experience",
        title="夏のボランティア体験", organiser="所沢市社会福祉協議会 ボランティアセンター",
        audience="中学生以上", cumulative=False, is_demo=True,
    )  # fmt: skip
    for offset, day in enumerate(_days(first, last, 20, (7, 8))):
        for step in range(3):
            _session(actor, experience, day + timedelta(days=step * 3), capacity=12,
                     place=("特別養護老人ホーム", "保育園", "障害者支援施設")[step],
                     registrants=10 + (offset + step) % 5)  # fmt: skip
    outreach = services.course_create(
        actor=actor, kind=CourseKind.OUTREACH_COURSE, key="council_outreach",
        title="社会福祉協議会の出前講座", organiser="所沢市社会福祉協議会",
        audience="自治会・町内会、学校、企業などの団体", is_demo=True,
    )  # fmt: skip
    groups = (
        "並木自治会",
        "小手指地区老人クラブ",
        "市立中学校",
        "吾妻まちづくりセンター利用者の会",
    )
    for index, day in enumerate(_days(first, last, 10, range(4, 16))):
        _session(actor, outreach, day, hour=13, place="依頼団体の会場", group=groups[index % 4],
                 head_count=15 + (index * 7) % 30)  # fmt: skip
    today = timezone.localdate()
    for offset, (group, topic) in enumerate(
        (("新所沢団地自治会", "認知症の人への声かけ"), ("市立小学校PTA", "福祉のまちづくり"))
    ):
        request = services.outreach_request_submit(
            tenant_id=tenant.pk, group_name=group, contact_name="連絡 担当（デモ）",
            phone="04-0000-0000", wanted_date=today + timedelta(days=20 + 20 * offset),
            topic=topic, expected_participants=30, course=outreach, is_demo=True,
        )  # fmt: skip
        if offset == 0:
            start = _at(today + timedelta(days=20), 13)
            services.outreach_request_decide(
                actor=actor, request=request, accept=True, starts_at=start,
                ends_at=start + timedelta(hours=1, minutes=30), place="新所沢団地集会所",
                is_demo=True,
            )  # fmt: skip
    ordinance = services.course_create(
        actor=actor, kind=CourseKind.OUTREACH_COURSE, key="inclusive_society_ordinance",
        title="共に生きる社会づくり条例の出前講座", organiser="所沢市 障害福祉課",
        audience="市民・団体", is_demo=True,
    )  # fmt: skip
    for index, day in enumerate(_days(first, last, 25, (6, 9, 11, 1))):
        _session(actor, ordinance, day, hour=14, place="依頼団体の会場",
                 group=groups[(index + 1) % 4], head_count=20 + index * 5)  # fmt: skip
    event = services.course_create(
        actor=actor, kind=CourseKind.EVENT, key="disability_week_event",
        title="障害者週間記念事業", organiser="所沢市", audience="どなたでも",
        description="障害者週間（12月3日〜9日）にあわせた記念イベントです（デモ）。", is_demo=True,
    )  # fmt: skip
    for day in _days(first, last, 5, (12,)):
        _session(actor, event, day, place="所沢市民文化センター ミューズ", head_count=418)


def _load_small(actor, tenant, first: date, last: date, title: str, place: str) -> None:
    course = services.course_create(
        actor=actor, kind=CourseKind.TRAINING, key="dementia_supporter", title=title,
        organiser=tenant.welfare_council_name or tenant.name, audience="市民",
        cumulative=False, is_demo=True,
    )  # fmt: skip
    for day in _days(first, last, 18, (6, 10, 2)):
        _session(actor, course, day, capacity=25, place=place, registrants=15)
    experience = services.course_create(
        actor=actor, kind=CourseKind.VOLUNTEER_EXPERIENCE, key="volunteer_experience",
        title="ボランティア体験", organiser=tenant.welfare_council_name or tenant.name,
        audience="中学生以上", is_demo=True,
    )  # fmt: skip
    for day in _days(first, last, 1, (8,)):
        _session(actor, experience, day, capacity=10, place=place, registrants=11)


def load_courses(tenants: dict) -> None:
    today = timezone.localdate()
    first, last = fiscal_year_bounds(fiscal_year_of(today))
    for code, loader in (
        ("112089", lambda a, t: _load_tokorozawa(a, t, first, last)),
        ("112097", lambda a, t: _load_small(a, t, first, last, "認知症サポーター養成講座", "桶川市民ホール")),
        ("112178", lambda a, t: _load_small(a, t, first, last, "認知症サポーター養成講座", "鴻巣市文化センター")),
    ):  # fmt: skip
        tenant = tenants.get(code)
        if tenant is None:
            continue
        with tenant_context(tenant.pk):
            actor = _actor(tenant)
            if actor is not None:
                loader(actor, tenant)
