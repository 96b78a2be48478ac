"""The public plan progress pages as the application role, under row-level security: no one is
signed in, so the tenant comes from the URL alone; another tenant's rows stay invisible."""

import pytest
from django.db import connection, transaction
from django.test import Client

from tests.plans.test_public_progress import load_seed, publish

pytestmark = pytest.mark.postgres


def test_the_public_page_reads_its_tenant_as_the_app_role(world, app_role):
    plan = load_seed("tokorozawa-community-welfare-4.yaml", world.tenant_a.pk)
    publish(plan)
    other = load_seed("konosu-joint-4.yaml", world.tenant_b.pk)
    publish(other)
    node = plan.nodes.filter(indicators__isnull=False).values_list("pk", flat=True).first()
    client = Client()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        page = client.get(f"/progress/{world.tenant_a.code}/{plan.code}/")
        node_page = client.get(f"/progress/{world.tenant_a.code}/{plan.code}/nodes/{node}/")
        wrong = client.get(f"/progress/{world.tenant_a.code}/{other.code}/")
        cursor.execute("RESET ROLE")
    assert page.status_code == 200 and plan.title in page.content.decode()
    assert 'data-testid="indicator-chart"' in node_page.content.decode()
    assert wrong.status_code == 404
