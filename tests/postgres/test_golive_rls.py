"""tenant_create and the checklist as the application role, under row-level security: the
operator page runs so in production, with no tenant chosen when it starts."""

import pytest
from django.db import connection, transaction

from sasaeai.accounts.models import Membership, Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.golive import selectors, services
from sasaeai.resources.models import Category
from tests.conftest import SYSTEM

pytestmark = pytest.mark.postgres


def create_as_app():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        result = services.tenant_create(
            actor=SYSTEM, code="122033", name="市川市", admin_username="ichikawa-admin",
            admin_email="admin@city.ichikawa.example",
        )  # fmt: skip
        cursor.execute("RESET ROLE")
    return result


def test_tenant_create_writes_every_default_as_the_app_role(app_role):
    result = create_as_app()
    assert result.created
    with tenant_context(result.tenant.pk):
        assert Category.objects.filter(tenant=result.tenant).count() > 10
        assert Membership.objects.get(tenant=result.tenant).role == Role.SYSTEM_ADMIN
    again = create_as_app()  # the idempotence check reads the membership in its tenant
    assert not again.created and again.admin.pk == result.admin.pk


def test_checklist_reads_its_counts_as_the_app_role(app_role):
    from sasaeai.accounts.policy import Actor

    result = create_as_app()
    actor = Actor(user_id=result.admin.user_id, username="ichikawa-admin",
                  tenant_id=result.tenant.pk, membership_id=result.admin.pk,
                  role=Role.SYSTEM_ADMIN, otp_verified=True)  # fmt: skip
    with tenant_context(result.tenant.pk), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        rows = {row.key: row for row in selectors.checklist_for(actor)}
        cursor.execute("RESET ROLE")
    assert rows["core.tenant"].state == "done"
    assert rows["accounts.users"].facts[0] == "システム管理者: 1"
