"""Build register records for tests through the real services (importer included)."""

import datetime

from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.csvio import write_csv
from sasaeai.disaster import services
from sasaeai.disaster.models import ConsentEvent, ExtractKind, MemberDuty, OrganisationKind

CARE_HEADER = ["宛名番号", "氏名", "氏名カナ", "生年月日", "性別", "住所", "電話番号", "要介護度"]


def staff(world, tenant=None) -> Actor:
    """The city's register keeper (municipal staff) of tenant A, or of `tenant`."""
    if tenant is None:
        return world.actor(Role.MUNICIPAL_STAFF)
    return Actor(user_id=None, username="fixture", tenant_id=tenant.pk, membership_id=None,
                 role=Role.MUNICIPAL_STAFF, otp_verified=True)  # fmt: skip


def care_csv(rows, encoding="utf-8-sig") -> bytes:
    """rows: (key, name, address, level) or longer tuples in CARE_HEADER order."""
    full = []
    for row in rows:
        key, name, address, level = row[:4]
        full.append([key, name, "", "1940-04-01", "女", address, "048-000-0000", level])
    return write_csv(CARE_HEADER, full, encoding=encoding)


def import_and_apply(actor, data: bytes, kind=ExtractKind.CARE):
    checked, record = services.register_import_preview(
        actor=actor, kind=kind, file_name="test.csv", data=data
    )
    assert record is not None, checked.errors
    services.register_import_apply(actor=actor, register_import=record)
    return checked, record


def make_entries(world, people, tenant=None):
    """people: (key, name, address) tuples, listed by care level 要介護4. Returns entries."""
    from sasaeai.disaster.models import RegisterEntry

    actor = staff(world, tenant)
    rows = [(key, name, address, "要介護4") for key, name, address in people]
    import_and_apply(actor, care_csv(rows))
    keys = [p[0] for p in people]
    found = {e.resident_key: e for e in RegisterEntry.objects.filter(resident_key__in=keys)}
    return [found[k] for k in keys]


def make_entry(world, key="K1", name="山田 トメ", address="桶川市桶川1-2-3"):
    return make_entries(world, [(key, name, address)])[0]


def consent(world, entry, event=ConsentEvent.GIVEN, days_ago=0, actor=None):
    on = timezone.localdate() - datetime.timedelta(days=days_ago)
    return services.consent_record(
        actor=actor or staff(world), entry=entry, event=event, on=on, method="同意書"
    )


def make_organisation(world, *, areas=None, members=(), agreement_days_ago=30, **fields):
    """An organisation under an agreement in force, covering tenant A's 桶川地区 by default,
    with `members` (roles of the world) named as viewers."""
    actor = staff(world)
    organisation = services.organisation_save(
        actor=actor, name=fields.pop("name", "桶川自主防災会"),
        kind=fields.pop("kind", OrganisationKind.DISASTER_ORGANISATION),
        area_ids=[a.pk for a in (areas or [world.district])],
        agreement_on=timezone.localdate() - datetime.timedelta(days=agreement_days_ago),
        **fields,
    )  # fmt: skip
    for role in members:
        services.member_add(
            actor=actor, organisation=organisation, user_id=world.user(role).pk,
            duty=MemberDuty.VIEWER,
        )  # fmt: skip
    return organisation
