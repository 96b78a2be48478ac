"""The public pages /notices/<code>/: no login, published notices only, ruby and versions."""

import pytest

from sasaeai.notices import services
from tests.notices.conftest import approve, make_notice


@pytest.fixture
def published(world, staff, no_channel):
    notice = make_notice(staff, title="小手指で集いを行います", body="民生委員がお越しをお待ちしています。",
                         easy_title="あつまり", easy_body="小手指で あつまります。",
                         title_en="Gathering", body_en="Come along.",
                         area_ids=[world.district.pk], audience_keys=["elderly"])  # fmt: skip
    approve(staff, notice)
    services.notice_publish(actor=staff, notice=notice)
    notice.refresh_from_db()
    return notice


def test_the_public_list_shows_published_notices_only(world, staff, published, client):
    make_notice(staff, title="下書きの知らせ")
    html = client.get("/notices/112097/").content.decode()
    assert "小手指で集いを行います" in html and "下書きの知らせ" not in html


def test_the_public_list_filters_by_area_and_audience(world, published, client):
    assert (
        "小手指で集い" in client.get(f"/notices/112097/?area={world.district.pk}").content.decode()
    )
    other = client.get(f"/notices/112097/?area={world.other_district.pk}").content.decode()
    assert "小手指で集い" not in other
    assert "小手指で集い" not in client.get("/notices/112097/?audience=youth").content.decode()
    assert "小手指で集い" in client.get("/notices/112097/?audience=elderly").content.decode()


def test_the_detail_is_plain_by_default_and_ruby_on_request(published, client):
    url = f"/notices/112097/{published.pk}/"
    plain = client.get(url)
    assert plain.status_code == 200 and "<ruby>" not in plain.content.decode()
    assert 'data-testid="ruby-toggle"' in plain.content.decode()
    assert "max-age=300" in plain["Cache-Control"]
    with_ruby = client.get(url + "?ruby=1").content.decode()
    assert "<ruby>越<rt>こ</rt></ruby>し" in with_ruby
    assert "<ruby>民生委員<rt>みんせいいいん</rt></ruby>" in with_ruby


def test_the_easy_japanese_and_english_versions(published, client):
    url = f"/notices/112097/{published.pk}/"
    easy = client.get(url + "?version=easy&ruby=1").content.decode()
    assert "あつまります" in easy and "<ruby>小手指<rt>こてさし</rt></ruby>" in easy
    english = client.get(url + "?version=en").content.decode()
    assert 'lang="en"' in english and "Come along." in english


def test_drafts_withdrawn_and_other_tenants_notices_are_not_found(
    world, staff, staff_b, published, client
):
    draft = make_notice(staff)
    assert client.get(f"/notices/112097/{draft.pk}/").status_code == 404
    assert client.get(f"/notices/112089/{published.pk}/").status_code == 404
    assert client.get("/notices/999999/").status_code == 404
    services.notice_withdraw(actor=staff, notice=published)
    assert client.get(f"/notices/112097/{published.pk}/").status_code == 404


def test_the_public_page_shows_no_staff_names(world, published, client):
    html = client.get(f"/notices/112097/{published.pk}/").content.decode()
    assert published.published_by.username not in html and "a-municipal_staff" not in html
