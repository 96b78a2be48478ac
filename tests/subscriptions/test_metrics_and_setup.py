"""The metric family the plans read, a new tenant's topic, and the demo data."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from sasaeai.core import metrics, tenant_setup
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.subscriptions.models import SubscriberStatus, Topic
from tests.subscriptions.conftest import make_subscriber

pytestmark = pytest.mark.django_db


def test_the_family_counts_confirmed_subscribers_of_a_topic_now(world, topics):
    a = world.tenant_a
    current = fiscal_year_of(timezone.localdate())
    with tenant_context(a.pk):
        make_subscriber(a, "1@example.jp", [topics["news"]])
        make_subscriber(a, "2@example.jp", [topics["news"], topics["volunteer"]])
        make_subscriber(a, "3@example.jp", [topics["news"]], status=SubscriberStatus.PENDING)
        make_subscriber(a, "4@example.jp", [topics["news"]], status=SubscriberStatus.BOUNCED)
        assert metrics.compute("subscriptions.subscribers:news", tenant_id=a.pk,
                               fiscal_year=current) == 2  # fmt: skip
        assert metrics.compute("subscriptions.subscribers:volunteer", tenant_id=a.pk,
                               fiscal_year=current) == 1  # fmt: skip
        assert metrics.compute("subscriptions.subscribers:nothing", tenant_id=a.pk,
                               fiscal_year=current) is None  # fmt: skip
    family = next(f for f in metrics.all_families() if f.key == "subscriptions.subscribers")
    with tenant_context(a.pk):
        assert family.options(a.pk) == [("news", "お知らせ"), ("volunteer", "ボランティア")]


def test_a_past_year_counts_who_was_subscribed_at_its_end(world, topics):
    a = world.tenant_a
    current = fiscal_year_of(timezone.localdate())
    last_end = datetime.datetime(current, 4, 1, tzinfo=ZoneInfo("Asia/Tokyo"))
    before, after = last_end - datetime.timedelta(days=30), last_end + datetime.timedelta(hours=1)
    with tenant_context(a.pk):
        make_subscriber(a, "old@example.jp", [topics["news"]])  # confirmed now
        for email, values in {
            "then@example.jp": {"confirmed_at": before},
            "left-later@example.jp": {"confirmed_at": before, "unsubscribed_at": after,
                                      "status": SubscriberStatus.UNSUBSCRIBED},
            "left-before@example.jp": {"confirmed_at": before - datetime.timedelta(days=9),
                                       "unsubscribed_at": before,
                                       "status": SubscriberStatus.UNSUBSCRIBED},
            "bounced-before@example.jp": {"confirmed_at": before, "bounced_at": before,
                                          "status": SubscriberStatus.BOUNCED},
        }.items():  # fmt: skip
            status = values.pop("status", SubscriberStatus.CONFIRMED)
            row = make_subscriber(a, email, [topics["news"]], status=status)
            type(row).objects.filter(pk=row.pk).update(**values)
        value = metrics.compute("subscriptions.subscribers:news", tenant_id=a.pk,
                                fiscal_year=current - 1)  # fmt: skip
    assert value == 2  # then, left-later


def test_a_new_tenant_starts_with_one_general_topic():
    tenant = Tenant.objects.create(code="112101", name="上尾市", prefecture="埼玉県")
    with tenant_context(tenant.pk):
        tenant_setup.run_all(tenant.pk)
        tenant_setup.run_all(tenant.pk)  # idempotent
        topics = list(Topic.objects.filter(tenant=tenant).values_list("key", "name"))
    assert topics == [("general", "お知らせメール")]


def test_the_demo_binds_tokorozawa_indicators_to_its_two_lists(db):
    from sasaeai.core.demo import load_demo
    from sasaeai.plans.models import Indicator

    load_demo()
    tokorozawa = Tenant.objects.get(code="112089")
    with tenant_context(tokorozawa.pk):
        keys = set(Topic.objects.filter(tenant=tokorozawa).values_list("key", flat=True))
        assert {"hotmail", "volunteer_info"} <= keys
        bound = dict(
            Indicator.objects.filter(
                plan__tenant=tokorozawa, metric_key__startswith="subscriptions."
            ).values_list("name", "metric_key")
        )
    assert bound == {
        "ところざわほっとメール登録者数": "subscriptions.subscribers:hotmail",
        "ボランティア情報配信サービス登録者数": "subscriptions.subscribers:volunteer_info",
    }
    for code in ("112097", "112178"):
        tenant = Tenant.objects.get(code=code)
        with tenant_context(tenant.pk):
            assert Topic.objects.filter(tenant=tenant, key="general").exists()
