"""Read-replica routing: reads inside replica_reads() go to the `replica` alias, under the
request's tenant (row-level security on the replica connection too).

The replica is a second connection to the same test database (a test mirror, as Django's
TEST MIRROR sets it up), connecting as the application role so that row-level security binds.
A TransactionTestCase, so that the alias exists before Django checks the test's databases.
"""

from contextlib import suppress

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test import TransactionTestCase
from django.test.utils import CaptureQueriesContext

from sasaeai.accounts.models import Role
from sasaeai.core.db import REPLICA, replica_reads
from sasaeai.core.models import Area
from sasaeai.core.tenancy import tenant_context
from tests.conftest import World

pytestmark = pytest.mark.postgres
APP = "sasaeai_app"


class ReplicaRoutingTests(TransactionTestCase):
    databases = {"default", REPLICA}

    @classmethod
    def setUpClass(cls):
        if connection.vendor != "postgresql":
            raise pytest.skip.Exception("needs PostgreSQL")
        settings = {**connection.settings_dict, "USER": APP, "PASSWORD": ""}
        settings["TEST"] = {**settings.get("TEST", {}), "MIRROR": "default"}
        connections.settings[REPLICA] = django_settings.DATABASES[REPLICA] = settings
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        connections[REPLICA].close()
        with suppress(AttributeError, KeyError):
            del connections[REPLICA]
        connections.settings.pop(REPLICA, None)
        django_settings.DATABASES.pop(REPLICA, None)

    def setUp(self):
        from sasaeai.core import rls

        with connection.cursor() as cursor:
            cursor.execute(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sasaeai_app') "
                "THEN CREATE ROLE sasaeai_app NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$"
            )
            cursor.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [APP])
            self.could_login = cursor.fetchone()[0]
            cursor.execute(f"ALTER ROLE {APP} LOGIN")
        rls.grant_app_role()
        self.world = World()
        self.replica = connections[REPLICA]

    def tearDown(self):
        self.replica.close()
        if not self.could_login:
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER ROLE {APP} NOLOGIN")

    def test_reads_go_to_the_replica_and_see_only_the_tenant(self):
        world, replica = self.world, self.replica
        with tenant_context(world.tenant_a.pk), CaptureQueriesContext(replica) as on_replica:
            with CaptureQueriesContext(connection) as on_primary, replica_reads():
                tenants = set(Area.objects.values_list("tenant_id", flat=True))
                with replica.cursor() as cursor:
                    cursor.execute("SELECT current_user")
                    assert cursor.fetchone() == (APP,)
        assert tenants == {world.tenant_a.pk}
        assert any("core_area" in q["sql"] for q in on_replica.captured_queries)
        assert not any("core_area" in q["sql"] for q in on_primary.captured_queries)
        with replica.cursor() as cursor:  # the replica connection keeps no tenant afterwards
            cursor.execute("SELECT current_setting('sasaeai.tenant_id', true)")
            assert cursor.fetchone()[0] in (None, "")
            cursor.execute("SELECT count(*) FROM core_area")
            assert cursor.fetchone() == (0,)

    def test_outside_replica_reads_everything_stays_on_the_primary(self):
        with tenant_context(self.world.tenant_a.pk), CaptureQueriesContext(self.replica) as on:
            list(Area.objects.all())
        assert on.captured_queries == []

    def test_a_tenant_switch_inside_replica_reads_reaches_the_replica(self):
        with replica_reads(), tenant_context(self.world.tenant_b.pk):
            tenants = set(Area.objects.values_list("tenant_id", flat=True))
        assert tenants == {self.world.tenant_b.pk}

    def test_statistics_page_reads_from_the_replica(self):
        client = self.world.client_for(self.world.user(Role.MUNICIPAL_STAFF))
        with CaptureQueriesContext(self.replica) as on_replica:
            response = client.get("/consultation/statistics/")
        assert response.status_code == 200
        assert any("consultation_" in q["sql"] for q in on_replica.captured_queries)
