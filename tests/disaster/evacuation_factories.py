"""Register entries, plans and shelters for the evacuation tests, straight through the ORM
(the register's own services belong to another part of the disaster app)."""

import datetime
import itertools

from sasaeai.disaster.models import (
    ConsentStatus,
    EntryStatus,
    EvacuationPlan,
    PlanStatus,
    PlanSupporter,
    RegisterEntry,
    WelfareShelter,
)

_keys = itertools.count(1)


def make_entry(
    tenant, area, name="ZQ#A山田 太郎", *, consent=ConsentStatus.GIVEN, status=EntryStatus.LISTED
):
    key = next(_keys)
    return RegisterEntry.objects.create(
        tenant=tenant, resident_key=f"R{key:06d}", name=name, name_kana="やまだ たろう",
        address=f"埼玉県桶川市若宮{key}-1", area=area, phone="048-000-0000",
        reasons=["care_level"], reason_note="要介護4", listed_on=datetime.date(2024, 4, 1),
        consent_status=consent, status=status,
        birth_date=datetime.date(1940, 5, 1), sex="男",
    )  # fmt: skip


def make_plan(entry, *, care_planner=None, status=PlanStatus.DRAFT, consent_on=None, supporters=0):
    plan = EvacuationPlan.objects.create(
        tenant_id=entry.tenant_id, entry=entry, care_planner=care_planner, status=status,
        consent_on=consent_on,
    )  # fmt: skip
    for index in range(supporters):
        PlanSupporter.objects.create(
            tenant_id=entry.tenant_id, plan=plan, name=f"ZQ#A支援者{index + 1}",
            phone="090-1111-2222", order=index + 1,
        )  # fmt: skip
    return plan


def make_shelter(tenant, name="ZQ#A福祉避難所", *, capacity=2, accepts_direct=True, **kw):
    return WelfareShelter.objects.create(
        tenant=tenant, name=name, capacity=capacity, accepts_direct=accepts_direct, **kw
    )
