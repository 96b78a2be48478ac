"""Watch reads: the missed-contact list, "my people", and who sees which rows."""

import pytest
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.watch import selectors, services
from sasaeai.watch.models import WatchedPerson
from tests.watch.factories import days_ago, desk, make_person, watch_by

pytestmark = pytest.mark.django_db


def test_the_missed_list_has_overdue_active_people_most_overdue_first(world):
    today = timezone.localdate()
    late = make_person(world, name="遅れ 一", started_days_ago=20, frequency_days=7)  # 13 days
    later = make_person(world, name="遅れ 二", started_days_ago=40, frequency_days=7)  # 33 days
    make_person(world, name="期限内", started_days_ago=3, frequency_days=7)
    due_today = make_person(world, name="今日まで", started_days_ago=7, frequency_days=7)
    ended = make_person(world, name="終了", started_days_ago=60, frequency_days=7)
    services.watched_person_end(actor=desk(world), person=ended, reason="転居")
    rows = list(selectors.missed_contacts(desk(world), today=today))
    assert [p.pk for p in rows] == [later.pk, late.pk]
    assert [selectors.days_overdue(p, today) for p in rows] == [33, 13]
    assert due_today.next_due_on == today  # due today is not yet missed


def test_a_contact_takes_a_person_off_the_missed_list(world):
    person = make_person(world, started_days_ago=20)
    services.contact_record(actor=desk(world), person=person, result="ok", occurred_on=days_ago(2))
    assert not selectors.missed_contacts(desk(world)).exists()


def test_no_answer_leaves_the_person_on_the_missed_list(world):
    person = make_person(world, started_days_ago=20)
    services.contact_record(actor=desk(world), person=person, result="absent")
    assert list(selectors.missed_contacts(desk(world))) == [person]


def test_the_missed_list_filters_by_district_with_its_sub_districts(world):
    inside = make_person(world, name="区内", started_days_ago=20, area=world.sub_district)
    make_person(world, name="区外", started_days_ago=20, area=world.other_district)
    rows = selectors.missed_contacts(desk(world), area_id=world.district.pk)
    assert list(rows) == [inside]


def test_the_main_watcher_is_shown_with_the_missed_row(world):
    person = make_person(world, started_days_ago=20)
    watch_by(world, person, Role.VOLUNTEER, primary=True)
    row = selectors.missed_contacts(desk(world)).get()
    assert [w.user_id for w in row.main_watchers] == [world.user(Role.VOLUNTEER).pk]


def test_commissioners_see_their_districts_and_volunteers_whom_they_watch(world):
    mine = make_person(world, name="一", area=world.sub_district)
    other = make_person(world, name="二", area=world.other_district)
    watched = make_person(world, name="三", area=world.other_district)
    watch_by(world, watched, Role.VOLUNTEER)
    see = {
        role: set(selectors.people_visible_to(world.actor(role)).values_list("pk", flat=True))
        for role in Role
    }
    assert see[Role.COMMUNITY_SOCIAL_WORKER] == {mine.pk, other.pk, watched.pk}
    assert (
        see[Role.MUNICIPAL_STAFF]
        == see[Role.WELFARE_COUNCIL_STAFF]
        == see[Role.COMMUNITY_SOCIAL_WORKER]
    )
    assert see[Role.WELFARE_COMMISSIONER] == {mine.pk}
    assert see[Role.VOLUNTEER] == {watched.pk}
    for role in set(Role) - {Role.COMMUNITY_SOCIAL_WORKER, Role.MUNICIPAL_STAFF,
                             Role.WELFARE_COUNCIL_STAFF, Role.WELFARE_COMMISSIONER, Role.VOLUNTEER}:  # fmt: skip
        assert see[role] == set(), role


def test_my_people_are_whom_i_watch_overdue_first(world):
    volunteer = world.actor(Role.VOLUNTEER)
    fresh = make_person(world, name="新", started_days_ago=1)
    overdue = make_person(world, name="遅", started_days_ago=30)
    not_mine = make_person(world, name="他", started_days_ago=30)
    for person in (fresh, overdue):
        watch_by(world, person, Role.VOLUNTEER)
    rows = list(selectors.my_people(volunteer))
    assert rows == [overdue, fresh]
    assert not_mine not in rows
    assert list(selectors.my_people(desk(world))) == []  # the desk watches no one itself


def test_a_commissioners_people_are_everyone_of_their_districts_overdue_first(world):
    fresh = make_person(world, name="新", started_days_ago=1)
    overdue = make_person(world, name="遅", started_days_ago=30)
    make_person(world, name="外", started_days_ago=30, area=world.other_district)
    rows = list(selectors.my_people(world.actor(Role.WELFARE_COMMISSIONER)))
    assert rows == [overdue, fresh]


def test_duplicates_are_only_looked_for_within_what_the_actor_sees(world):
    make_person(world, name="見守 花子", address="加納1-1", area=world.other_district)
    commissioner = world.actor(Role.WELFARE_COMMISSIONER)
    assert selectors.possible_duplicates(commissioner, name="見守 花子", address="加納1-1") == []
    assert len(selectors.possible_duplicates(desk(world), name="見守花子", address="加納1-1")) == 1


def test_people_watched_in_the_fiscal_year_are_counted_once(world):
    from sasaeai.core.fiscal import fiscal_year_of

    today = timezone.localdate()
    fy = fiscal_year_of(today)
    make_person(world, name="一")
    ended = make_person(world, name="二")
    services.watched_person_end(actor=desk(world), person=ended, reason="転居")
    assert selectors.watched_count(world.tenant_a.pk, fy) == 2
    assert selectors.watched_count(world.tenant_a.pk, fy + 1) == 1
    assert selectors.watched_count(world.tenant_b.pk, fy) == 0
    assert WatchedPerson.objects.count() == 2
