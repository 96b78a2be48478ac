"""Evacuation plans, their supporters and welfare shelters under row-level security: raw SQL
as the application role sees only the current tenant's rows, and none without a tenant; the
services write in the session's tenant as that role."""

import pytest
from django.db import connection, transaction

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.disaster import evacuation
from sasaeai.disaster.models import EvacuationPlan
from tests.disaster.evacuation_factories import make_entry, make_plan, make_shelter
from tests.postgres.test_row_level_security import rows_as_app

pytestmark = pytest.mark.postgres
TABLES = ("disaster_evacuationplan", "disaster_plansupporter", "disaster_welfareshelter")


@pytest.fixture
def plans(world):
    for tenant, area in ((world.tenant_a, world.district), (world.tenant_b, world.area_b)):
        with tenant_context(tenant.pk):
            make_plan(make_entry(tenant, area), supporters=2)
            make_shelter(tenant)


@pytest.mark.parametrize("table", TABLES)
def test_raw_sql_sees_only_the_current_tenants_rows(world, app_role, plans, table):
    for tenant in (world.tenant_a, world.tenant_b):
        with tenant_context(tenant.pk):
            tenants = {row[0] for row in rows_as_app(f"SELECT tenant_id FROM {table}")}  # noqa: S608
        assert tenants == {tenant.pk}


@pytest.mark.parametrize("table", TABLES)
def test_raw_sql_without_a_tenant_sees_nothing(world, app_role, plans, table):
    assert rows_as_app(f"SELECT count(*) FROM {table}") == [(0,)]  # noqa: S608


def test_a_plan_written_as_the_app_role_stays_in_its_tenant(world, app_role):
    staff = world.actor(Role.MUNICIPAL_STAFF)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        with tenant_context(world.tenant_a.pk):
            plan = evacuation.plan_create(
                actor=staff, entry=make_entry(world.tenant_a, world.district)
            )
            evacuation.supporter_add(actor=staff, plan=plan, name="隣人", phone="090-1")
            evacuation.plan_update(actor=staff, plan=plan, data={"route": "北へ"}, version=2)
            assert [p.route for p in evacuation.plans_visible_to(staff)] == ["北へ"]
        with tenant_context(world.tenant_b.pk):
            assert not EvacuationPlan.objects.exists()
        cursor.execute("RESET ROLE")
