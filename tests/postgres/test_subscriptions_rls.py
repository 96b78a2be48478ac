"""The residents' mail pages as the application role, under row-level security: no one is
signed in, the tenant comes from the URL, and every write (subscriber, choices, audit entry)
passes the tenant check; another tenant's subscribers stay invisible."""

import pytest
from django.db import connection, transaction
from django.test import Client

from sasaeai.core.tenancy import tenant_context
from sasaeai.subscriptions import tokens
from sasaeai.subscriptions.models import Subscriber, SubscriberStatus, Topic

pytestmark = pytest.mark.postgres


def test_subscribe_confirm_and_unsubscribe_as_the_app_role(world, app_role):
    with tenant_context(world.tenant_a.pk):
        Topic.objects.create(tenant=world.tenant_a, key="news", name="お知らせ")
    with tenant_context(world.tenant_b.pk):
        topic_b = Topic.objects.create(tenant=world.tenant_b, key="news", name="所沢")
        other = Subscriber.objects.create(tenant=world.tenant_b, email="b@example.jp",
                                          status=SubscriberStatus.CONFIRMED)  # fmt: skip
        other.subscriptions.create(tenant=world.tenant_b, topic=topic_b)
    token, token_hash = tokens.new_confirm_token()
    client = Client()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        posted = client.post(f"/mail/{world.tenant_a.code}/",
                             {"email": "a@example.jp", "topics": ["news"], "language": "ja"})  # fmt: skip
        with tenant_context(world.tenant_a.pk):
            Subscriber.objects.filter(email="a@example.jp").update(confirm_token_hash=token_hash)
            visible = sorted(Subscriber.objects.values_list("email", flat=True))
        confirmed = client.post(f"/mail/{world.tenant_a.code}/confirm/{token}/")
        with tenant_context(world.tenant_a.pk):
            row = Subscriber.objects.get(email="a@example.jp")
        link = tokens.subscriber_token(world.tenant_a.pk, row.pk)
        stopped = client.post(f"/mail/{world.tenant_a.code}/unsubscribe/{link}/")
        with tenant_context(world.tenant_a.pk):
            row.refresh_from_db()
        cursor.execute("RESET ROLE")
    assert posted.status_code == 302
    assert visible == ["a@example.jp"]
    assert confirmed.status_code == 200
    assert stopped.status_code == 200 and row.status == SubscriberStatus.UNSUBSCRIBED
