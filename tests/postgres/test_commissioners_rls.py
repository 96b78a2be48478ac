"""Activity records under row-level security, as the application role: a commissioner's
entries and months written through the services stay in their tenant; raw SQL in another
tenant (or none) sees none of them, and cannot write into tenant A."""

import pytest
from django.db import DatabaseError, connection, transaction

from sasaeai.accounts.models import Role
from sasaeai.commissioners import services
from sasaeai.core.tenancy import tenant_context
from tests.commissioners.conftest import last_month

pytestmark = pytest.mark.postgres
TABLES = ("commissioners_activityentry", "commissioners_monthlyrecord")


def _count(cursor, table) -> int:
    cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
    return cursor.fetchone()[0]


def test_entries_and_months_are_invisible_to_another_tenant_as_the_app_role(world, app_role):
    month = last_month()
    commissioner = world.actor(Role.WELFARE_COMMISSIONER)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        with tenant_context(world.tenant_a.pk):
            services.entry_create(actor=commissioner, day=month, kind="visit", detail="watch")
            services.record_submit(actor=commissioner, month=month)
            assert [_count(cursor, t) for t in TABLES] == [1, 1]
        with tenant_context(world.tenant_b.pk):
            assert [_count(cursor, t) for t in TABLES] == [0, 0]
        assert [_count(cursor, t) for t in TABLES] == [0, 0]  # no tenant chosen
        cursor.execute("RESET ROLE")


def test_the_app_role_cannot_insert_an_entry_into_another_tenant(world, app_role):
    user_id = world.user(Role.WELFARE_COMMISSIONER).pk
    with tenant_context(world.tenant_b.pk), pytest.raises(DatabaseError, match="row-level"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL ROLE sasaeai_app")
            cursor.execute(
                "INSERT INTO commissioners_activityentry (tenant_id, commissioner_id, day, kind, "
                "field, topic, detail, count, note, created_at, updated_at) VALUES "
                "(%s, %s, now(), 'visit', '', '', 'watch', 1, '', now(), now())",
                [world.tenant_a.pk, user_id],
            )
