"""Partners, reports and maps for the tests of w3partners."""

from datetime import date

from sasaeai.accounts.models import Role
from sasaeai.watch import partners
from sasaeai.watch.models import PartnerKind, WatchedPerson


def make_partner(world, *, name="桶川新聞販売店", ends_on=None, active=True):
    actor = world.actor(Role.MUNICIPAL_STAFF)
    return partners.partner_save(
        actor=actor, name=name, kind=PartnerKind.NEWSPAPER, agreement_on=date(2024, 4, 1),
        agreement_ends_on=ends_on, contact_name="担当 太郎", is_active=active,
    )  # fmt: skip


def issue_key(world, partner) -> str:
    return partners.partner_key_issue(actor=world.actor(Role.MUNICIPAL_STAFF), partner=partner)


def make_report(world, partner, *, urgent=False, area=None, text="新聞がたまっている"):
    actor = partners.partner_actor(partner, "10.0.0.1")
    report = partners.report_receive(
        actor=actor, partner=partner, description=text, address="桶川市南1-2-3",
        subject_name="見守 花子", is_urgent=urgent,
    )  # fmt: skip
    if area is not None:
        report.area = area
        report.save(update_fields=["area"])
    return report


def make_watched(world, *, name="見守 花子", area=None, tenant=None):
    return WatchedPerson.objects.create(
        tenant=tenant or world.tenant_a, name=name, name_kana="みまもり はなこ",
        address="桶川市南1-2-3", area=area or world.district, reason="一人暮らし",
        started_on=date(2025, 4, 1),
    )  # fmt: skip
