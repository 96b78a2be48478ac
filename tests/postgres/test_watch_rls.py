"""The watch tables under row-level security, as the application role: what a tenant writes
(through the services, a concern to the desk included) stays invisible to another tenant's
raw SQL, and a row cannot be written into another tenant. Two phones recording the same
person at once: both contacts kept, the later date shown."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.watch import services
from sasaeai.watch.models import Contact, WatchedPerson, WatcherKind
from tests.watch.factories import days_ago, make_person

pytestmark = pytest.mark.postgres
TABLES = ("watch_watchedperson", "watch_watcher", "watch_contact")


def _counts(cursor) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
        counts[table] = cursor.fetchone()[0]
    return counts


def test_watch_rows_written_as_the_app_role_are_invisible_to_another_tenant(world, app_role):
    csw = world.actor(Role.COMMUNITY_SOCIAL_WORKER)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        with tenant_context(world.tenant_a.pk):
            person = make_person(world, actor=csw)
            services.watcher_add(actor=csw, person=person, kind=WatcherKind.NEIGHBOUR, name="隣")
            contact = services.contact_record(actor=csw, person=person, result="concern", note="x")
            assert contact.intake_reference
            assert _counts(cursor) == dict.fromkeys(TABLES, 1)
        with tenant_context(world.tenant_b.pk):
            assert _counts(cursor) == dict.fromkeys(TABLES, 0)
            assert not WatchedPerson.objects.exists()
        with tenant_context(None):
            assert _counts(cursor) == dict.fromkeys(TABLES, 0)
        cursor.execute("RESET ROLE")


def test_the_app_role_cannot_write_a_contact_into_another_tenant(world, app_role):
    person = make_person(world)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        with tenant_context(world.tenant_b.pk), pytest.raises(DatabaseError):
            with transaction.atomic():
                cursor.execute(
                    "INSERT INTO watch_contact (tenant_id, watched_id, occurred_on, kind, result,"
                    " note, recorded_at, intake_url) VALUES (%s, %s, %s, 'visit', 'ok', '', now(), '')",
                    [world.tenant_a.pk, person.pk, timezone.localdate()],
                )
        cursor.execute("RESET ROLE")
    assert not Contact.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_phones_recording_at_once_both_count_and_the_later_date_wins(world):
    person = make_person(world)
    actor = world.actor(Role.COMMUNITY_SOCIAL_WORKER)
    start = threading.Barrier(2)
    errors = []

    def record(day):
        try:
            start.wait()
            services.contact_record(actor=actor, person=person, result="ok", occurred_on=day)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(d,)) for d in (days_ago(1), days_ago(3))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    person.refresh_from_db()
    assert person.contacts.count() == 2
    assert person.last_contact_on == days_ago(1)
