"""Row-level security under every disaster table (register, consent, imports, recipients,
copies, declarations, safety checks, plans, shelters), as the application role, in raw SQL:
only the current tenant's rows, none without a tenant, no writing into another tenant."""

import datetime

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from sasaeai.core.models import TenantScoped
from sasaeai.core.tenancy import tenant_context
from sasaeai.disaster import models as m

pytestmark = pytest.mark.postgres

MODELS = [
    model
    for model in apps.get_app_config("disaster").get_models()
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


def _rows_for(tenant, area, user):
    """One row in every disaster table of the tenant (as the owner: RLS is not the subject)."""
    today = timezone.localdate()
    m.DisasterSettings.objects.create(tenant=tenant)
    entry = m.RegisterEntry.objects.create(tenant=tenant, resident_key="K1", name="名簿 太郎",
                                           address="住所", area=area, listed_on=today)  # fmt: skip
    m.ConsentRecord.objects.create(tenant=tenant, entry=entry, event="given", on=today)
    m.RegisterImport.objects.create(tenant=tenant, kind="care", file_name="a.csv",
                                    token=f"t{tenant.pk}", created_by=user)  # fmt: skip
    organisation = m.HelperOrganisation.objects.create(tenant=tenant, name="防災会", kind="fire")
    m.RecipientMember.objects.create(tenant=tenant, organisation=organisation, user=user,
                                     duty="viewer", added_on=today)  # fmt: skip
    m.RegisterCopy.objects.create(tenant=tenant, organisation=organisation, issued_on=today,
                                  format="paper", entry_count=1, received_by="会長")  # fmt: skip
    declaration = m.Declaration.objects.create(tenant=tenant, reason="大雨",
                                               declared_at=timezone.now())  # fmt: skip
    check = m.SafetyCheck.objects.create(tenant=tenant, declaration=declaration, entry=entry,
                                         state="safe", marked_at=timezone.now())  # fmt: skip
    m.SafetyStatus.objects.create(tenant=tenant, declaration=declaration, entry=entry, area=area,
                                  state="safe", latest_check=check, marked_at=timezone.now())  # fmt: skip
    shelter = m.WelfareShelter.objects.create(tenant=tenant, name="福祉避難所")
    plan = m.EvacuationPlan.objects.create(tenant=tenant, entry=entry, shelter=shelter,
                                           consent_on=today - datetime.timedelta(days=1))  # fmt: skip
    m.PlanSupporter.objects.create(tenant=tenant, plan=plan, name="支援 一郎", phone="090")


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker):
    from tests.conftest import World

    with django_db_blocker.unblock(), transaction.atomic():
        world = World()
        from sasaeai.accounts.models import Role

        for tenant, area, user in (
            (world.tenant_a, world.district, world.user(Role.EVACUATION_HELPER)),
            (world.tenant_b, world.area_b, world.admin_b.user),
        ):
            with tenant_context(tenant.pk):
                _rows_for(tenant, area, user)
        yield world
        transaction.set_rollback(True)


def test_every_disaster_model_is_covered(db):
    assert len(TABLES) >= 13
    assert "disaster_registerentry" in TABLES and "disaster_registercopy" in TABLES


@pytest.mark.parametrize("table", TABLES)
def test_tenant_a_sees_no_tenant_b_rows(scene, app_role, table):
    a, b = scene.tenant_a.pk, scene.tenant_b.pk
    with connection.cursor() as cursor:
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


def _a_row_of(table, tenant_id):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}" WHERE tenant_id = %s LIMIT 1', [tenant_id])  # noqa: S608
        values = cursor.fetchone()
        columns = [column.name for column in cursor.description]
    pairs = [
        (c, Jsonb(v) if isinstance(v, dict | list) else v)
        for c, v in zip(columns, values, strict=True)
        if c not in ("id", "token")
    ]
    return [c for c, _ in pairs], [v for _, v in pairs]


@pytest.mark.parametrize("table", TABLES)
def test_inserting_a_tenant_b_row_as_tenant_a_is_refused(scene, app_role, table):
    columns, values = _a_row_of(table, scene.tenant_b.pk)
    names = ", ".join(f'"{c}"' for c in columns)
    placeholders = ", ".join(["%s"] * len(values))
    with tenant_context(scene.tenant_a.pk), pytest.raises(DatabaseError, match="row-level"):
        rows_as_app(f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})', values)  # noqa: S608


@pytest.mark.parametrize("table", TABLES)
def test_tenant_a_cannot_change_or_delete_tenant_b_rows(scene, app_role, table):
    b = scene.tenant_b.pk
    with tenant_context(scene.tenant_a.pk):
        updated = rows_as_app(
            f'UPDATE "{table}" SET tenant_id = tenant_id WHERE tenant_id = %s RETURNING id',
            [b],  # noqa: S608
        )
        deleted = rows_as_app(f'DELETE FROM "{table}" WHERE tenant_id = %s RETURNING id', [b])  # noqa: S608
    assert updated == [] and deleted == []
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}" WHERE tenant_id = %s', [b])  # noqa: S608
        assert cursor.fetchone()[0] > 0


def test_the_recipient_page_as_the_app_role_shows_only_the_tenants_share(scene, app_role):
    from django.db.models import Q

    from sasaeai.accounts.models import Role

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        with tenant_context(scene.tenant_a.pk):
            keys = list(
                m.RegisterEntry.objects.filter(
                    Q(tenant_id=scene.tenant_b.pk) | Q(resident_key="K1")
                ).values_list("tenant_id", flat=True)
            )
        cursor.execute("RESET ROLE")
    assert keys == [scene.tenant_a.pk]
    assert Role.EVACUATION_HELPER
