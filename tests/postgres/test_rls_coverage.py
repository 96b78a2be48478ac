"""Every table in the database is either under row-level security or consciously global.

A table with a path to a tenant (a tenant_id column, or a foreign key to a table that has
one) must be under RLS; every other table must be named below with the reason it is global.
"""

import pytest
from django.db import DatabaseError, connection

from sasaeai.accounts.models import Role
from sasaeai.consultation.models import ConcernTag
from sasaeai.core.tenancy import tenant_context, user_context
from tests.consultation.factories import actor_of, make_case
from tests.postgres.test_row_level_security import rows_as_app

pytestmark = pytest.mark.postgres

# Global by nature: read before any tenant is chosen, or shared by every tenant.
GLOBAL_TABLES = {
    "django_migrations": "schema history, written by migrate only",
    "django_content_type": "model registry, written by migrate only",
    "auth_permission": "Django permissions, written by migrate only",
    "auth_group": "Django groups (unused: the policy module decides)",
    "auth_group_permissions": "Django groups (unused)",
    "core_tenant": "the tenants themselves; the login and tenant choice list them",
    "django_session": "looked up by session key before the tenant is known",
    "audit_chainhead": "one chain for all tenants; only the owner's trigger writes it",
    # A user may belong to several tenants and logs in before choosing one, so the app role
    # must read the password hash and the TOTP secret with no tenant set. RLS cannot withhold
    # them; only the database's privileges and the app's own checks protect them.
    "accounts_user": "login: user name and password hash, before a tenant is chosen",
    "accounts_user_groups": "Django groups of a user (unused)",
    "accounts_user_user_permissions": "Django permissions of a user (unused)",
    "otp_totp_totpdevice": "two-factor step: the TOTP secret, before a tenant is chosen",
    "axes_accessattempt": "login throttling, per user name and address, before any tenant",
    "axes_accessattemptexpiration": "login throttling",
    "axes_accessfailurelog": "login throttling",
    "axes_accesslog": "login throttling",
    "django_admin_log": "Django admin's own history, by user; the admin is policy-checked",
    # The task queue holds only (job id, tenant id); the job itself is a tenant's row (RLS).
    "django_tasks_database_dbtaskresult": "task queue: the worker picks tasks before any tenant",
    "jobs_scheduledrun": "one row per nightly command and date, for every tenant at once",
}

# Tenant-related, yet outside RLS, with the reason. Keep this empty.
TENANT_RELATED_OUTSIDE_RLS: dict[str, str] = {}


def all_tables() -> dict[str, tuple[bool, bool, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
            " (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
        )
        return {name: (enabled, forced, policies) for name, enabled, forced, policies in cursor}


def tables_with_a_path_to_a_tenant() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = 'tenant_id'"
        )
        reached = {row[0] for row in cursor} | {"core_tenant"}
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c"
            " JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE c.contype = 'f' AND n.nspname = current_schema()"
        )
        references = list(cursor)
    # Django creates many-to-many and some foreign keys without constraints, so add
    # every *_id column whose target is known from the model graph too.
    references += model_references()
    changed = True
    while changed:
        changed = False
        for table, target in references:
            if target in reached and table not in reached:
                reached.add(table)
                changed = True
    return reached - {"core_tenant"}


def model_references() -> list[tuple[str, str]]:
    from django.apps import apps

    pairs = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is not None:
                pairs.append((model._meta.db_table, field.related_model._meta.db_table))
    return pairs


def test_every_table_with_a_path_to_a_tenant_is_under_row_level_security(db):
    tables = all_tables()
    unprotected = {
        table
        for table in tables_with_a_path_to_a_tenant()
        if tables[table] != (True, True, 2) and table not in TENANT_RELATED_OUTSIDE_RLS
    }
    assert unprotected == set()


def test_every_table_is_under_row_level_security_or_named_as_global(db):
    undecided = {
        table
        for table, (enabled, forced, policies) in all_tables().items()
        if not (enabled and forced and policies)
        and table not in GLOBAL_TABLES
        and table not in TENANT_RELATED_OUTSIDE_RLS
    }
    assert undecided == set()


def test_global_tables_have_no_path_to_a_tenant(db):
    assert set(GLOBAL_TABLES) & tables_with_a_path_to_a_tenant() == set()


def test_case_concern_links_are_seen_only_inside_their_tenant(world, app_role):
    staff = actor_of(world, Role.MUNICIPAL_STAFF)
    case = make_case(staff, concern_codes=["elderly"])
    query = "SELECT count(*) FROM consultation_case_concerns WHERE case_id = %s"
    with tenant_context(world.tenant_a.pk):
        assert rows_as_app(query, [case.pk]) == [(1,)]
    with tenant_context(world.tenant_b.pk):
        assert rows_as_app(query, [case.pk]) == [(0,)]
    assert rows_as_app(query, [case.pk]) == [(0,)]


def test_app_role_cannot_link_a_concern_to_another_tenants_case(world, app_role):
    staff = actor_of(world, Role.MUNICIPAL_STAFF)
    case = make_case(staff)
    tag = ConcernTag.objects.filter(tenant=world.tenant_a).first()
    with tenant_context(world.tenant_b.pk), pytest.raises(DatabaseError, match="row-level"):
        rows_as_app(
            "INSERT INTO consultation_case_concerns (case_id, concerntag_id)"
            " VALUES (%s, %s) RETURNING id",
            [case.pk, tag.pk],
        )


@pytest.mark.parametrize("table", ["django_migrations", "django_content_type"])
def test_app_role_cannot_write_djangos_bookkeeping(world, app_role, table):
    with pytest.raises(DatabaseError, match="permission denied"):
        rows_as_app(f"DELETE FROM {table} RETURNING 1")  # noqa: S608


def test_memberships_are_seen_in_the_current_tenant_and_by_their_own_user_only(world, app_role):
    query = "SELECT DISTINCT tenant_id FROM accounts_membership ORDER BY 1"
    assert rows_as_app(query) == []
    with tenant_context(world.tenant_a.pk):
        assert rows_as_app(query) == [(world.tenant_a.pk,)]
    admin_b = world.admin_b.user
    with user_context(admin_b.pk):  # before a tenant is chosen: their own, in every tenant
        assert rows_as_app("SELECT user_id, tenant_id FROM accounts_membership") == [
            (admin_b.pk, world.tenant_b.pk)
        ]
        with tenant_context(world.tenant_a.pk):
            seen = {row[0] for row in rows_as_app(query)}
        assert seen == {world.tenant_a.pk, world.tenant_b.pk}


def test_app_role_cannot_give_a_user_a_membership_in_another_tenant(world, app_role):
    user = world.user(Role.COMMUNITY_SOCIAL_WORKER)
    with (
        user_context(user.pk),
        tenant_context(world.tenant_a.pk),
        pytest.raises(DatabaseError, match="row-level"),
    ):
        rows_as_app(
            "INSERT INTO accounts_membership (user_id, tenant_id, role, organisation, department,"
            " is_active, created_at, search_text)"
            " VALUES (%s, %s, 'system_admin', '', '', true, now(), '') RETURNING id",
            [user.pk, world.tenant_b.pk],
        )
