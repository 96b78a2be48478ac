"""Demo data: the seed municipalities as tenants, their areas, one user per role.

Area boundaries are illustrative rectangles around each city's real position, not survey
data; the names are real districts of each city.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.accounts import services as account_services
from sasaeai.accounts.models import Membership, Organisation, Role, User
from sasaeai.accounts.policy import Actor
from sasaeai.core import services
from sasaeai.core.models import Area, AreaKind, Tenant

DEMO_PASSWORD = "sasaeai-demo-2026"  # noqa: S105 - printed to every demo user on purpose
SYSTEM = Actor(user_id=None, username="demo-loader", tenant_id=None, membership_id=None, role=None)


@dataclass(frozen=True)
class DemoCity:
    prefix: str
    code: str
    name: str
    name_kana: str
    council: str
    lat: float
    lon: float
    districts: tuple[tuple[str, str], ...]


CITIES = (
    DemoCity(
        "okegawa", "112097", "桶川市", "おけがわし", "桶川市社会福祉協議会", 36.0000, 139.5580,
        (("桶川", "おけがわ"), ("加納", "かのう"), ("川田谷", "かわたや")),
    ),
    DemoCity(
        "tokorozawa", "112089", "所沢市", "ところざわし", "所沢市社会福祉協議会", 35.7990, 139.4690,
        (
            ("並木", "なみき"), ("所沢", "ところざわ"), ("吾妻", "あづま"), ("新所沢", "しんところざわ"),
            ("松井", "まつい"), ("山口", "やまぐち"), ("小手指", "こてさし"), ("富岡", "とみおか"),
            ("三ケ島", "みかじま"), ("柳瀬", "やなせ"), ("新所沢東", "しんところざわひがし"),
        ),
    ),
    DemoCity(
        "konosu", "112178", "鴻巣市", "こうのすし", "鴻巣市社会福祉協議会", 36.0660, 139.5220,
        (("鴻巣", "こうのす"), ("吹上", "ふきあげ"), ("川里", "かわさと")),
    ),
)  # fmt: skip

ROLE_USERS = (
    ("admin", Role.SYSTEM_ADMIN, Organisation.MUNICIPALITY, "情報政策課", "管理 花子"),
    ("city", Role.MUNICIPAL_STAFF, Organisation.MUNICIPALITY, "福祉総務課", "市役 一郎"),
    ("council", Role.WELFARE_COUNCIL_STAFF, Organisation.WELFARE_COUNCIL, "地域福祉課", "社協 二郎"),
    ("csw", Role.COMMUNITY_SOCIAL_WORKER, Organisation.WELFARE_COUNCIL, "CSW", "相談 三恵"),
    ("coordinator", Role.VOLUNTEER_COORDINATOR, Organisation.WELFARE_COUNCIL, "ボランティアセンター", "担手 四郎"),
    ("commissioner", Role.WELFARE_COMMISSIONER, Organisation.OTHER, "", "民生 五月"),
    ("committee", Role.PLAN_COMMITTEE_MEMBER, Organisation.OTHER, "推進委員会", "委員 六郎"),
    ("volunteer", Role.VOLUNTEER, Organisation.OTHER, "", "奉仕 七海"),
    ("resident", Role.RESIDENT, Organisation.OTHER, "", "住民 八重"),
    ("agency", Role.AGENCY_WORKER, Organisation.OTHER, "地域包括支援センター", "包括 九美"),
    ("careplanner", Role.CARE_PLANNER, Organisation.OTHER, "居宅介護支援事業所", "介護 十和"),
    ("bousai", Role.EVACUATION_HELPER, Organisation.OTHER, "自主防災組織", "防災 十一"),
)  # fmt: skip


def demo_totp_key(username: str) -> str:
    """A fixed key per demo user, so the demo's two-factor codes can be printed on demand."""
    return hashlib.sha1(f"sasaeai-demo-totp:{username}".encode(), usedforsecurity=False).hexdigest()


