"""Demo resources: gathering places, children's cafeterias, desks and shelters in each demo
city's districts, with the hours such places keep. Names carry （デモ）; nothing is real."""

from datetime import timedelta

from django.utils import timezone

from sasaeai.accounts.policy import Actor
from sasaeai.core import services as core_services
from sasaeai.core.demo import CITIES, stable_unit
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.tenancy import tenant_context
from sasaeai.resources.categories import ensure_default_categories
from sasaeai.resources.models import Service
from sasaeai.resources.services import ServiceInput, write_service

# (category, name pattern, kana pattern, hours, audiences, free)
KINDS = (
    ("salon", "ふれあいいきいきサロン{d}", "ふれあいいきいきさろん{k}", "毎月第2・第4水曜日 10:00～12:00", ("elderly",), True),
    ("gathering_place", "{d}いきいき百歳体操", "{k}いきいきひゃくさいたいそう", "毎週火曜日 10:00～11:30", ("elderly",), True),
    ("children_cafeteria", "{d}こども食堂", "{k}こどもしょくどう", "毎月第3土曜日 11:00～14:00", ("children",), False),
    ("children_cafeteria", "子ども食堂{d}ひだまり", "こどもしょくどう{k}ひだまり", "毎月第1・第3日曜日 12:00～14:00", ("children",), False),
    ("study_support", "学習支援教室{d}", "がくしゅうしえんきょうしつ{k}", "毎週水曜日 17:00～19:00", ("children",), True),
    ("dementia_cafe", "オレンジカフェ{d}", "おれんじかふぇ{k}", "毎月最終金曜日 13:30～15:30", ("elderly",), False),
    ("consultation", "福祉の相談窓口（{d}）", "ふくしのそうだんまどぐち{k}", "月～金 8:30～17:15", ("everyone",), True),
    ("community_care_center", "{d}地域包括支援センター", "{k}ちいきほうかつしえんせんたー", "月～土 8:30～17:15", ("elderly",), True),
    ("child_rearing_hub", "子育て支援センター{d}", "こそだてしえんせんたー{k}", "月～金 9:00～16:00", ("children",), True),
    ("welfare_shelter", "{d}福祉避難所", "{k}ふくしひなんじょ", "", ("elderly", "disability"), True),
)  # fmt: skip
SYSTEM = Actor(user_id=None, username="demo-loader", tenant_id=None, membership_id=None, role=None)


def load_resources(tenants: dict) -> None:
    for city in CITIES:
        tenant = tenants.get(city.code)
        if tenant is None:
            continue
        actor = Actor(user_id=None, username="demo-loader", tenant_id=tenant.pk,
                      membership_id=None, role=None)  # fmt: skip
        with tenant_context(tenant.pk):
            _load_city(actor, tenant, city)


def _load_city(actor: Actor, tenant, city) -> None:
    terms = ensure_default_categories(tenant.pk)
    districts = list(
        Area.objects.filter(tenant_id=tenant.pk, kind=AreaKind.DISTRICT).order_by("code")
    )
    for district, (name, kana) in zip(districts, city.districts, strict=False):
        # One demo junior high school district per district, so school-district metrics work.
        core_services.area_create(
            actor=actor, tenant_id=tenant.pk, kind=AreaKind.JUNIOR_HIGH_SCHOOL_DISTRICT,
            name=f"{name}中学校区（デモ）", name_kana=f"{kana}ちゅうがっこうく",
            boundary=district.boundary,
        )  # fmt: skip
    now = timezone.now()
    for index, (district, (name, kana)) in enumerate(zip(districts, city.districts, strict=False)):
        lat, lon = district.centroid_lat, district.centroid_lon
        for number, (code, pattern, kana_pattern, hours, audiences, free) in enumerate(KINDS):
            if stable_unit(city.code, index, number) < 0.35 and code not in (
                "consultation",
                "salon",
            ):
                continue  # not every district has everything
            service = write_service(
                actor=actor,
                data=ServiceInput(
                    name=pattern.format(d=name) + "（デモ）",
                    alternate_name=kana_pattern.format(k=kana),
                    description="デモデータです。実在の場所ではありません。",
                    categories=(terms[code],),
                    audiences=audiences,
                    is_free=free,
                    fees_description="" if free else "1回 100円（子どもは無料）",
                    phone=f"04-{2900 + index:04d}-{1000 + number * 37:04d}",
                    address=f"{tenant.prefecture}{city.name}{name}{index + 1}-{number + 1}-{(index * 7 + number) % 20 + 1}",
                    latitude=round(
                        lat + (stable_unit("lat", city.code, index, number) - 0.5) * 0.03, 6
                    ),
                    longitude=round(
                        lon + (stable_unit("lon", city.code, index, number) - 0.5) * 0.03, 6
                    ),
                    transportation=f"{name}バス停から徒歩{number % 9 + 2}分",
                    step_free=stable_unit("step", city.code, index, number) < 0.6,
                    accessible_toilet=stable_unit("toilet", city.code, index, number) < 0.4,
                    parking=stable_unit("parking", city.code, index, number) < 0.5,
                    schedule_text=hours,
                ),
            )
            age = stable_unit("confirmed", city.code, index, number)
            if age < 0.8:
                days = int(age * 500)  # some over a year ago, for the freshness list
                Service.objects.filter(pk=service.pk).update(
                    last_confirmed_at=now - timedelta(days=days)
                )
