"""Staff pages and API: who may see them, counts, searching an address (audited), marking
bounced, topics, and the navigation entry."""

import pytest

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.subscriptions.models import Subscriber, SubscriberStatus, Topic
from tests.subscriptions.conftest import make_subscriber

pytestmark = pytest.mark.django_db

MANAGERS = [Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF, Role.VOLUNTEER_COORDINATOR]
OTHERS = [r for r in Role if r not in MANAGERS]


@pytest.fixture
def filled(world, topics):
    with tenant_context(world.tenant_a.pk):
        make_subscriber(world.tenant_a, "one@example.jp", [topics["news"], topics["volunteer"]])
        make_subscriber(world.tenant_a, "two@example.jp", [topics["news"]])
        make_subscriber(world.tenant_a, "wait@example.jp", [topics["news"]],
                        status=SubscriberStatus.PENDING)  # fmt: skip
    with tenant_context(world.tenant_b.pk):
        make_subscriber(world.tenant_b, "one@example.jp", [topics["other"]])


@pytest.mark.parametrize("role", MANAGERS)
def test_managers_see_topics_with_confirmed_counts(world, filled, role):
    response = world.client_for(world.user(role)).get("/subscriptions/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="confirmed-news">2<' in page
    assert 'data-testid="confirmed-volunteer">1<' in page
    assert "所沢のお知らせ" not in page


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_are_refused(world, filled, role):
    client = world.client_for(world.user(role))
    assert client.get("/subscriptions/").status_code == 403
    assert client.get("/subscriptions/subscribers/?q=example").status_code == 403
    assert client.get("/api/v1/subscriptions/topics").status_code == 403


def test_the_navigation_shows_the_module_to_managers_only(world):
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get("/").content.decode()
    csw = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER)).get("/").content.decode()
    assert 'href="/subscriptions/"' in staff and 'href="/subscriptions/"' not in csw


def test_searching_an_address_shows_this_tenants_rows_and_audits_each(world, filled):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    before = AuditEntry.objects.filter(action="read").count()
    page = client.get("/subscriptions/subscribers/?q=one@").content.decode()
    assert page.count("one@example.jp") == 1
    reads = AuditEntry.objects.filter(action="read").order_by("pk")[before:]
    assert [(e.object_type, e.tenant_id) for e in reads] == [
        ("subscriptions.subscriber", world.tenant_a.pk)
    ]
    # Two characters list nobody: staff look up an address, they do not browse the list.
    assert "example.jp" not in client.get("/subscriptions/subscribers/?q=on").content.decode()


def test_another_tenants_subscriber_is_404(world, filled):
    with tenant_context(world.tenant_b.pk):
        other = Subscriber.objects.get(tenant=world.tenant_b)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert client.get(f"/subscriptions/subscribers/{other.pk}/").status_code == 404
    assert client.post(f"/subscriptions/subscribers/{other.pk}/bounced/").status_code == 404


def test_staff_mark_an_address_bounced(world, filled):
    with tenant_context(world.tenant_a.pk):
        row = Subscriber.objects.get(tenant=world.tenant_a, email="two@example.jp")
    client = world.client_for(world.user(Role.VOLUNTEER_COORDINATOR))
    detail = client.get(f"/subscriptions/subscribers/{row.pk}/")
    assert 'data-testid="mark-bounced"' in detail.content.decode()
    client.post(f"/subscriptions/subscribers/{row.pk}/bounced/")
    with tenant_context(world.tenant_a.pk):
        row.refresh_from_db()
    assert row.status == SubscriberStatus.BOUNCED


def test_staff_create_a_topic_and_cannot_change_its_key(world):
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    response = client.post("/subscriptions/topics/new/",
                           {"key": "disaster", "name": "防災メール", "order": 5, "active": "on"})  # fmt: skip
    assert response.status_code == 302
    with tenant_context(world.tenant_a.pk):
        topic = Topic.objects.get(tenant=world.tenant_a, key="disaster")
    client.post(f"/subscriptions/topics/{topic.pk}/",
                {"key": "changed", "name": "防災・防犯メール", "order": 5})  # fmt: skip
    with tenant_context(world.tenant_a.pk):
        topic.refresh_from_db()
    assert (topic.key, topic.name, topic.active) == ("disaster", "防災・防犯メール", False)
    duplicate = client.post(
        "/subscriptions/topics/new/", {"key": "disaster", "name": "x", "order": 0}
    )
    assert duplicate.status_code == 200


def test_the_counts_export_and_api_give_counts_and_no_addresses(world, filled):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    csv = client.get("/subscriptions/counts.csv").content.decode("utf-8-sig")
    assert "news,お知らせ,2,1" in csv and "@" not in csv
    api = client.get("/api/v1/subscriptions/topics").json()
    assert [(t["key"], t["confirmed"], t["waiting"]) for t in api] == [
        ("news", 2, 1), ("volunteer", 1, 0)
    ]  # fmt: skip
