"""Demo welfare shelters and evacuation plans (order 27: after the register's demo, 26).

Shelters come from the demo directory's `welfare_shelter` places; a city whose directory has
none gets two shelters without a place (they show as "not in the directory"). Plans are
written for some of the listed entries that consented; one goes to `<city>-careplanner`.
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.demo import CITIES, stable_unit
from sasaeai.core.tenancy import tenant_context
from sasaeai.disaster import evacuation
from sasaeai.disaster.models import (
    ConsentStatus,
    DestinationKind,
    EntryStatus,
    PlanStatus,
    RegisterEntry,
    ShelterTarget,
)

SUPPORTERS = (("近隣 一郎", "隣人"), ("長女 花子", "長女"), ("自主防災会 班長", "自主防災組織"))
PLANS_PER_CITY = 12


def load_evacuation(tenants: dict) -> None:
    for city in CITIES:
        tenant = tenants.get(city.code)
        if tenant is None:
            continue
        actor = Actor(
            user_id=None, username="demo-loader", tenant_id=tenant.pk, membership_id=None,
            role=Role.MUNICIPAL_STAFF, otp_verified=True,
        )  # fmt: skip
        with tenant_context(tenant.pk):
            shelters = _shelters(actor, city)
            _plans(actor, city, shelters)


def _shelters(actor, city) -> list:
    today = timezone.localdate()
    places = list(evacuation.directory_places(actor.tenant_id).values())
    targets = [ShelterTarget.OLDER, ShelterTarget.PHYSICAL, ShelterTarget.MEDICAL]
    shelters = []
    for index, place in enumerate(places):
        shelters.append(
            evacuation.shelter_save(
                actor=actor,
                place_id=place.id,
                data={
                    "operator": f"社会福祉法人{city.name}福祉会（デモ）",
                    "agreement_on": today - datetime.timedelta(days=400 + 90 * index),
                    "capacity": 10 + 5 * index,
                    "targets": targets[: 1 + index % 3],
                    "accepts_direct": index % 2 == 0,
                },
            )  # fmt: skip
        )
    if not places:  # the demo directory has no 福祉避難所 in this city: shelters without a place
        for index, name in enumerate(("特別養護老人ホーム（デモ）", "障害者支援施設（デモ）")):
            shelters.append(
                evacuation.shelter_save(
                    actor=actor,
                    name=f"{city.name}{name}",
                    data={
                        "operator": "社会福祉法人（デモ）",
                        "capacity": 15,
                        "agreement_on": today - datetime.timedelta(days=500),
                        "targets": targets[:2],
                        "accepts_direct": index == 0,
                    },
                )  # fmt: skip
            )
    return shelters


def _planner_id(city) -> int | None:
    user = get_user_model().objects.filter(username=f"{city.prefix}-careplanner").first()
    return user.pk if user else None


def _plans(actor, city, shelters) -> None:
    entries = list(
        RegisterEntry.objects.filter(
            tenant_id=actor.tenant_id, status=EntryStatus.LISTED,
            consent_status=ConsentStatus.GIVEN, plan__isnull=True,
        ).order_by("resident_key")[:PLANS_PER_CITY]
    )  # fmt: skip
    direct = [s for s in shelters if s.accepts_direct]
    planner = _planner_id(city)
    today = timezone.localdate()
    for index, entry in enumerate(entries):
        plan = evacuation.plan_create(
            actor=actor, entry=entry, care_planner_id=planner if index < 3 else None
        )
        name, relation = SUPPORTERS[index % len(SUPPORTERS)]
        evacuation.supporter_add(
            actor=actor, plan=plan, name=name, relation=relation,
            phone=f"090-0000-{1000 + index:04d}", address=entry.address,
        )  # fmt: skip
        to_shelter = direct and index % 3 == 0
        agreed = stable_unit("plan", city.code, index) < 0.7
        evacuation.plan_update(
            actor=actor, plan=plan, version=plan.version,
            data={
                "status": PlanStatus.AGREED if agreed else PlanStatus.DRAFT,
                "consent_on": today - datetime.timedelta(days=7 * index) if agreed else None,
                "destination_kind": DestinationKind.WELFARE_SHELTER if to_shelter
                else DestinationKind.DESIGNATED,
                "shelter_id": direct[0].pk if to_shelter else None,
                "destination_name": "" if to_shelter else "市立小学校（指定避難所）",
                "route": "自宅前の市道を北へ、交差点を右折して約400m（車いす可）",
                "mobility": "車いすを使用" if index % 2 else "杖歩行、介助があれば歩ける",
                "medication": "降圧剤（朝・夕）",
            },
        )  # fmt: skip
