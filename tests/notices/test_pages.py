"""The staff pages under /notices/: permissions, readings review, publishing, dictionary, flyer."""

import io

import pytest
from pypdf import PdfReader

from sasaeai.accounts.models import Role
from sasaeai.notices import selectors
from sasaeai.notices.models import Notice, NoticeStatus, ReadingEntry
from tests.notices.conftest import approve, make_notice


@pytest.fixture
def client(world):
    return world.client_for(world.user(Role.MUNICIPAL_STAFF))


@pytest.mark.parametrize("role", [Role.WELFARE_COMMISSIONER])
def test_a_commissioner_cannot_open_the_notices_pages(world, role, staff, no_channel):
    notice = make_notice(staff)
    client = world.client_for(world.user(role))
    for url in ["/notices/", "/notices/new/", f"/notices/manage/{notice.pk}/",
                f"/notices/manage/{notice.pk}/readings/", "/notices/dictionary/"]:  # fmt: skip
        assert client.get(url).status_code in (403, 404), url


def test_every_staff_role_may_manage_notices(world, no_channel):
    for role in [Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF, Role.COMMUNITY_SOCIAL_WORKER,
                 Role.VOLUNTEER_COORDINATOR, Role.SYSTEM_ADMIN]:  # fmt: skip
        assert world.client_for(world.user(role)).get("/notices/").status_code == 200, role


def test_another_tenants_notice_does_not_exist(world, staff_b, no_channel):
    notice = make_notice(staff_b)
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    assert client.get(f"/notices/manage/{notice.pk}/").status_code == 404
    assert client.get(f"/notices/manage/{notice.pk}/readings/").status_code == 404
    assert client.get(f"/notices/manage/{notice.pk}/flyer.pdf").status_code == 404
    assert client.post(f"/notices/manage/{notice.pk}/publish/").status_code == 404


def test_staff_write_a_notice_with_a_target_from_the_channel(world, client, channel):
    page = client.get("/notices/new/")
    assert "催し" in page.content.decode()  # topics come from the channel
    response = client.post("/notices/new/", {
        "title": "小手指の集い", "body": "民生委員が伺います。", "topic_keys": ["events"],
        "area_ids": [world.district.pk], "audience_keys": ["elderly"],
    })  # fmt: skip
    notice = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/notices/manage/{notice.pk}/"
    assert notice.topic_keys == ["events"] and notice.area_ids == [world.district.pk]


def test_the_readings_page_lists_every_word_and_requires_the_unknown_ones(
    world, client, staff, channel
):
    notice = make_notice(staff, body="龘山さんと民生委員がお越しになります。")
    page = client.get(f"/notices/manage/{notice.pk}/readings/")
    html = page.content.decode()
    assert html.count('data-testid="reading-row"') == len(selectors.readings_review(notice).words)
    assert 'data-source="unknown"' in html and "required" in html
    assert 'data-testid="approve-readings"' in html
    words = selectors.readings_review(notice).words
    data = {"text_hash": notice.text_hash()}
    for index, word in enumerate(words):
        data[f"surface-{index}"] = word.surface
        data[f"reading-{index}"] = word.reading or ""
    refused = client.post(f"/notices/manage/{notice.pk}/readings/", data)
    assert refused.status_code == 400 and "龘山" in refused.content.decode()
    unknown = next(i for i, w in enumerate(words) if w.surface == "龘山")
    data[f"reading-{unknown}"] = "ほうざん"
    data[f"dictionary-{unknown}"] = "on"
    done = client.post(f"/notices/manage/{notice.pk}/readings/", data)
    assert done.status_code == 302 and done["Location"] == f"/notices/manage/{notice.pk}/"
    notice.refresh_from_db()
    assert notice.readings_approved
    assert ReadingEntry.objects.get(surface="龘山").reading == "ほうざん"


def test_publishing_without_approved_readings_points_to_the_readings_page(
    world, client, staff, channel
):
    notice = make_notice(staff, topic_keys=["events"])
    response = client.post(f"/notices/manage/{notice.pk}/publish/")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="publish-error"' in html
    assert f"/notices/manage/{notice.pk}/readings/" in html
    assert channel.sent == []


def test_a_target_matching_no_one_warns_and_offers_the_site_only(world, client, staff, channel):
    channel.recipients = 0
    notice = approve(staff, make_notice(staff, topic_keys=["care"]))
    detail = client.get(f"/notices/manage/{notice.pk}/").content.decode()
    assert 'data-testid="no-recipients"' in detail and 'data-testid="site-only"' in detail
    refused = client.post(f"/notices/manage/{notice.pk}/publish/")
    assert refused.status_code == 400
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT
    done = client.post(f"/notices/manage/{notice.pk}/publish/", {"site_only": "on"})
    assert done.status_code == 302
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED and channel.sent == []


