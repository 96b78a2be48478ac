"""Demo helpers, registries and requests for the three demo cities (names carry （デモ））."""

from datetime import date, time, timedelta

from django.utils import timezone

from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.demo import CITIES, stable_unit
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.tenancy import tenant_context
from sasaeai.volunteers import services
from sasaeai.volunteers.models import Helper, HelpRequest

# key, name: 所沢市's plan counts these registries (plans/demo.py METRIC_BINDINGS).
REGISTRIES = (
    ("community_welfare_supporter", "地域福祉サポーター"),
    ("talent_bank", "生涯学習ボランティア人材バンク"),
    ("station_volunteer", "駅ボランティア"),
    ("disaster_vc_staff", "災害ボランティアセンター市民スタッフ"),
    ("fsc_provider", "ファミリー・サポート・センター提供会員"),
)
SKILLS = (
    ("shopping", "買い物支援"),
    ("housework", "家事援助"),
    ("garden", "庭の手入れ"),
    ("escort", "通院付き添い"),
    ("childcare", "子どもの預かり"),
    ("talk", "話し相手"),
)
FAMILY = ("青木", "石井", "上野", "江藤", "大森", "加藤", "木村", "工藤", "小林", "佐藤",
          "清水", "鈴木", "高橋", "田中", "中村", "西川", "野口", "林", "藤田", "松本")  # fmt: skip
GIVEN = ("和子", "洋子", "健一", "誠", "直美", "恵子", "隆", "由美", "博", "幸子")
REQUESTS = (
    ("買い物支援（デモ）", "shopping", False, None),
    ("庭の草取り（デモ）", "garden", False, None),
    ("通院の付き添い（デモ）", "escort", False, None),
    ("子どもの預かり（デモ）", "childcare", True, 800),
    ("話し相手（デモ）", "talk", False, None),
)


def load_volunteers(tenants: dict) -> None:
    for city in CITIES:
        tenant = tenants.get(city.code)
        if tenant is None:
            continue
        actor = Actor(
            user_id=None, username="demo-loader", tenant_id=tenant.pk, membership_id=None,
            role=Role.VOLUNTEER_COORDINATOR, otp_verified=True,
        )  # fmt: skip
        with tenant_context(tenant.pk):
            _load_city(actor, tenant, city)


def _load_city(actor, tenant, city) -> None:
    today = timezone.localdate()
    fiscal_year = fiscal_year_of(today)
    registries = [
        services.registry_save(actor=actor, key=key, name=name, order=index * 10)
        for index, (key, name) in enumerate(REGISTRIES)
    ]
    skills = [services.skill_save(actor=actor, key=key, name=name) for key, name in SKILLS]
    districts = list(Area.objects.filter(tenant=tenant, kind=AreaKind.DISTRICT).order_by("code"))
    volunteer_login = (
        Membership.objects.filter(tenant=tenant, role=Role.VOLUNTEER)
        .values_list("user_id", flat=True)
        .first()
    )
    helpers = []
    count = 40 if city.code == "112089" else 16
    for index in range(count):
        unit = stable_unit(city.code, "helper", index)
        district = districts[index % len(districts)]
        lat = city.lat + (stable_unit(city.code, "lat", index) - 0.5) * 0.08
        lon = city.lon + (stable_unit(city.code, "lon", index) - 0.5) * 0.08
        name = f"{FAMILY[index % len(FAMILY)]} {GIVEN[(index * 7) % len(GIVEN)]}（デモ）"
        helper = services.helper_save(
            actor=actor, name=name, area=district, latitude=round(lat, 5),
            longitude=round(lon, 5), consent_to_contact=True,
            registered_on=today - timedelta(days=int(unit * 1500)),
            skill_ids=[skills[index % len(skills)].pk, skills[(index * 3 + 1) % len(skills)].pk,
                       *([s.pk for s in skills] if index == 0 else [])],
            user_id=volunteer_login if index == 0 else None,
        )  # fmt: skip
        Helper.objects.filter(pk=helper.pk).update(is_demo=True)
        slots = [(index % 5, time(9), time(12)), ((index + 2) % 5, time(13), time(17))]
        if index == 0:
            # The demo volunteer's own record: every day 9–18, so that a request at a weekend
            # (when no other demo helper is free) is proposed to them.
            slots = [(day, time(9), time(18)) for day in range(7)]
        services.availability_set(actor=actor, helper=helper, slots=slots)
        if unit < 0.85 or index == 0:
            services.insurance_record(
                actor=actor, helper=helper, fiscal_year=fiscal_year, plan="basic",
                enrolled_on=date(fiscal_year, 4, 1),
            )  # fmt: skip
        for offset, registry in enumerate(registries):
            if stable_unit(city.code, "registry", index, offset) < 0.35:
                joined = today - timedelta(days=int(stable_unit(city.code, index, offset) * 900))
                services.registration_add(
                    actor=actor, helper=helper, registry=registry, joined_on=joined
                )
        helpers.append(helper)
    services.group_save(
        actor=actor, name=f"{city.name}傾聴ボランティアの会（デモ）", representative="代表（デモ）",
        member_ids=[h.pk for h in helpers[:5]],
    )  # fmt: skip
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    for index, (title, skill_key, is_fsc, fee) in enumerate(REQUESTS):
        district = districts[index % len(districts)]
        starts_at = start + timedelta(days=3 + index)
        request = services.request_create(
            actor=actor,
            data=services.RequestInput(
                title=title, requester_name=f"依頼者{index + 1}（デモ）",
                starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                address=f"{district.name}内", area_id=district.pk,
                latitude=round(city.lat + 0.01 * (index - 2), 5),
                longitude=round(city.lon - 0.01 * (index - 2), 5),
                is_fsc=is_fsc, fee_per_hour=fee,
                skill_ids=tuple(s.pk for s in skills if s.key == skill_key),
            ),
        )  # fmt: skip
        HelpRequest.objects.filter(pk=request.pk).update(is_demo=True)
