"""Public survey answering as the application role, under row-level security: no one is
signed in, the tenant comes from the URL alone, and another tenant's survey stays invisible."""

import pytest
from django.db import connection, transaction
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.surveys.models import Answer, Response
from tests.surveys.conftest import make_survey, member_actor

pytestmark = pytest.mark.postgres


def test_an_anonymous_answer_is_saved_as_the_app_role(world, app_role):
    survey = make_survey(member_actor(world.members[Role.MUNICIPAL_STAFF]))
    other = make_survey(member_actor(world.admin_b))
    client = Client()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        page = client.get(f"/surveys/{world.tenant_a.code}/{survey.code}/")
        sent = client.post(f"/surveys/{world.tenant_a.code}/{survey.code}/",
                           {"q1": "young", "q2": "satisfied"})  # fmt: skip
        wrong = client.get(f"/surveys/{world.tenant_a.code}/{other.code}/")
        cursor.execute("RESET ROLE")
    assert page.status_code == 200 and sent.status_code == 302 and wrong.status_code == 404
    with tenant_context(world.tenant_a.pk):
        assert Response.objects.filter(survey=survey).count() == 1
        assert Answer.objects.filter(question__survey=survey).count() == 2
    with tenant_context(world.tenant_b.pk), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        assert not Response.objects.exists()  # tenant B sees none of tenant A's rows
        cursor.execute("RESET ROLE")