def test_publishing_sends_and_links_to_the_job(world, client, staff, channel):
    notice = approve(staff, make_notice(staff, topic_keys=["events"]))
    detail = client.get(f"/notices/manage/{notice.pk}/").content.decode()
    assert 'data-testid="recipient-count"' in detail and 'data-testid="publish-notice"' in detail
    client.post(f"/notices/manage/{notice.pk}/publish/")
    assert len(channel.sent) == 1
    detail = client.get(f"/notices/manage/{notice.pk}/").content.decode()
    assert "/jobs/4242/" in detail


def test_editing_the_text_warns_that_the_readings_must_be_approved_again(
    world, client, staff, no_channel
):
    notice = approve(staff, make_notice(staff))
    response = client.post(f"/notices/manage/{notice.pk}/edit/",
                           {"title": notice.title, "body": "新しい本文です。"}, follow=True)  # fmt: skip
    assert "again" in response.content.decode() or "もう一度" in response.content.decode()
    notice.refresh_from_db()
    assert not notice.readings_approved


def test_withdrawing_from_the_page(world, client, staff, no_channel):
    notice = approve(staff, make_notice(staff))
    client.post(f"/notices/manage/{notice.pk}/publish/")
    client.post(f"/notices/manage/{notice.pk}/withdraw/")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN


def test_the_dictionary_page_adds_edits_imports_and_deletes(world, client):
    assert (
        client.post(
            "/notices/dictionary/", {"surface": "椿峰", "reading": "つばきみね"}
        ).status_code
        == 302
    )
    bad = client.post("/notices/dictionary/", {"surface": "小手指", "reading": "kote"})
    assert bad.status_code == 200 and not ReadingEntry.objects.filter(surface="小手指").exists()
    entry = ReadingEntry.objects.get(surface="椿峰")
    client.post(f"/notices/dictionary/{entry.pk}/edit/", {"surface": "椿峰", "reading": "つばきね"})
    entry.refresh_from_db()
    assert entry.reading == "つばきね"
    upload = io.BytesIO("表記,よみ,メモ\n小手指,こてさし,地名\n".encode("cp932"))
    upload.name = "dictionary.csv"
    client.post("/notices/dictionary/import/", {"file": upload})
    assert ReadingEntry.objects.get(surface="小手指").reading == "こてさし"
    assert not ReadingEntry.objects.filter(surface="表記").exists()  # the header row
    client.post(f"/notices/dictionary/{entry.pk}/delete/")
    assert not ReadingEntry.objects.filter(pk=entry.pk).exists()


def test_the_flyer_is_an_a4_pdf_with_the_text_and_a_qr_code(world, client, staff, no_channel):
    notice = make_notice(staff, title="小手指の集い", body="民生委員が伺います。" * 40)
    response = client.get(f"/notices/manage/{notice.pk}/flyer.pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    page = reader.pages[0]
    assert round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    assert "小手指の集い" in text and "桶川市" in text
    assert f"http://localhost:8000/notices/112097/{notice.pk}/" in text
    assert len(page.images) + sum(len(p.images) for p in reader.pages[1:]) >= 1


def test_the_api_lists_the_tenants_notices_for_staff_only(world, staff, staff_b, no_channel):
    mine = make_notice(staff)
    make_notice(staff_b)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    body = client.get("/api/v1/notices").json()
    assert [row["id"] for row in body["items"]] == [mine.pk]
    assert client.get(f"/api/v1/notices/{mine.pk}").json()["readings_approved"] is False
    commissioner = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    assert commissioner.get("/api/v1/notices").status_code == 403


def test_the_list_pages_read_a_fixed_number_of_queries(
    world, client, staff, no_channel, django_assert_max_num_queries
):
    from django.test import Client

    from sasaeai.notices import services

    def publish_one(title):
        notice = approve(staff, make_notice(staff, title=title))
        services.notice_publish(actor=staff, notice=notice)

    publish_one("一つ目")
    with django_assert_max_num_queries(40) as few:
        client.get("/notices/")
    public = Client()
    with django_assert_max_num_queries(20) as few_public:
        public.get("/notices/112097/")
    for number in range(6):
        publish_one(f"知らせ{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/notices/")
    with django_assert_max_num_queries(len(few_public.captured_queries)):
        public.get("/notices/112097/")


def test_the_api_answers_404_in_the_error_shape_for_another_tenants_notice(
    world, staff_b, no_channel
):
    other = make_notice(staff_b)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(f"/api/v1/notices/{other.pk}")
    assert response.status_code == 404 and "error" in response.json()


def test_without_a_mailing_module_the_page_says_the_notice_goes_to_the_website_only(
    world, client, staff, no_channel
):
    notice = approve(staff, make_notice(staff))
    html = client.get(f"/notices/manage/{notice.pk}/").content.decode()
    assert 'data-testid="site-only"' not in html and 'data-testid="publish-notice"' in html
    response = client.post(f"/notices/manage/{notice.pk}/publish/", follow=True)
    assert "メール配信は使えません" in response.content.decode()
