"""Recipients: covered areas (areas and all beneath), agreements in force, named members,
the share page (counts only), copies handed over, returned or destroyed, overdue."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core import services as core_services
from sasaeai.core.models import AreaKind
from sasaeai.disaster import rules, selectors, services
from sasaeai.disaster.models import ConsentEvent, RegisterCopy
from tests.conftest import SYSTEM
from tests.disaster.register_factories import consent, make_entries, make_organisation, staff

HELPER = Role.EVACUATION_HELPER


def _visible(world, role=HELPER):
    from sasaeai.disaster.models import RegisterEntry

    return set(
        RegisterEntry.objects.filter(pk__in=rules.visible_entry_ids(world.actor(role))).values_list(
            "resident_key", flat=True
        )
    )


@pytest.fixture
def people(world):
    entries = make_entries(
        world, [("K1", "山田 トメ", "桶川市桶川1"), ("K2", "加納 ハナ", "桶川市加納1")]
    )
    for entry in entries:
        consent(world, entry, ConsentEvent.GIVEN)
    return entries


def test_covered_areas_hold_the_areas_and_everything_beneath(world):
    organisation = make_organisation(world)
    covered = set(organisation.covered_areas.values_list("pk", flat=True))
    assert covered == {world.district.pk, world.sub_district.pk}


def test_an_entry_in_a_sub_area_reaches_the_recipient(world, people):
    from sasaeai.disaster.models import RegisterEntry

    RegisterEntry.objects.filter(pk=people[0].pk).update(area=world.sub_district)
    make_organisation(world, members=[HELPER])
    assert _visible(world) == {"K1"}


def test_the_nightly_refresh_covers_an_area_added_beneath(world, people):
    from django.core.management import call_command

    from sasaeai.disaster.models import RegisterEntry

    organisation = make_organisation(world, members=[HELPER])
    newer = core_services.area_create(
        actor=SYSTEM, tenant_id=world.tenant_a.pk, kind=AreaKind.COMMISSIONER_DISTRICT,
        name="桶川第2区", parent_id=world.district.pk,
    )  # fmt: skip
    RegisterEntry.objects.filter(pk=people[0].pk).update(area=newer)
    call_command("register_nightly")
    assert newer.pk in set(organisation.covered_areas.values_list("pk", flat=True))
    assert _visible(world) == {"K1"}


def test_an_agreement_not_in_force_shares_nothing(world, people):
    make_organisation(world, members=[HELPER], agreement_days_ago=-5)
    assert _visible(world) == set()


def test_an_ended_agreement_shares_nothing(world, people):
    make_organisation(
        world, members=[HELPER], agreement_ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert _visible(world) == set()


def test_a_removed_member_sees_nothing_at_once(world, people):
    organisation = make_organisation(world, members=[HELPER])
    assert _visible(world) == {"K1"}
    member = organisation.members.get()
    services.member_remove(actor=staff(world), member=member)
    assert _visible(world) == set()


def test_a_member_must_belong_to_the_tenant(world):
    organisation = make_organisation(world)
    with pytest.raises(ValidationError):
        services.member_add(actor=staff(world), organisation=organisation,
                            user_id=world.admin_b.user_id, duty="viewer")  # fmt: skip


def test_an_organisation_needs_an_area_and_an_ordered_agreement(world):
    with pytest.raises(ValidationError):
        services.organisation_save(actor=staff(world), name="x", kind="fire", area_ids=[])
    with pytest.raises(ValidationError):
        services.organisation_save(
            actor=staff(world), name="x", kind="fire", area_ids=[world.district.pk],
            agreement_on=datetime.date(2026, 4, 1), agreement_ends_on=datetime.date(2026, 3, 1),
        )  # fmt: skip


def test_the_share_page_counts_per_area_without_names(world, people):
    organisation = make_organisation(world, areas=[world.district, world.other_district])
    page = world.client_for(world.user(Role.SYSTEM_ADMIN)).get(
        f"/disaster/recipients/{organisation.pk}/"
    )
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="share-total">2<' in body
    assert "山田" not in body and "加納 ハナ" not in body
    assert "Create the copy" not in body and "写しを作成" not in body  # admins hand over nothing


def test_a_copy_is_the_current_share_recorded_and_audited(world, people):
    organisation = make_organisation(world)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post(f"/disaster/recipients/{organisation.pk}/copies/",
                           {"format": "excel", "received_by": "会長 田中", "due_back_on": "2099-03-31"})  # fmt: skip
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd")
    copy = RegisterCopy.objects.get()
    assert copy.entry_count == 1 and copy.received_by == "会長 田中"
    entry = AuditEntry.objects.get(action=Action.EXPORT, object_id=str(copy.pk))
    assert entry.detail["entries"] == [people[0].pk]
    pdf = client.post(f"/disaster/recipients/{organisation.pk}/copies/",
                      {"format": "pdf", "received_by": "会長 田中"})  # fmt: skip
    assert pdf.content.startswith(b"%PDF")


def test_a_withdrawn_person_is_not_in_the_next_copy(world, people):
    organisation = make_organisation(world)
    consent(world, people[0], ConsentEvent.WITHDRAWN)
    assert list(selectors.organisation_share(organisation)) == []


def test_copies_are_returned_or_destroyed_and_overdue_ones_listed(world, people):
    organisation = make_organisation(world)
    actor = staff(world)
    late = services.copy_issue(actor=actor, organisation=organisation, format="paper",
                               received_by="田中", entries=[people[0]])  # fmt: skip
    RegisterCopy.objects.filter(pk=late.pk).update(
        due_back_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    listing = client.get("/disaster/recipients/").content.decode()
    assert "田中" in listing.split('data-testid="overdue-copies"')[1]
    client.post(f"/disaster/copies/{late.pk}/close/",
                {"outcome": "destroyed", "on": timezone.localdate().isoformat()})  # fmt: skip
    late.refresh_from_db()
    assert late.destroyed_on == timezone.localdate()
    assert list(selectors.overdue_copies(actor)) == []
    with pytest.raises(ValidationError):
        services.copy_close(actor=actor, copy=late, returned=True)


def test_a_copy_needs_who_received_it(world, people):
    organisation = make_organisation(world)
    with pytest.raises(ValidationError):
        services.copy_issue(actor=staff(world), organisation=organisation, format="excel",
                            received_by=" ", entries=[])  # fmt: skip
    assert RegisterCopy.objects.count() == 0