def stable_unit(*parts: object) -> float:
    """A stable number in [0, 1) from its inputs, so the demo looks the same on every machine."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _square(lat: float, lon: float, half: float) -> dict:
    ring = [
        [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
        [lon - half, lat + half], [lon - half, lat - half],
    ]  # fmt: skip
    return {"type": "Polygon", "coordinates": [ring]}


def _load_areas(tenant: Tenant, city: DemoCity) -> list[Area]:
    size = 0.02
    districts = []
    columns = 4
    for index, (name, kana) in enumerate(city.districts):
        lat = city.lat + (index // columns - 0.5) * size * 2
        lon = city.lon + (index % columns - 1.5) * size * 2
        district = services.area_create(
            actor=SYSTEM, tenant_id=tenant.pk, kind=AreaKind.DISTRICT, name=f"{name}地区",
            name_kana=f"{kana}ちく", code=f"D{index + 1:02d}", boundary=_square(lat, lon, size),
        )  # fmt: skip
        districts.append(district)
        for number in (1, 2):
            services.area_create(
                actor=SYSTEM, tenant_id=tenant.pk, kind=AreaKind.COMMISSIONER_DISTRICT,
                name=f"{name}第{number}区", name_kana=f"{kana}だい{number}く",
                code=f"C{index + 1:02d}{number}", parent_id=district.pk,
                boundary=_square(lat, lon - size / 2 + (number - 1) * size, size / 2),
            )  # fmt: skip
    for label, kana, members in (
        ("東部圏域", "とうぶけんいき", 0),
        ("西部圏域", "せいぶけんいき", 1),
    ):
        services.area_create(
            actor=SYSTEM, tenant_id=tenant.pk, kind=AreaKind.DAILY_LIFE_AREA, name=label,
            name_kana=kana, code=f"L{members + 1}",
        )  # fmt: skip
    return districts


def _create_user(tenant: Tenant, city: DemoCity, suffix, role, organisation, department, name):
    username = f"{city.prefix}-{suffix}"
    membership = account_services.member_create(
        actor=SYSTEM, tenant=tenant, username=username, password=DEMO_PASSWORD, role=role,
        display_name=name, organisation=organisation, department=department,
    )  # fmt: skip
    TOTPDevice.objects.create(
        user=membership.user, name="demo", confirmed=True, key=demo_totp_key(username)
    )
    return membership


# Modules add their demo data here from AppConfig.ready(): loader(tenant_by_code) runs after
# the tenants and users exist, inside the same transaction, lowest `order` first (modules
# that publish metrics load before the plans that read them).
_module_loaders: list[tuple[int, Callable[[dict[str, Tenant]], None]]] = []


def register_demo_loader(loader: Callable[[dict[str, Tenant]], None], *, order: int = 50) -> None:
    if all(existing is not loader for _order, existing in _module_loaders):
        _module_loaders.append((order, loader))
        _module_loaders.sort(key=lambda entry: entry[0])


@transaction.atomic
def load_demo() -> list[tuple[str, str, str]]:
    """Create the demo tenants and users; returns (username, tenant, role) for printing."""
    logins = []
    tenants = []
    for city in CITIES:
        tenant = Tenant.objects.create(
            code=city.code, name=city.name, name_kana=city.name_kana, prefecture="埼玉県",
            welfare_council_name=city.council,
        )  # fmt: skip
        tenants.append(tenant)
        districts = _load_areas(tenant, city)
        for suffix, role, organisation, department, name in ROLE_USERS:
            membership = _create_user(tenant, city, suffix, role, organisation, department, name)
            if role == Role.WELFARE_COMMISSIONER:
                account_services.membership_set_areas(
                    actor=SYSTEM, membership=membership, area_ids=[districts[0].pk]
                )
            logins.append((membership.user.username, city.name, str(membership.get_role_display())))
    officer = account_services.member_create(
        actor=SYSTEM, tenant=tenants[0], username="saitama-officer", password=DEMO_PASSWORD,
        role=Role.MUNICIPAL_STAFF, display_name="県庁 九郎", department="埼玉県福祉部",
    )  # fmt: skip
    TOTPDevice.objects.create(
        user=officer.user, name="demo", confirmed=True, key=demo_totp_key("saitama-officer")
    )
    for tenant in tenants[1:]:
        account_services.membership_add(
            actor=SYSTEM, user=officer.user, tenant=tenant, role=Role.MUNICIPAL_STAFF
        )
    logins.append(("saitama-officer", "桶川市・所沢市・鴻巣市", str(officer.get_role_display())))
    for _order, loader in _module_loaders:
        loader({tenant.code: tenant for tenant in tenants})
    return logins


def demo_loaded() -> bool:
    return Tenant.objects.filter(code=CITIES[0].code).exists()


__all__ = ["DEMO_PASSWORD", "load_demo", "demo_loaded", "demo_totp_key", "Membership", "User"]
