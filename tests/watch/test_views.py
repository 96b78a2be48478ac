"""Watch pages: the phone round, the quick contact entry, the person's page, the lists."""

import pytest
from django.urls import reverse
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.watch.models import Contact, WatchedPerson
from tests.watch.factories import make_person, watch_by

pytestmark = pytest.mark.django_db


def _client(world, role):
    return world.client_for(world.user(role))


def _reads(person):
    return AuditEntry.objects.filter(
        action="read", object_type="watch.watchedperson", object_id=str(person.pk)
    ).count()


def test_the_phone_round_lists_my_people_with_big_buttons_overdue_first(world):
    late = make_person(world, name="遅れ 一", started_days_ago=30)
    fresh = make_person(world, name="新しい 二", started_days_ago=1)
    for person in (fresh, late):
        watch_by(world, person, Role.VOLUNTEER)
    response = _client(world, Role.VOLUNTEER).get(reverse("watch:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("遅れ 一") < body.index("新しい 二")
    assert 'data-testid="record-contact"' in body
    assert 'name="viewport"' in body  # the layout is made for phones
    assert _reads(late) == 1 and _reads(fresh) == 1


def test_the_contact_page_has_the_four_buttons_and_today(world):
    person = make_person(world)
    response = _client(world, Role.WELFARE_COMMISSIONER).get(
        reverse("watch:contact_new", args=[person.pk])
    )
    body = response.content.decode()
    for result in ("ok", "concern", "urgent", "absent"):
        assert f'data-testid="result-{result}"' in body
    assert timezone.localdate().isoformat() in body
    assert "異常なし" in body and "気になる" in body and "緊急" in body and "不在" in body


def test_pressing_concerned_records_passes_it_on_and_shows_the_intake_number(world):
    person = make_person(world)
    client = _client(world, Role.WELFARE_COMMISSIONER)
    response = client.post(
        reverse("watch:contact_new", args=[person.pk]),
        {"result": "concern", "occurred_on": timezone.localdate().isoformat(), "kind": "visit",
         "note": "郵便受けがいっぱい"},
    )  # fmt: skip
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("watch:contact_detail", args=[contact.pk])
    page = client.get(response["Location"]).content.decode()
    assert f"受付番号 {contact.intake_reference}" in page
    assert contact.intake_url in page


def test_a_future_date_shows_a_japanese_error_and_saves_nothing(world):
    person = make_person(world)
    response = _client(world, Role.WELFARE_COMMISSIONER).post(
        reverse("watch:contact_new", args=[person.pk]),
        {"result": "ok", "occurred_on": "2999-01-01", "kind": "visit"},
    )
    assert response.status_code == 200
    assert "未来" in response.content.decode()
    assert not Contact.objects.exists()


def test_a_link_from_a_case_fills_in_the_source_and_number_only(world):
    response = _client(world, Role.COMMUNITY_SOCIAL_WORKER).get(
        reverse("watch:person_create") + "?source=case&ref=12&name=山田"
    )
    form = response.context["form"]
    assert form.initial["source"] == "case" and form.initial["source_reference"] == 12
    assert "name" not in form.initial


def test_adding_a_person_and_the_duplicate_warning(world):
    client = _client(world, Role.COMMUNITY_SOCIAL_WORKER)
    data = {"name": "見守 花子", "address": "桶川市1-1", "area": world.sub_district.pk,
            "reason": "ひとり暮らし", "frequency_days": 7, "source": "staff",
            "started_on": timezone.localdate().isoformat()}  # fmt: skip
    first = client.post(reverse("watch:person_create"), data)
    assert first.status_code == 302
    second = client.post(reverse("watch:person_create"), data)
    assert second.status_code == 200
    assert 'data-testid="duplicate-warning"' in second.content.decode()
    assert WatchedPerson.objects.count() == 1
    third = client.post(reverse("watch:person_create"), {**data, "accept_duplicate": "on"})
    assert third.status_code == 302 and WatchedPerson.objects.count() == 2


def test_the_person_page_adds_a_watcher_and_is_audited(world):
    person = make_person(world)
    client = _client(world, Role.WELFARE_COUNCIL_STAFF)
    response = client.post(
        reverse("watch:person_detail", args=[person.pk]),
        {"kind": "neighbour", "name": "隣の佐藤さん", "is_primary": "on"},
    )
    assert response.status_code == 302
    page = client.get(reverse("watch:person_detail", args=[person.pk]))
    assert "隣の佐藤さん" in page.content.decode()
    assert _reads(person) == 1


def test_the_missed_list_page_shows_days_overdue_and_is_audited(world):
    person = make_person(world, name="遅れ 一", started_days_ago=20)
    response = _client(world, Role.MUNICIPAL_STAFF).get(
        reverse("watch:missed") + f"?area={world.district.pk}"
    )
    body = response.content.decode()
    assert 'data-testid="missed-row"' in body and "遅れ 一" in body and ">13<" in body
    assert _reads(person) == 1


def test_ending_from_the_person_page(world):
    person = make_person(world)
    response = _client(world, Role.COMMUNITY_SOCIAL_WORKER).post(
        reverse("watch:person_end", args=[person.pk]),
        {"ended_on": timezone.localdate().isoformat(), "reason": "転居"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.status == "ended"


def test_the_missed_list_query_count_does_not_grow_with_its_length(
    world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(world, Role.MUNICIPAL_STAFF)
    url = reverse("watch:missed")

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for n in range(2):
        watch_by(world, make_person(world, name=f"一{n}", started_days_ago=20), Role.VOLUNTEER)
    few = count()
    for n in range(12):
        watch_by(world, make_person(world, name=f"二{n}", started_days_ago=20), Role.VOLUNTEER)
    assert count() == few


def test_the_list_and_home_query_counts_do_not_grow(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(world, Role.VOLUNTEER)

    def count(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    watch_by(world, make_person(world, name="一", started_days_ago=20), Role.VOLUNTEER)
    few = count(reverse("watch:home")), count(reverse("watch:person_list"))
    for n in range(8):
        watch_by(world, make_person(world, name=f"二{n}", started_days_ago=20), Role.VOLUNTEER)
    assert (count(reverse("watch:home")), count(reverse("watch:person_list"))) == few
