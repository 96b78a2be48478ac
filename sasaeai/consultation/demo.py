"""Demo consultation records in each demo city: agencies, about forty consultations over this
fiscal year and the last, fifteen cases in every status with their support records, a few
referrals, one support meeting with tasks and one confidential case.

Every person is fictional and carries （デモ） in the name; every text says it is demo data.
Everything is written through the services (so it is audited like real work) and then
moved back to the day it happened, which the services cannot be told. Choices come from
`stable_unit`, so the demo is the same on every machine for the same day.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.consultation import services
from sasaeai.consultation.models import (
    AgencyKind,
    Case,
    CaseAssignment,
    CaseStatus,
    CaseStatusChange,
    Channel,
    ConferenceKind,
    ConsentMethod,
    Referral,
    ReferralReport,
    Relationship,
)
from sasaeai.core.demo import CITIES, stable_unit
from sasaeai.core.fiscal import fiscal_year_bounds, fiscal_year_of
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.tenancy import tenant_context

CARE_CENTRE = "地域包括支援センター（デモ）"
AGENCIES = (
    (CARE_CENTRE, AgencyKind.COMMUNITY_CARE_CENTRE),
    ("基幹相談支援センター（デモ）", AgencyKind.DISABILITY_SUPPORT_CENTRE),
    ("ひきこもり支援相談窓口（デモ）", AgencyKind.HIKIKOMORI_SUPPORT),
    ("生活困窮者自立相談支援機関（デモ）", AgencyKind.SELF_RELIANCE_SUPPORT),
    ("子育て支援拠点（デモ）", AgencyKind.CHILD_REARING_SUPPORT),
)

# key → (name, kana, birth date, sex, flags)
PERSONS = {
    "haru": ("見本 ハル（デモ）", "ミホン ハル", datetime.date(1942, 6, 3), "female", []),
    "ichiro": ("見本 一郎（デモ）", "ミホン イチロウ", datetime.date(1973, 2, 14), "male", []),
    "shige": ("仮野 しげ（デモ）", "カリノ シゲ", datetime.date(1945, 9, 20), "female", ["lives_alone"]),
    "kenta": ("試田 健太（デモ）", "タメシダ ケンタ", datetime.date(2012, 5, 8), "male", []),
    "mayumi": ("試田 真由美（デモ）", "タメシダ マユミ", datetime.date(1980, 11, 30), "female", []),
    "tsutomu": ("例川 勉（デモ）", "レイカワ ツトム", datetime.date(1968, 4, 2), "male", ["lives_alone"]),
    "akane": ("仮名 あかね（デモ）", "カメイ アカネ", datetime.date(1990, 7, 7), "female", []),
    "yuto": ("模擬 悠斗（デモ）", "モギ ユウト", datetime.date(2001, 1, 19), "male", []),
    "maria": ("サンプル マリア（デモ）", "サンプル マリア", datetime.date(1985, 3, 25), "female", ["needs_interpreter"]),
    "fumi": ("見本 ふみ（デモ）", "ミホン フミ", datetime.date(1938, 12, 1), "female", ["lives_alone"]),
    "takeshi": ("試作 武（デモ）", "シサク タケシ", datetime.date(1962, 8, 16), "male", []),
    "naoko": ("試作 直子（デモ）", "シサク ナオコ", datetime.date(1995, 10, 4), "female", []),
    "goro": ("例田 五郎（デモ）", "レイダ ゴロウ", datetime.date(1979, 6, 21), "male", []),
    "sayaka": ("模範 さやか（デモ）", "モハン サヤカ", datetime.date(1993, 2, 2), "female", []),
    "kazuo": ("仮野 和夫（デモ）", "カリノ カズオ", datetime.date(1958, 5, 5), "male", []),
    "toshio": ("見本 敏夫（デモ）", "ミホン トシオ", datetime.date(1940, 3, 3), "male", ["older_only_household"]),
    "kimiko": ("見本 君子（デモ）", "ミホン キミコ", datetime.date(1943, 9, 9), "female", ["older_only_household"]),
    "rina": ("試験 里奈（デモ）", "シケン リナ", datetime.date(1999, 12, 24), "female", []),
    "hiroshi": ("例本 博（デモ）", "レイモト ヒロシ", datetime.date(1975, 10, 10), "male", []),
}  # fmt: skip


@dataclass(frozen=True)
class DemoCase:
    key: str
    title: str
    concerns: tuple[str, ...]
    persons: tuple[str, ...]
    lead: str  # "csw" or "council"
    target: str  # a CaseStatus, or "closed_early" (closed after assessment)
    urgency: str = "normal"
    outreach: bool = False
    channel: str = Channel.PHONE


CASES = (
    DemoCase("8050", "高齢の母と就労していない息子の世帯（デモ）", ("elderly", "8050", "hikikomori"), ("haru", "ichiro"), "csw", "support", "high", channel=Channel.COMMISSIONER),
    DemoCase("hoarding", "ごみの溜まった住まいでの一人暮らし（デモ）", ("hoarding", "isolation", "elderly"), ("shige",), "csw", "monitoring", outreach=True, channel=Channel.OUTREACH),
    DemoCase("carer", "家族の介護をしている中学生（デモ）", ("young_carer", "children"), ("kenta", "mayumi"), "council", "planning", "high", channel=Channel.AGENCY),
    DemoCase("rent", "家賃を滞納している単身者（デモ）", ("hardship", "housing", "debt"), ("tsutomu",), "csw", "closed", channel=Channel.COUNTER),
    DemoCase("dv", "配偶者からの暴力の相談（デモ）", ("dv",), ("akane",), "council", "support", "emergency"),
    DemoCase("withdrawn", "長期間外出していない若者（デモ）", ("hikikomori",), ("yuto",), "csw", "assessment", outreach=True, channel=Channel.VISIT),
    DemoCase("language", "日本語での手続きが難しい世帯（デモ）", ("foreign_national", "children"), ("maria",), "council", "closed", channel=Channel.COUNTER),
    DemoCase("memory", "物忘れが増えた一人暮らしの高齢者（デモ）", ("dementia", "elderly"), ("fumi",), "csw", "support"),
    DemoCase("future", "障害のある子の将来の相談（デモ）", ("disability",), ("takeshi", "naoko"), "council", "monitoring", "low", channel=Channel.COUNTER),
    DemoCase("release", "出所後の住まいと仕事の相談（デモ）", ("reoffending", "housing", "hardship"), ("goro",), "csw", "closed_early"),
    DemoCase("tired", "子育てに疲れている親（デモ）", ("children", "isolation"), ("sayaka",), "csw", "planning", channel=Channel.EMAIL),
    DemoCase("medical", "医療費の支払いに困っている世帯（デモ）", ("health", "hardship"), ("kazuo",), "council", "assessment", channel=Channel.COUNTER),
    DemoCase("couple", "近所付き合いが途絶えた高齢夫婦（デモ）", ("isolation", "elderly"), ("toshio", "kimiko"), "csw", "intake", outreach=True, channel=Channel.OUTREACH),
    DemoCase("crisis", "死にたいと話した相談者（デモ）", ("suicide_risk", "health"), ("rina",), "council", "support", "emergency"),
    DemoCase("debt", "多重債務の相談（デモ）", ("debt",), ("hiroshi",), "csw", "intake"),
)  # fmt: skip

STEPS = {
    CaseStatus.INTAKE: [],
    CaseStatus.ASSESSMENT: [CaseStatus.ASSESSMENT],
    CaseStatus.PLANNING: [CaseStatus.ASSESSMENT, CaseStatus.PLANNING],
    CaseStatus.SUPPORT: [CaseStatus.ASSESSMENT, CaseStatus.PLANNING, CaseStatus.SUPPORT],
    CaseStatus.MONITORING: [CaseStatus.ASSESSMENT, CaseStatus.PLANNING, CaseStatus.SUPPORT, CaseStatus.MONITORING],
    CaseStatus.CLOSED: [CaseStatus.ASSESSMENT, CaseStatus.PLANNING, CaseStatus.SUPPORT, CaseStatus.CLOSED],
    "closed_early": [CaseStatus.ASSESSMENT, CaseStatus.CLOSED],
}  # fmt: skip
# Oldest consultations become the cases furthest along.
MATURITY = {
    "closed": 0,
    "closed_early": 0,
    "monitoring": 1,
    "support": 2,
    "planning": 3,
    "assessment": 4,
    "intake": 5,
}

# Consultations answered on the spot (information given, no case): (channel, text, concerns).
ANSWERED = (
    (Channel.PHONE, "介護保険の申請方法を知りたい。（デモ）", ("elderly",)),
    (Channel.COUNTER, "近くの子ども食堂の場所を教えてほしい。（デモ）", ("children",)),
    (Channel.PHONE, "近所の高齢者の様子が気になる。（デモ）", ("elderly", "isolation")),
    (Channel.EMAIL, "障害福祉サービスの利用について知りたい。（デモ）", ("disability",)),
    (Channel.COUNTER, "生活費の貸付制度について聞きたい。（デモ）", ("hardship",)),
    (Channel.COMMISSIONER, "民生委員から：見守り先の方が入院した。（デモ）", ("elderly", "health")),
    (Channel.AGENCY, "地域包括支援センターから：家族の相談先について。（デモ）", ("elderly",)),
    (Channel.VISIT, "訪問先で住まいの修繕について相談を受けた。（デモ）", ("housing",)),
    (Channel.OUTREACH, "サロンでの出張相談で、外出の機会について話を聞いた。（デモ）", ("isolation",)),
    (Channel.PHONE, "ひきこもりの家族会について知りたい。（デモ）", ("hikikomori",)),
    (Channel.OTHER, "地域の行事で、認知症の家族への接し方を聞かれた。（デモ）", ("dementia",)),
)  # fmt: skip
ACTIVITY_TEXTS = {
    "interview": "（デモ）来所した本人と面談し、困りごとと希望を聞き取った。",
    "phone": "（デモ）本人に電話し、その後の様子を確認した。",
    "visit": "（デモ）自宅を訪問し、生活の状況を確認した。",
    "accompany": "（デモ）本人に同行し、窓口での手続きを支援した。",
    "record": "（デモ）関係機関から得た情報を記録した。",
}
CONSULTATION_COUNT = 40


def load_consultation(tenants: dict) -> None:
    for city in CITIES:
        tenant = tenants.get(city.code)
        if tenant is None:
            continue
        with tenant_context(tenant.pk):
            CityLoader(tenant, city).load()


def _actor(membership: Membership) -> Actor:
    return Actor(
        user_id=membership.user_id, username=membership.user.username, tenant_id=membership.tenant_id,
        membership_id=membership.pk, role=Role(membership.role), otp_verified=True,
    )  # fmt: skip


def _at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class CityLoader:
    def __init__(self, tenant, city):
        self.tenant, self.city = tenant, city
        members = {
            m.user.username.removeprefix(f"{city.prefix}-"): m
            for m in Membership.objects.filter(tenant=tenant).select_related("user")
        }
        self.actors = {
            key: _actor(members[key])
            for key in ("city", "council", "csw", "agency", "commissioner")
        }
        self.districts = list(
            Area.objects.filter(tenant=tenant, kind=AreaKind.DISTRICT).order_by("code")
        )
        self.today = timezone.localdate()
        self.yesterday = self.today - datetime.timedelta(days=1)
        self.persons, self.cases, self.agencies = {}, {}, {}

    def unit(self, *parts) -> float:
        return stable_unit(self.city.code, *parts)

    def pick(self, options, *parts):
        return options[int(self.unit(*parts) * len(options))]

    def load(self) -> None:
        services.concern_tags_ensure(self.tenant.pk)
        services.settings_for(self.tenant.pk)
        self._agencies()
        services.supervision_set(
            actor=self.actors["city"], supervisor_id=self.actors["council"].user_id,
            worker_ids=[self.actors["csw"].user_id],
        )  # fmt: skip
        self._persons()
        days = self._days()
        case_positions = [
            round(k * (CONSULTATION_COUNT - 2) / (len(CASES) - 1)) for k in range(len(CASES))
        ]
        by_maturity = sorted(CASES, key=lambda c: (MATURITY[c.target], CASES.index(c)))
        for demo_case, position in zip(by_maturity, case_positions, strict=True):
            self._case(demo_case, days[position])
        others = [d for i, d in enumerate(days) if i not in case_positions]
        for index, day in enumerate(others):
            self._caseless(index, day, queued=index >= len(others) - 4)
        self._referrals()
        self._conference()

    # ---- vocabularies and people -------------------------------------------------------------

    def _agencies(self) -> None:
        for name, kind in AGENCIES:
            members = [self.actors["agency"].user_id] if name == CARE_CENTRE else []
            self.agencies[name] = services.agency_save(
                actor=self.actors["city"], name=name, kind=kind, member_ids=members,
                phone=f"048-555-{1000 + len(self.agencies):04d}",
            )  # fmt: skip

    def _persons(self) -> None:
        for index, (key, (name, kana, birth, sex, flags)) in enumerate(PERSONS.items()):
            district = self.pick(self.districts, "district", key) if self.districts else None
            self.persons[key] = services.person_save(
                actor=self.actors["csw"],
                data=services.PersonInput(
                    name=name, name_kana=kana, birth_date=birth, sex=sex, flags=list(flags),
                    area_id=district.pk if district else None,
                    address=f"{self.city.name}{district.name.removesuffix('地区') if district else ''}"
                            f"{index + 1}-{index % 7 + 1}（デモ）",
                    phone=f"090-0000-{index:04d}", note="デモデータです。実在の人物ではありません。",
                ),
            )  # fmt: skip
        household = services.household_create(
            actor=self.actors["csw"], name="見本家（デモ）", address=self.persons["haru"].address,
            area_id=self.persons["haru"].area_id,
        )  # fmt: skip
        for key, relationship in (("haru", Relationship.HEAD), ("ichiro", Relationship.CHILD)):
            services.household_add_member(
                actor=self.actors["csw"],
                household=household,
                person=self.persons[key],
                relationship=relationship,
            )
        self.household = household

    def _days(self) -> list[datetime.date]:
        """Forty days from the start of last fiscal year to yesterday, oldest first."""
        start, _end = fiscal_year_bounds(fiscal_year_of(self.today) - 1)
        span = (self.yesterday - start).days
        return sorted(
            start + datetime.timedelta(days=int(self.unit("day", i) * span))
            for i in range(CONSULTATION_COUNT)
        )

    # ---- consultations and cases ---------------------------------------------------------------

    def _caseless(self, index: int, day: datetime.date, *, queued: bool) -> None:
        channel, text, concerns = ANSWERED[index % len(ANSWERED)]
        district = (
            self.pick(self.districts + [None], "caseless-district", index)
            if self.districts
            else None
        )
        receiver = self.pick(("csw", "csw", "council", "city"), "receiver", index)
        if queued and index == CONSULTATION_COUNT - len(CASES) - 1:
            receiver = "commissioner"  # passed on from the neighbourhood: lands in the desk's queue
        elif queued and index == CONSULTATION_COUNT - len(CASES) - 2:
            receiver = "agency"
        consultation = services.consultation_record(
            actor=self.actors[receiver],
            data=services.ConsultationInput(
                channel=channel, description=text, received_at=_at(day, 9 + index % 8, (index * 7) % 60),
                area_id=district.pk if district else None, concern_codes=list(concerns),
                caller_relation="本人" if self.unit("caller", index) < 0.6 else "家族",
            ),
        )  # fmt: skip
        if not queued:
            services.consultation_answer(actor=self.actors[self.pick(("csw", "council"), "answer", index)],
                                         consultation=consultation)  # fmt: skip

    def _case(self, demo: DemoCase, day: datetime.date) -> None:
        lead = self.actors[demo.lead]
        persons = [self.persons[key] for key in demo.persons]
        case = services.case_open(
            actor=lead, title=demo.title, persons=persons, concern_codes=list(demo.concerns),
            urgency=demo.urgency, is_outreach=demo.outreach, opened_on=day,
            household=self.household if demo.key == "8050" else None,
        )  # fmt: skip
        consultation = services.consultation_record(
            actor=lead,
            data=services.ConsultationInput(
                channel=demo.channel, description=f"{demo.title}についての相談。",
                received_at=_at(day, 9, 30), person_id=persons[0].pk, area_id=persons[0].area_id,
                concern_codes=list(demo.concerns), caller_relation="本人",
            ),
        )  # fmt: skip
        services.consultation_take_in(actor=lead, consultation=consultation, case=case)
        if demo.key == "dv":
            services.case_set_confidential(
                actor=lead,
                case=case,
                confidential=True,
                named_user_ids=[self.actors["city"].user_id],
            )
        self.cases[demo.key] = case
        end = self._walk(case, lead, demo, day)
        self._activities(case, lead, demo, day, end)
        if demo.target in (CaseStatus.PLANNING, CaseStatus.SUPPORT, CaseStatus.MONITORING):
            review = self.today + datetime.timedelta(
                days=int(self.unit("review", demo.key) * 40) - 5
            )
            services.goals_set(actor=lead, case=case, next_review_on=review, goals=[
                ("（デモ）相談できる相手や場所を持つ。", False),
                ("（デモ）生活のリズムを整える。", demo.target == CaseStatus.MONITORING),
            ])  # fmt: skip

    def _walk(
        self, case: Case, lead: Actor, demo: DemoCase, opened: datetime.date
    ) -> datetime.date:
        """Move the case along its path, then date each move between opening and its end."""
        steps = STEPS[demo.target]
        closes = bool(steps) and steps[-1] == CaseStatus.CLOSED
        if steps and steps[0] != CaseStatus.INTAKE:
            services.case_update(actor=lead, case=case, version=case.version,
                                 assessment="（デモ）本人と家族の状況、困りごと、強みを整理した。")  # fmt: skip
        for status in steps:
            note = "（デモ）目標を達成したため終結。" if status == CaseStatus.CLOSED else ""
            case = services.case_transition(
                actor=lead, case=case, to_status=status, version=case.version, note=note
            )
        span = max((self.yesterday - opened).days, 1)
        end = (
            opened + datetime.timedelta(days=int(span * (0.5 + 0.4 * self.unit("end", demo.key))))
            if closes
            else self.yesterday
        )
        changes = list(CaseStatusChange.objects.filter(case=case).order_by("changed_at", "pk"))
        for index, change in enumerate(changes):
            day = opened + datetime.timedelta(
                days=(end - opened).days * index // max(len(changes) - 1, 1)
            )
            CaseStatusChange.objects.filter(pk=change.pk).update(changed_at=_at(day, 11, index))
        CaseAssignment.objects.filter(case=case).update(started_at=_at(opened, 9))
        if closes:
            Case.objects.filter(pk=case.pk).update(closed_on=end)
        return end

    def _activities(
        self, case: Case, lead: Actor, demo: DemoCase, opened: datetime.date, end: datetime.date
    ) -> None:
        count = 2 + int(self.unit("activities", demo.key) * 4)
        kinds = ("interview", "phone", "visit", "accompany", "record")
        for index in range(count):
            day = opened + datetime.timedelta(days=(end - opened).days * index // max(count - 1, 1))
            kind = (
                "visit"
                if demo.outreach and index == 0
                else self.pick(kinds, "kind", demo.key, index)
            )
            services.activity_record(
                actor=lead, case=case, kind=kind, summary=ACTIVITY_TEXTS[kind],
                occurred_at=_at(day, 13 + index % 4, 15 * (index % 4)),
                minutes=15 * (1 + int(self.unit("minutes", demo.key, index) * 8)),
                is_outreach=demo.outreach and kind in ("visit", "interview"),
            )  # fmt: skip

    # ---- referrals and the meeting -------------------------------------------------------------

    def _referrals(self) -> None:
        csw, council, agency = self.actors["csw"], self.actors["council"], self.actors["agency"]
        haru, yuto = self.persons["haru"], self.persons["yuto"]
        sent = []
        for person, case_key, agency_name, request in (
            (
                haru,
                "8050",
                CARE_CENTRE,
                "（デモ）介護保険の申請と、母の生活状況の確認をお願いしたい。",
            ),
            (
                yuto,
                "withdrawn",
                "ひきこもり支援相談窓口（デモ）",
                "（デモ）本人との面談と居場所の紹介をお願いしたい。",
            ),
        ):
            target = self.agencies[agency_name]
            consent = services.consent_record(
                actor=csw, person=person, scope=f"（デモ）{agency_name}と支援に必要な情報を共有すること。",
                obtained_on=self.cases[case_key].opened_on + datetime.timedelta(days=3),
                method=ConsentMethod.WRITTEN, agency=target, covers_conferences=True,
            )  # fmt: skip
            sent.append(services.referral_send(
                actor=csw, case=self.cases[case_key], agency=target, request=request, person=person,
                shared_summary="（デモ）世帯の状況と、これまでの支援の経過。", consent=consent,
            ))  # fmt: skip
        sent.append(services.referral_send(
            actor=council, case=self.cases["medical"], agency=self.agencies["生活困窮者自立相談支援機関（デモ）"],
            request="（デモ）医療費と家計の相談について、制度の案内をお願いしたい。", shares_personal_data=False,
            shared_summary="（デモ）個人を特定する情報は含めていない。",
        ))  # fmt: skip
        accepted = services.referral_respond(
            actor=agency, referral=sent[0], move="accept", version=sent[0].version
        )
        services.referral_report(
            actor=agency, referral=accepted, body="（デモ）訪問して要介護認定の申請を受け付けた。"
        )
        for index, referral in enumerate(sent):
            case = referral.case
            when = _at(case.opened_on + datetime.timedelta(days=5 + index), 15)
            Referral.objects.filter(pk=referral.pk).update(
                sent_at=when,
                responded_at=when + datetime.timedelta(days=2)
                if referral.pk == accepted.pk
                else None,
            )
        ReferralReport.objects.filter(referral=accepted).update(
            reported_at=_at(accepted.case.opened_on + datetime.timedelta(days=20), 16)
        )

    def _conference(self) -> None:
        council, csw = self.actors["council"], self.actors["csw"]
        held = _at(self.today - datetime.timedelta(days=20), 14)
        services.conference_record(
            actor=council,
            data=services.ConferenceInput(
                kind=ConferenceKind.SUPPORT_MEETING, held_at=held, place="福祉の相談窓口 会議室（デモ）",
                case_ids=[self.cases["8050"].pk, self.cases["withdrawn"].pk],
                attendee_ids=[council.user_id, csw.user_id, self.actors["city"].user_id],
                agency_ids=[self.agencies[CARE_CENTRE].pk, self.agencies["ひきこもり支援相談窓口（デモ）"].pk],
                summary="（デモ）世帯全体の状況を共有し、役割分担を確認した。",
                decisions="（デモ）母の介護と息子の社会参加を並行して支援する。",
                confidentiality_confirmed=True,
                tasks=[
                    (self.cases["8050"].pk, services.TaskInput(
                        title="（デモ）要介護認定の結果を確認する", due_on=self.today - datetime.timedelta(days=3),
                        assignee_id=csw.user_id)),
                    (self.cases["8050"].pk, services.TaskInput(
                        title="（デモ）ケアマネジャーの選定を支援する", due_on=self.today + datetime.timedelta(days=10),
                        assignee_agency_id=self.agencies[CARE_CENTRE].pk)),
                    (self.cases["withdrawn"].pk, services.TaskInput(
                        title="（デモ）本人との面談日程を調整する", due_on=self.today + datetime.timedelta(days=4),
                        assignee_id=csw.user_id)),
                ],
            ),
        )  # fmt: skip
        services.task_create(
            actor=council, case=self.cases["crisis"],
            data=services.TaskInput(title="（デモ）医療機関との連絡を取る", due_on=self.today + datetime.timedelta(days=2),
                                    assignee_id=council.user_id),
        )  # fmt: skip
