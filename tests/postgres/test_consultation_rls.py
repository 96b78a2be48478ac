"""Row-level security under every consultation table, as the application role, in raw SQL.

Whatever the ORM and the policy do above it, a query run as the application role sees only
the current tenant's rows, none without a tenant, and cannot write another tenant's rows.
"""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from psycopg.types.json import Jsonb

from sasaeai.core.models import TenantScoped
from sasaeai.core.tenancy import tenant_context

pytestmark = pytest.mark.postgres

MODELS = [
    model
    for model in apps.get_app_config("consultation").get_models()
    if issubclass(model, TenantScoped)
]
TABLES = [model._meta.db_table for model in MODELS]


def rows_as_app(sql, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        cursor.execute("RESET ROLE")
    return rows


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    """Rows in every consultation table, in both tenants (built as the owner), once for the
    module; each test runs in a savepoint inside this transaction."""
    from tests.consultation.test_authorization import Scene

    with django_db_blocker.unblock(), transaction.atomic():
        yield Scene()
        transaction.set_rollback(True)


def test_every_consultation_model_is_covered(db):
    # A new model in the app is a new table to check: TABLES is built from the app itself.
    assert len(TABLES) >= 20
    assert "consultation_person" in TABLES and "consultation_referral" in TABLES


@pytest.mark.parametrize("table", TABLES)
def test_tenant_a_sees_no_tenant_b_rows(scene, app_role, table):
    a, b = scene.world.tenant_a.pk, scene.world.tenant_b.pk
    with connection.cursor() as cursor:  # as the owner, bypassing: both tenants have rows
        cursor.execute(f'SELECT DISTINCT tenant_id FROM "{table}"')  # noqa: S608
        assert {row[0] for row in cursor.fetchall()} == {a, b}, table
    with tenant_context(a):
        seen = {row[0] for row in rows_as_app(f'SELECT DISTINCT tenant_id FROM "{table}"')}  # noqa: S608
        by_id = rows_as_app(f'SELECT count(*) FROM "{table}" WHERE tenant_id = %s', [b])  # noqa: S608
    assert seen == {a}
    assert by_id == [(0,)]


@pytest.mark.parametrize("table", TABLES)
def test_no_tenant_set_sees_nothing(scene, app_role, table):
    assert rows_as_app(f'SELECT count(*) FROM "{table}"') == [(0,)]  # noqa: S608


def _a_row_of(table: str, tenant_id: int) -> tuple[list[str], list]:
    """Columns and values of one row of the tenant, without its id, ready to insert again."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}" WHERE tenant_id = %s LIMIT 1', [tenant_id])  # noqa: S608
        values = cursor.fetchone()
        columns = [column.name for column in cursor.description]
    pairs = [
        (c, Jsonb(v) if isinstance(v, dict | list) else v)
        for c, v in zip(columns, values, strict=True)
        if c != "id"
    ]
    return [c for c, _ in pairs], [v for _, v in pairs]


@pytest.mark.parametrize("table", TABLES)
def test_inserting_a_tenant_b_row_as_tenant_a_is_refused(scene, app_role, table):
    columns, values = _a_row_of(table, scene.world.tenant_b.pk)
    names = ", ".join(f'"{c}"' for c in columns)
    placeholders = ", ".join(["%s"] * len(values))
    with tenant_context(scene.world.tenant_a.pk), pytest.raises(DatabaseError, match="row-level"):
        rows_as_app(f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})', values)  # noqa: S608


@pytest.mark.parametrize("table", TABLES)
def test_tenant_a_cannot_move_its_rows_to_tenant_b(scene, app_role, table):
    with tenant_context(scene.world.tenant_a.pk), pytest.raises(DatabaseError, match="row-level"):
        rows_as_app(f'UPDATE "{table}" SET tenant_id = %s', [scene.world.tenant_b.pk])  # noqa: S608


@pytest.mark.parametrize("table", TABLES)
def test_tenant_a_cannot_change_or_delete_tenant_b_rows(scene, app_role, table):
    b = scene.world.tenant_b.pk
    with tenant_context(scene.world.tenant_a.pk):
        updated = rows_as_app(
            f'UPDATE "{table}" SET tenant_id = tenant_id WHERE tenant_id = %s RETURNING id', [b]
        )  # noqa: S608
        deleted = rows_as_app(f'DELETE FROM "{table}" WHERE tenant_id = %s RETURNING id', [b])  # noqa: S608
    assert updated == [] and deleted == []
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}" WHERE tenant_id = %s', [b])  # noqa: S608
        assert cursor.fetchone()[0] > 0


def test_link_tables_without_a_tenant_hold_only_ids(db):
    """The many-to-many tables Django creates have no tenant column, so no row-level policy:
    they must hold nothing but the two ids, and every row they point to is protected."""
    for model in apps.get_app_config("consultation").get_models():
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            if not through._meta.auto_created:
                continue
            with connection.cursor() as cursor:
                columns = [
                    c.name
                    for c in connection.introspection.get_table_description(
                        cursor, through._meta.db_table
                    )
                ]
            assert len(columns) == 3 and "id" in columns, (through._meta.db_table, columns)
