"""安否確認 on PostgreSQL: two phones marking the same person at the same moment both keep their
mark and the status shows the newer; and, as the application role under row-level security,
another tenant sees none of the declaration, its marks or statuses (raw SQL)."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.disaster import emergency
from sasaeai.disaster.models import SafetyCheck, SafetyState, SafetyStatus
from tests.disaster.test_emergency_scene import Scene

pytestmark = pytest.mark.postgres


def _mark_at_once(world, declaration, entry, marks):
    start = threading.Barrier(len(marks))
    errors = []

    def run(role, state, marked_at):
        try:
            start.wait()
            emergency.safety_mark(
                actor=world.actor(role), declaration=declaration, entry=entry,
                data=emergency.MarkInput(state=state, marked_at=marked_at),
            )  # fmt: skip
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=m) for m in marks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("newer_first", [True, False])
def test_two_phones_marking_one_person_at_once_keep_both_and_show_the_newer(world, newer_first):
    scene = Scene(world)
    declaration = scene.declare()
    now = timezone.now()
    newer = (Role.MUNICIPAL_STAFF, SafetyState.SAFE, now - datetime.timedelta(minutes=1))
    older = (Role.EVACUATION_HELPER, SafetyState.NEEDS_HELP, now - datetime.timedelta(minutes=9))
    _mark_at_once(
        world, declaration, scene.unconsented, [newer, older] if newer_first else [older, newer]
    )
    checks = SafetyCheck.objects.filter(entry=scene.unconsented)
    assert sorted(checks.values_list("state", flat=True)) == [
        SafetyState.NEEDS_HELP,
        SafetyState.SAFE,
    ]
    status = SafetyStatus.objects.get(entry=scene.unconsented)
    assert status.state == SafetyState.SAFE and status.marks == 2
    assert status.latest_check.marked_by_id == world.user(Role.MUNICIPAL_STAFF).pk


@pytest.mark.django_db(transaction=True)
def test_many_phones_at_once_lose_no_mark(world):
    scene = Scene(world)
    declaration = scene.declare()
    now = timezone.now()
    marks = [
        (Role.MUNICIPAL_STAFF, SafetyState.SAFE, now - datetime.timedelta(minutes=m))
        for m in range(1, 7)
    ]
    _mark_at_once(world, declaration, scene.consented, marks)
    status = SafetyStatus.objects.get(entry=scene.consented)
    assert SafetyCheck.objects.filter(entry=scene.consented).count() == 6
    assert status.marks == 6
    assert status.marked_at == max(m[2] for m in marks)


def test_another_tenant_sees_no_declaration_mark_or_status_in_raw_sql(world, app_role):
    scene = Scene(world)
    declaration = scene.declare()
    emergency.safety_mark(
        actor=world.actor(Role.MUNICIPAL_STAFF), declaration=declaration,
        entry=scene.unconsented, data=emergency.MarkInput(state=SafetyState.SAFE),
    )  # fmt: skip
    tables = ["disaster_declaration", "disaster_safetycheck", "disaster_safetystatus"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        with tenant_context(world.tenant_b.pk):
            for table in tables:
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
                assert cursor.fetchone()[0] == 0, table
        with tenant_context(world.tenant_a.pk):
            for table in tables:
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
                assert cursor.fetchone()[0] == 1, table
        cursor.execute("RESET ROLE")
