"""Defence in depth on PostgreSQL: row-level security under the ORM, as the application role."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import all_tenants, tenant_context

pytestmark = pytest.mark.postgres


def rows_as_app(sql, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        cursor.execute("RESET ROLE")
    return rows


def test_raw_query_sees_only_the_current_tenant(world, app_role):
    with tenant_context(world.tenant_a.pk):
        tenants = {r[0] for r in rows_as_app("SELECT tenant_id FROM core_area")}
    assert tenants == {world.tenant_a.pk}
    with tenant_context(world.tenant_b.pk):
        tenants = {r[0] for r in rows_as_app("SELECT tenant_id FROM core_area")}
    assert tenants == {world.tenant_b.pk}


def test_raw_query_with_no_tenant_returns_nothing(world, app_role):
    assert rows_as_app("SELECT count(*) FROM core_area") == [(0,)]
    assert rows_as_app("SELECT count(*) FROM audit_auditentry") == [(0,)]


def test_app_role_cannot_switch_on_maintenance(world, app_role):
    with all_tenants():
        assert rows_as_app("SELECT count(*) FROM core_area") == [(0,)]


@override_settings(ROOT_URLCONF="tests.postgres.rls_urls")
def test_raw_query_inside_a_tenant_a_request_returns_no_tenant_b_rows(world, app_role):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert client.get("/raw-area-tenants/").json() == {"tenant_ids": [world.tenant_a.pk]}
    other = world.client_for(world.admin_b.user)
    assert other.get("/raw-area-tenants/").json() == {"tenant_ids": [world.tenant_b.pk]}


def test_app_role_cannot_write_rows_of_another_tenant(world, app_role):
    with tenant_context(world.tenant_a.pk), pytest.raises(DatabaseError, match="row-level"):
        rows_as_app(
            "INSERT INTO core_area (tenant_id, kind, code, name, name_kana, search_text) "
            "VALUES (%s, 'district', '', 'x', '', '') RETURNING id",
            [world.tenant_b.pk],
        )


def test_app_role_cannot_update_or_delete_audit_entries(world, app_role):
    with tenant_context(world.tenant_a.pk):
        for statement in (
            "UPDATE audit_auditentry SET actor_username = 'x' RETURNING id",
            "DELETE FROM audit_auditentry RETURNING id",
        ):
            with pytest.raises(DatabaseError, match="permission denied"):
                rows_as_app(statement)
        assert rows_as_app("SELECT count(*) FROM audit_auditentry")[0][0] > 0


def test_every_tenant_scoped_table_forces_row_level_security(db):
    from sasaeai.core.rls import tenant_scoped_tables

    with connection.cursor() as cursor:
        for table, _ in tenant_scoped_tables():
            cursor.execute(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
                [table],
            )
            assert cursor.fetchone() == (True, True), table


def test_app_role_can_append_a_login_entry_before_a_tenant_is_chosen(world, app_role):
    from sasaeai.accounts.policy import ANONYMOUS
    from sasaeai.audit.models import AuditEntry
    from sasaeai.audit.services import Event, audit_event

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        audit_event(ANONYMOUS, Event(action="login_failed", object_type="accounts.user"))
        cursor.execute("SELECT count(*) FROM audit_auditentry")
        assert cursor.fetchone() == (0,)  # written, but not readable without a tenant
        cursor.execute("RESET ROLE")
    assert AuditEntry.objects.filter(action="login_failed", tenant__isnull=True).exists()


def test_area_limited_member_keeps_their_districts_as_the_app_role(world, app_role):
    """The actor is built before the request's tenant is set: its areas are read in the
    membership's own tenant, or row-level security would hide them (and the commissioner
    would see nothing of their district in production)."""
    from sasaeai.accounts.selectors import district_area_ids

    membership = world.members[Role.WELFARE_COMMISSIONER]
    expected = district_area_ids(membership)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        as_app = district_area_ids(membership)
        cursor.execute("RESET ROLE")
    assert expected == {world.district.pk, world.sub_district.pk}
    assert as_app == expected
