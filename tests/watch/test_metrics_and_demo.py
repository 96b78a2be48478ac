"""What the watch app gives the rest: metrics, the visits of the activity record, the demo."""

import pytest
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.core import metrics, visits
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.watch import services
from sasaeai.watch.models import ContactKind
from tests.watch.factories import days_ago, desk, make_person

pytestmark = pytest.mark.django_db


def test_visits_count_visits_and_look_ins_per_member_and_day_unanswered_included(world):
    person = make_person(world)
    commissioner = world.actor(Role.WELFARE_COMMISSIONER)
    for result, kind, day in (
        ("ok", ContactKind.VISIT, 2), ("absent", ContactKind.VISIT, 2),
        ("ok", ContactKind.DOORSTEP, 1), ("ok", ContactKind.PHONE, 1),
    ):  # fmt: skip
        services.contact_record(
            actor=commissioner, person=person, result=result, kind=kind, occurred_on=days_ago(day)
        )
    services.contact_record(actor=desk(world), person=person, result="ok", occurred_on=days_ago(1))
    uid = commissioner.user_id
    counted = visits.visits_by_day(world.tenant_a.pk, [uid], days_ago(10), timezone.localdate())
    assert counted == {(uid, days_ago(2)): 2, (uid, days_ago(1)): 1}
    assert "watch.contacts" in [s.key for s in visits.sources()]


def test_metrics_count_people_and_contacts_of_the_fiscal_year(world):
    person = make_person(world)
    make_person(world, name="二")
    services.contact_record(actor=desk(world), person=person, result="ok")
    services.contact_record(actor=desk(world), person=person, result="absent")
    fy = fiscal_year_of(timezone.localdate())
    assert metrics.get("watch.watched_people").compute(world.tenant_a.pk, fy) == 2
    assert metrics.get("watch.contacts").compute(world.tenant_a.pk, fy) == 2
    assert metrics.get("watch.contacts").compute(world.tenant_b.pk, fy) == 0


def test_the_demo_has_watched_people_one_overdue_in_the_commissioners_district(db):
    from sasaeai.core.demo import load_demo
    from sasaeai.core.tenancy import tenant_context
    from sasaeai.watch.models import Contact, WatchedPerson

    load_demo()
    okegawa = WatchedPerson.objects.filter(tenant__code="112097")
    assert okegawa.count() == 5
    assert {p.area.code for p in okegawa} == {"D01"}
    with tenant_context(okegawa.first().tenant_id):
        overdue = okegawa.filter(next_due_on__lt=timezone.localdate())
        assert overdue.count() == 1
        assert Contact.objects.filter(watched__in=okegawa).count() > 20
        assert okegawa.filter(watchers__user__username="okegawa-volunteer").exists()
        assert okegawa.filter(watchers__user__username="okegawa-commissioner").exists()
