"""Demo register for the three demo cities: entries imported from a made-up 介護 extract
through the real importer, mixed consent, a 自主防災組織 with `<city>-bousai` as custodian
and a 民児協 (names carry （デモ））."""

import datetime

from django.utils import timezone

from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.csvio import write_csv
from sasaeai.core.demo import CITIES, stable_unit
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.tenancy import tenant_context
from sasaeai.disaster import services
from sasaeai.disaster.models import (
    ConsentEvent,
    ConsentModel,
    ExtractKind,
    MemberDuty,
    OrganisationKind,
    RegisterEntry,
)

FAMILY = ("青木", "石井", "上野", "江藤", "大森", "加藤", "木村", "工藤", "小林", "佐藤",
          "清水", "鈴木", "高橋", "田中", "中村", "西川", "野口", "林", "藤田", "松本")  # fmt: skip
GIVEN = (("ハナ", "はな"), ("トメ", "とめ"), ("正一", "しょういち"), ("キヨ", "きよ"),
         ("武", "たけし"), ("フミ", "ふみ"), ("茂", "しげる"), ("よし子", "よしこ"))  # fmt: skip
KANA = {"青木": "あおき", "石井": "いしい", "上野": "うえの", "江藤": "えとう", "大森": "おおもり",
        "加藤": "かとう", "木村": "きむら", "工藤": "くどう", "小林": "こばやし", "佐藤": "さとう",
        "清水": "しみず", "鈴木": "すずき", "高橋": "たかはし", "田中": "たなか", "中村": "なかむら",
        "西川": "にしかわ", "野口": "のぐち", "林": "はやし", "藤田": "ふじた", "松本": "まつもと"}  # fmt: skip
SIZES = {"112089": 60}  # 所沢市; the other cities get 20
ORDINANCE = "所沢市避難行動要支援者名簿に関する条例（デモ）"


def load_register(tenants: dict) -> None:
    for city in CITIES:
        tenant = tenants.get(city.code)
        if tenant is None:
            continue
        actor = Actor(
            user_id=None, username="demo-loader", tenant_id=tenant.pk, membership_id=None,
            role=Role.MUNICIPAL_STAFF, otp_verified=True,
        )  # fmt: skip
        with tenant_context(tenant.pk):
            _load_city(actor, tenant, city)


def _extract(tenant, city, districts, size) -> bytes:
    rows = []
    for index in range(size):
        # The demo commissioner's district (the first) gets a third of the people.
        district = districts[0] if index % 3 == 0 else districts[index % len(districts)]
        family = FAMILY[index % len(FAMILY)]
        given, given_kana = GIVEN[index % len(GIVEN)]
        born = datetime.date(1930 + index % 15, 1 + index % 12, 1 + index % 27)
        place = district.name.removesuffix("地区")
        level = ("要介護3", "要介護4", "要介護5")[index % 3]
        rows.append([
            f"D{tenant.code}{index:05d}", f"{family} {given}", f"{KANA[family]} {given_kana}",
            born.isoformat(), "女" if index % 2 else "男", "",
            f"{city.name}{place}{1 + index % 5}-{1 + index % 20}-{1 + index % 9}",
            f"04-2900-{index:04d}", level,
        ])  # fmt: skip
    header = [
        "宛名番号",
        "氏名",
        "氏名カナ",
        "生年月日",
        "性別",
        "郵便番号",
        "住所",
        "電話番号",
        "要介護度",
    ]
    return write_csv(header, rows, encoding="cp932")


def _load_city(actor, tenant, city) -> None:
    districts = list(
        Area.objects.filter(tenant_id=tenant.pk, kind=AreaKind.DISTRICT).order_by("code")
    )
    if not districts:
        return
    size = SIZES.get(tenant.code, 20)
    if tenant.code in SIZES:
        services.settings_save(
            actor=actor, consent_model=ConsentModel.PRESUMED, presumed_after_days=30,
            ordinance_name=ORDINANCE,
        )  # fmt: skip
    data = _extract(tenant, city, districts, size)
    _checked, record = services.register_import_preview(
        actor=actor, kind=ExtractKind.CARE, file_name="介護抽出（デモ）.csv", data=data
    )
    if record is None:
        return
    services.register_import_apply(actor=actor, register_import=record)
    _consents(actor, tenant)
    _organisations(actor, tenant, districts)


def _consents(actor, tenant) -> None:
    today = timezone.localdate()
    for entry in RegisterEntry.objects.filter(tenant_id=tenant.pk).order_by("pk"):
        unit = stable_unit("register-consent", tenant.code, entry.resident_key)
        asked_on = today - datetime.timedelta(days=60 + int(unit * 60))
        if unit < 0.15:
            continue  # not asked yet
        services.consent_record(
            actor=actor, entry=entry, event=ConsentEvent.ASKED, on=asked_on, method="郵送",
            check_permission=False,
        )  # fmt: skip
        if unit < 0.3:
            continue  # no reply (presumed after 30 days in 所沢市)
        event = ConsentEvent.REFUSED if unit > 0.9 else ConsentEvent.GIVEN
        services.consent_record(
            actor=actor, entry=entry, event=event, on=asked_on + datetime.timedelta(days=10),
            method="同意書", check_permission=False,
        )  # fmt: skip


def _member(tenant, username):
    return (
        Membership.objects.active()
        .filter(tenant_id=tenant.pk, user__username=username)
        .values_list("user_id", flat=True)
        .first()
    )


def _organisations(actor, tenant, districts) -> None:
    prefix = next(c.prefix for c in CITIES if c.code == tenant.code)
    agreed = timezone.localdate() - datetime.timedelta(days=365)
    bousai = services.organisation_save(
        actor=actor, name=f"{districts[0].name.removesuffix('地区')}自主防災会（デモ）",
        kind=OrganisationKind.DISASTER_ORGANISATION, area_ids=[districts[0].pk],
        agreement_on=agreed, agreement_reference="防災協定第1号（デモ）",
        handling_rules="施錠できる場所に保管し、年度末に返却する。",
    )  # fmt: skip
    council = services.organisation_save(
        actor=actor, name=f"{tenant.name}民生委員・児童委員協議会（デモ）",
        kind=OrganisationKind.COMMISSIONERS, area_ids=[d.pk for d in districts],
        agreement_on=agreed, agreement_reference="防災協定第2号（デモ）",
    )  # fmt: skip
    for organisation, username, duty in (
        (bousai, f"{prefix}-bousai", MemberDuty.CUSTODIAN),
        (council, f"{prefix}-council", MemberDuty.VIEWER),
    ):
        user_id = _member(tenant, username)
        if user_id is not None:
            services.member_add(
                actor=actor, organisation=organisation, user_id=user_id, duty=duty, added_on=agreed
            )
