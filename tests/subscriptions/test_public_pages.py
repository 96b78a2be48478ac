"""The residents' pages: double opt-in, no enumeration, expired links, one-click opt-out."""

import datetime

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from sasaeai.core.tenancy import tenant_context
from sasaeai.subscriptions.models import Subscriber, SubscriberStatus
from tests.subscriptions.conftest import link_in, make_subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(world, topics, django_capture_on_commit_callbacks):
    def post(email, *, topic_keys=("news",), client=None, **extra):
        client = client or Client()
        data = {"email": email, "topics": list(topic_keys), "language": "ja", **extra}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/mail/{world.tenant_a.code}/", data)

    return post


def subscriber(world, email):
    with tenant_context(world.tenant_a.pk):
        return Subscriber.objects.get(tenant=world.tenant_a, email=email)


def test_the_form_is_public_and_carries_its_test_ids(world, topics):
    response = Client().get(f"/mail/{world.tenant_a.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="subscribe-form"' in page and 'data-testid="subscribe-submit"' in page
    assert "お知らせ" in page and "所沢のお知らせ" not in page


def test_an_unknown_city_code_is_404():
    assert Client().get("/mail/999999/").status_code == 404


def test_subscribing_sends_a_link_and_nothing_is_mailed_before_it_is_used(world, topics, submit):
    response = submit("Hanako@Example.JP ")
    assert response.status_code == 302
    assert response["Location"] == f"/mail/{world.tenant_a.code}/sent/"
    row = subscriber(world, "Hanako@example.jp")  # domain lower-cased, local part kept
    assert row.status == SubscriberStatus.PENDING
    assert len(row.confirm_token_hash) == 64
    assert len(mail.outbox) == 1
    path = link_in(mail.outbox[0].body, "confirm")
    assert path.split("/")[-2] not in row.confirm_token_hash  # only the hash is stored


def test_the_confirmation_link_asks_for_a_button_press_and_then_confirms(world, topics, submit):
    submit("taro@example.jp")
    path = link_in(mail.outbox[0].body, "confirm")
    client = Client(enforce_csrf_checks=True)
    page = client.get(path)  # what a mail scanner does
    assert page.status_code == 200 and 'data-testid="confirm-subscription"' in page.content.decode()
    assert subscriber(world, "taro@example.jp").status == SubscriberStatus.PENDING
    token = page.cookies["csrftoken"].value
    done = client.post(path, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200
    row = subscriber(world, "taro@example.jp")
    assert row.status == SubscriberStatus.CONFIRMED and row.confirmed_at is not None
    assert row.confirm_token_hash == ""
    again = Client().post(path)
    assert again.status_code == 410
    assert "もう一度" in again.content.decode() or "再度" in again.content.decode()


def test_an_expired_link_shows_a_japanese_page_with_a_way_to_subscribe_again(world, topics, submit):
    submit("late@example.jp")
    path = link_in(mail.outbox[0].body, "confirm")
    with tenant_context(world.tenant_a.pk):
        Subscriber.objects.filter(email="late@example.jp").update(
            confirm_expires_at=timezone.now() - datetime.timedelta(minutes=1)
        )
    for response in (Client().get(path), Client().post(path)):
        assert response.status_code == 410
        page = response.content.decode()
        assert "このリンクは使えなくなりました" in page
        assert f'href="/mail/{world.tenant_a.code}/"' in page
    assert subscriber(world, "late@example.jp").status == SubscriberStatus.PENDING


def test_the_answer_is_the_same_whether_the_address_exists_or_not(world, topics, submit):
    with tenant_context(world.tenant_a.pk):
        make_subscriber(world.tenant_a, "known@example.jp", [topics["news"]])
    new = submit("unknown@example.jp")
    known = submit("known@example.jp", topic_keys=("volunteer",))
    assert (new.status_code, new["Location"]) == (known.status_code, known["Location"])
    sent_page = Client().get(new["Location"]).content.decode()
    assert "known@example.jp" not in sent_page
    # The confirmed subscriber's topics are untouched; only its owner hears of the attempt.
    row = subscriber(world, "known@example.jp")
    assert row.status == SubscriberStatus.CONFIRMED
    assert list(row.subscriptions.values_list("topic__key", flat=True)) == ["news"]
    to_known = [m for m in mail.outbox if m.to == ["known@example.jp"]]
    assert len(to_known) == 1 and "/preferences/" in to_known[0].body


def test_a_second_request_within_minutes_sends_no_second_mail(world, topics, submit):
    submit("twice@example.jp")
    submit("twice@example.jp")
    assert len(mail.outbox) == 1
    # The first link is still the valid one.
    assert Client().get(link_in(mail.outbox[0].body, "confirm")).status_code == 200


@override_settings(SUBSCRIPTIONS_REQUESTS_PER_HOUR=2)
def test_one_sender_filling_the_form_again_and_again_is_slowed_down(world, topics, submit):
    client = Client()
    assert submit("a1@example.jp", client=client).status_code == 302
    assert submit("a2@example.jp", client=client).status_code == 302
    refused = submit("a3@example.jp", client=client)
    assert refused.status_code == 429
    assert len(mail.outbox) == 2


def test_bad_input_shows_japanese_errors_and_saves_nothing(world, topics, submit):
    response = submit("not-an-address", topic_keys=())
    assert response.status_code == 200
    page = response.content.decode()
    assert "有効なメールアドレスを入力してください" in page
    assert "少なくとも1つ" in page or "1つ以上" in page
    with tenant_context(world.tenant_a.pk):
        assert not Subscriber.objects.exists()
    # Another city's topic is not on offer here.
    other = submit("x@example.jp", topic_keys=("nonexistent",))
    assert other.status_code == 200
    assert len(mail.outbox) == 0


def test_one_click_unsubscribe_works_without_a_csrf_token(world, topics):
    with tenant_context(world.tenant_a.pk):
        row = make_subscriber(world.tenant_a, "click@example.jp", [topics["news"]])
    from sasaeai.subscriptions import tokens

    url = tokens.unsubscribe_url(world.tenant_a.code, world.tenant_a.pk, row.pk)
    path = url.removeprefix("http://localhost:8000")
    client = Client(enforce_csrf_checks=True)
    page = client.get(path)
    assert page.status_code == 200 and 'data-testid="unsubscribe"' in page.content.decode()
    assert subscriber(world, "click@example.jp").status == SubscriberStatus.CONFIRMED
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    row = subscriber(world, "click@example.jp")
    assert row.status == SubscriberStatus.UNSUBSCRIBED and row.unsubscribed_at is not None


def test_an_unsubscribe_link_of_one_city_does_nothing_in_another(world, topics):
    from sasaeai.subscriptions import tokens

    with tenant_context(world.tenant_a.pk):
        row = make_subscriber(world.tenant_a, "iso@example.jp", [topics["news"]])
    token = tokens.subscriber_token(world.tenant_a.pk, row.pk)
    response = Client().post(f"/mail/{world.tenant_b.code}/unsubscribe/{token}/")
    assert response.status_code == 404
    tampered = Client().post(f"/mail/{world.tenant_a.code}/unsubscribe/{row.pk}:forged/")
    assert tampered.status_code == 404
    assert subscriber(world, "iso@example.jp").status == SubscriberStatus.CONFIRMED


def test_a_subscriber_changes_topics_and_language_from_the_link(world, topics):
    from sasaeai.subscriptions import tokens

    with tenant_context(world.tenant_a.pk):
        row = make_subscriber(world.tenant_a, "pref@example.jp", [topics["news"]])
    path = tokens.preferences_url(world.tenant_a.code, world.tenant_a.pk, row.pk).removeprefix(
        "http://localhost:8000"
    )
    page = Client().get(path).content.decode()
    assert "p***@example.jp" in page and "pref@example.jp" not in page
    response = Client().post(
        path, {"topics": ["volunteer"], "language": "en", "areas": [world.district.pk]}
    )
    assert 'data-testid="preferences-saved"' in response.content.decode()
    row = subscriber(world, "pref@example.jp")
    assert row.language == "en"
    assert list(row.subscriptions.values_list("topic__key", flat=True)) == ["volunteer"]
    assert list(row.areas.values_list("area_id", flat=True)) == [world.district.pk]


def test_a_bounced_address_can_subscribe_again_and_must_confirm_again(world, topics, submit):
    with tenant_context(world.tenant_a.pk):
        make_subscriber(world.tenant_a, "back@example.jp", [topics["news"]],
                        status=SubscriberStatus.BOUNCED, soft_bounces=3)  # fmt: skip
    submit("back@example.jp")
    assert subscriber(world, "back@example.jp").status == SubscriberStatus.PENDING
    Client().post(link_in(mail.outbox[0].body, "confirm"))
    row = subscriber(world, "back@example.jp")
    assert row.status == SubscriberStatus.CONFIRMED and row.soft_bounces == 0
