"""Demo watch list for the three demo cities: people in each city's first district (the demo
commissioner's), watched by the demo commissioner, the demo volunteer and neighbours, with a
few weeks of contacts and one person overdue (names carry （デモ））."""

import datetime

from django.utils import timezone

from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.accounts.selectors import district_area_ids
from sasaeai.core.demo import CITIES
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.tenancy import tenant_context
from sasaeai.watch import services
from sasaeai.watch.models import ContactKind, ContactResult, WatcherKind, WatchSource

# name, kana, reason, every (days), source, last contact (days ago), watcher
PEOPLE = (
    ("見守 一子（デモ）", "みまもり かずこ", "ひとり暮らし。膝が悪く外出が減っている。", 7,
     WatchSource.COMMISSIONER, 2, "commissioner"),
    ("見守 次郎（デモ）", "みまもり じろう", "妻を亡くしてから閉じこもりがち。", 7,
     WatchSource.CASE, 12, "commissioner"),  # overdue: seven days, last seen twelve days ago
    ("見守 三枝（デモ）", "みまもり さえ", "高齢の夫婦世帯。夫が認知症の疑い。", 14,
     WatchSource.REGISTER, 5, "volunteer"),
    ("見守 四郎（デモ）", "みまもり しろう", "退院後の見守り。", 3, WatchSource.STAFF, 1, "volunteer"),
    ("見守 五月（デモ）", "みまもり さつき", "ひとり暮らし。近所の方が毎朝様子を見ている。", 7,
     WatchSource.COMMISSIONER, 3, "neighbour"),
)  # fmt: skip


def _actor(membership: Membership, role: Role) -> Actor:
    return Actor(
        user_id=membership.user_id, username=membership.user.username,
        tenant_id=membership.tenant_id, membership_id=membership.pk, role=role,
        area_ids=district_area_ids(membership), otp_verified=True,
    )  # fmt: skip


def load_watch(tenants: dict) -> None:
    for city in CITIES:
        tenant = tenants.get(city.code)
        if tenant is None:
            continue
        with tenant_context(tenant.pk):
            _load_city(tenant, city)


def _load_city(tenant, city) -> None:
    members = {
        m.role: m
        for m in Membership.objects.filter(
            tenant=tenant,
            user__username__in=[f"{city.prefix}-{s}" for s in ("commissioner", "volunteer")],
        ).select_related("user")
    }
    commissioner_m = members.get(Role.WELFARE_COMMISSIONER)
    volunteer_m = members.get(Role.VOLUNTEER)
    district = Area.objects.filter(tenant=tenant, kind=AreaKind.DISTRICT).order_by("code").first()
    if commissioner_m is None or district is None:
        return
    commissioner = _actor(commissioner_m, Role.WELFARE_COMMISSIONER)
    today = timezone.localdate()
    for index, (name, kana, reason, every, source, last, who) in enumerate(PEOPLE):
        person = services.watched_person_save(
            actor=commissioner, name=name, name_kana=kana, reason=reason, frequency_days=every,
            address=f"{city.name}{district.name.removesuffix('地区')}{index + 1}-{index + 2}（デモ）",
            area=district, source=source,
            source_reference=100 + index if source in (WatchSource.CASE, WatchSource.REGISTER) else None,
            started_on=today - datetime.timedelta(days=42),
            contact_rules="午前中に訪問。返事がなければ緊急連絡先へ。",
            emergency_contact="長女（デモ） 090-0000-0000",
        )  # fmt: skip
        recorder = commissioner
        if who == "volunteer" and volunteer_m is not None:
            services.watcher_add(
                actor=commissioner, person=person, kind=WatcherKind.VOLUNTEER,
                user_id=volunteer_m.user_id, is_primary=True,
            )  # fmt: skip
            services.watcher_add(
                actor=commissioner, person=person, kind=WatcherKind.COMMISSIONER,
                user_id=commissioner_m.user_id,
            )  # fmt: skip
            recorder = _actor(volunteer_m, Role.VOLUNTEER)
        elif who == "neighbour":
            services.watcher_add(
                actor=commissioner, person=person, kind=WatcherKind.NEIGHBOUR,
                name="隣の佐藤さん（デモ）", is_primary=True,
            )  # fmt: skip
            services.watcher_add(
                actor=commissioner, person=person, kind=WatcherKind.COMMISSIONER,
                user_id=commissioner_m.user_id,
            )  # fmt: skip
        else:
            services.watcher_add(
                actor=commissioner, person=person, kind=WatcherKind.COMMISSIONER,
                user_id=commissioner_m.user_id, is_primary=True,
            )  # fmt: skip
        _contacts(recorder, person, every, last, today)


def _contacts(actor, person, every, last, today) -> None:
    """Contacts every `every` days over six weeks, the latest `last` days ago."""
    days_ago = last + every * 5
    turn = 0
    while days_ago >= last:
        result = ContactResult.OK
        if turn == 2:
            result = ContactResult.ABSENT
        services.contact_record(
            actor=actor, person=person, result=result,
            kind=ContactKind.PHONE if turn == 3 else ContactKind.VISIT,
            occurred_on=today - datetime.timedelta(days=days_ago),
            note="変わりなし。" if result == ContactResult.OK else "",
        )  # fmt: skip
        days_ago -= every
        turn += 1
