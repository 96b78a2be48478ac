"""The scene the disaster-mode tests share (no tests here): tenant A's register with people
in three districts, a recipient organisation for 桶川地区 with the evacuation helper named on
it, and a declaration by the system admin. Built with the ORM (the register's own services
belong to another part of the app) except the declaration, which is the service under test."""

import datetime

from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.disaster import emergency
from sasaeai.disaster.models import (
    ConsentStatus,
    HelperOrganisation,
    MemberDuty,
    OrganisationKind,
    RecipientMember,
    RegisterEntry,
)

TODAY = datetime.date(2026, 4, 1)


def make_entry(tenant, area, key, name, *, consent=ConsentStatus.NOT_ASKED, phone="090-0000-0000"):
    return RegisterEntry.objects.create(
        tenant=tenant, resident_key=key, name=name, name_kana=name, address=f"{name}の住所",
        area=area, phone=phone, reasons=["older_alone"], listed_on=TODAY, consent_status=consent,
    )  # fmt: skip


def make_organisation(world, areas, member_user=None, name="桶川自主防災会"):
    organisation = HelperOrganisation.objects.create(
        tenant=world.tenant_a, name=name, kind=OrganisationKind.DISASTER_ORGANISATION,
        agreement_on=timezone.localdate() - datetime.timedelta(days=30),
    )  # fmt: skip
    organisation.areas.set(areas)
    covered = set()
    for area in areas:
        covered |= emergency.area_subtrees(world.tenant_a.pk, [area.pk])[area.pk]
    organisation.covered_areas.set(covered)
    if member_user is not None:
        RecipientMember.objects.create(
            tenant=world.tenant_a, organisation=organisation, user=member_user,
            duty=MemberDuty.VIEWER, added_on=timezone.localdate(),
        )  # fmt: skip
    return organisation


class Scene:
    def __init__(self, world):
        self.world = world
        a = world.tenant_a
        self.unconsented = make_entry(a, world.district, "A-001", "同意なし一郎")
        self.consented = make_entry(
            a, world.sub_district, "A-002", "同意あり花子", consent=ConsentStatus.GIVEN
        )
        self.elsewhere = make_entry(a, world.other_district, "A-003", "加納三郎")
        self.other_tenant = make_entry(world.tenant_b, world.area_b, "B-001", "並木四郎")
        self.organisation = make_organisation(
            world, [world.district], world.user(Role.EVACUATION_HELPER)
        )

    def declare(self, areas=None, recipients=None, includes_commissioners=True):
        world = self.world
        return emergency.declaration_declare(
            actor=world.actor(Role.SYSTEM_ADMIN), reason="台風による浸水",
            area_ids=[a.pk for a in (areas or [world.district])],
            recipient_ids=[o.pk for o in (recipients if recipients is not None
                                           else [self.organisation])],
            includes_commissioners=includes_commissioners,
        )  # fmt: skip
