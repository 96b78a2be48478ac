"""The public directory: search, distance, open now, place pages, proposals, no login."""

from datetime import datetime, time
from io import BytesIO

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.resources import selectors
from sasaeai.resources.models import MapSettings, Proposal, ScheduleException, Service
from sasaeai.resources.selectors import PlaceFilters, fold_address, locate_address
from tests.resources.factories import make_service

pytestmark = pytest.mark.django_db


def search(tenant, **filters):
    with tenant_context(tenant.pk):
        return selectors.search_places(tenant.pk, PlaceFilters(**filters))


def names(places):
    return [p.service.name for p in places]


def test_kana_and_kanji_spellings_find_each_other(world):
    make_service(world.tenant_a, "子ども食堂ひまわり", kana="こどもしょくどうひまわり")
    make_service(world.tenant_a, "こども食堂あおぞら", kana="こどもしょくどうあおぞら")
    make_service(world.tenant_a, "子供食堂すみれ", kana="")
    make_service(world.tenant_a, "ふれあいサロン", kana="ふれあいさろん", categories=("salon",))
    for query in ("こども食堂", "子ども食堂", "コドモ食堂", "子供食堂", "ｺﾄﾞﾓ食堂"):
        found = names(search(world.tenant_a, query=query))
        assert sorted(found) == ["こども食堂あおぞら", "子ども食堂ひまわり", "子供食堂すみれ"], (
            query
        )
    # Readings find kanji names; every word of the query must match.
    assert names(search(world.tenant_a, query="さろん")) == ["ふれあいサロン"]
    assert names(search(world.tenant_a, query="こども すみれ")) == ["子供食堂すみれ"]


def test_search_never_crosses_tenants_or_shows_unpublished(world):
    make_service(world.tenant_a, "子ども食堂ひまわり")
    make_service(world.tenant_a, "子ども食堂しまい", published=False)
    make_service(world.tenant_b, "子ども食堂ところ", lat=35.8, lon=139.47)
    assert names(search(world.tenant_a, query="こども")) == ["子ども食堂ひまわり"]
    assert names(search(world.tenant_b, query="こども")) == ["子ども食堂ところ"]


def test_filters_by_category_audience_cost_and_access(world):
    make_service(world.tenant_a, "食堂A", audiences=",children,", is_free=True)
    make_service(world.tenant_a, "サロンB", categories=("salon",), audiences=",elderly,")
    make_service(world.tenant_a, "窓口C", categories=("consultation",), audiences=",everyone,")
    assert names(search(world.tenant_a, category="salon")) == ["サロンB"]
    # Places for everyone are for older people too.
    assert sorted(names(search(world.tenant_a, audience="elderly"))) == ["サロンB", "窓口C"]
    assert names(search(world.tenant_a, free_only=True)) == ["食堂A"]
    assert names(search(world.tenant_a, step_free=True)) == []


def test_weekday_filter_reads_the_schedule(world):
    make_service(
        world.tenant_a, "水曜の会", schedules=(("MONTHLY", "2WE,4WE", time(10), time(12)),)
    )
    make_service(
        world.tenant_a, "平日窓口", schedules=(("WEEKLY", "MO,TU,WE,TH,FR", time(9), time(17)),)
    )
    make_service(world.tenant_a, "土曜の会", schedules=(("WEEKLY", "SA", time(10), time(12)),))
    assert sorted(names(search(world.tenant_a, weekday=2))) == ["平日窓口", "水曜の会"]
    assert names(search(world.tenant_a, weekday=5)) == ["土曜の会"]


def test_open_now_applies_monthly_ordinals_holidays_and_exceptions(world):
    meeting = make_service(
        world.tenant_a, "第2水曜の会", schedules=(("MONTHLY", "2WE", time(10), time(12)),)
    )
    make_service(
        world.tenant_a, "平日窓口", schedules=(("WEEKLY", "MO,TU,WE,TH,FR", time(9), time(17)),)
    )
    tz = timezone.get_current_timezone()
    second_wednesday = datetime(2026, 11, 11, 10, 30, tzinfo=tz)
    fourth_wednesday = datetime(2026, 11, 25, 10, 30, tzinfo=tz)
    holiday_monday = datetime(2026, 11, 23, 10, 30, tzinfo=tz)  # 勤労感謝の日

    def open_at(moment):
        with tenant_context(world.tenant_a.pk):
            return names(
                selectors.search_places(world.tenant_a.pk, PlaceFilters(open_now=True), now=moment)
            )

    assert sorted(open_at(second_wednesday)) == ["平日窓口", "第2水曜の会"]
    assert open_at(fourth_wednesday) == ["平日窓口"]
    assert open_at(holiday_monday) == []
    ScheduleException.objects.create(
        tenant=world.tenant_a, service=meeting, date=second_wednesday.date(), is_closed=True
    )
    assert open_at(second_wednesday) == ["平日窓口"]


def test_open_now_finds_one_sided_hours_and_never_days_without_hours(world):
    make_service(world.tenant_a, "十時からの会", schedules=(("WEEKLY", "MO", time(10), None),))
    make_service(world.tenant_a, "十八時までの会", schedules=(("WEEKLY", "MO", None, time(18)),))
    make_service(world.tenant_a, "時間の書いていない会", schedules=(("WEEKLY", "MO", None, None),))
    monday = datetime(2026, 1, 19, 15, 0, tzinfo=timezone.get_current_timezone())
    with tenant_context(world.tenant_a.pk):
        found = selectors.search_places(world.tenant_a.pk, PlaceFilters(open_now=True), now=monday)
    assert sorted(names(found)) == ["十八時までの会", "十時からの会"]


def test_nearest_first_and_the_widening_box(world):
    origin = (36.0, 139.55)
    for index, km in enumerate((0.3, 1.5, 4.0, 12.0, 30.0)):
        make_service(world.tenant_a, f"食堂{index}", lat=origin[0] + km / 111.32, lon=origin[1])
    with tenant_context(world.tenant_a.pk):
        places = selectors.search_places(world.tenant_a.pk, PlaceFilters(near=origin), limit=3)
    assert names(places) == ["食堂0", "食堂1", "食堂2"]
    assert [round(p.distance_m / 100) for p in places] == [3, 15, 40]
    assert places[0].distance_label == "300 m"
    assert places[2].distance_label == "4.0 km"
    everything = search(world.tenant_a, near=origin)
    assert names(everything) == [f"食堂{i}" for i in range(5)]
    within = search(world.tenant_a, near=origin, radius_km=5)
    assert names(within) == ["食堂0", "食堂1", "食堂2"]


def test_address_folding_and_locating_without_a_geocoder(world):
    assert fold_address("並木一丁目2番地の3") == fold_address("並木１－２－３") == "並木1-2-3"
    assert fold_address("若宮十二丁目") == "若宮12"
    make_service(world.tenant_a, "A", address="埼玉県桶川市若宮1-5-9", lat=36.001, lon=139.551)
    make_service(world.tenant_a, "B", address="埼玉県桶川市若宮1-7-2", lat=36.003, lon=139.553)
    make_service(world.tenant_a, "C", address="埼玉県桶川市加納300", lat=36.02, lon=139.60)
    with tenant_context(world.tenant_a.pk):
        street = locate_address(world.tenant_a, "桶川市若宮一丁目5番")
        town = locate_address(world.tenant_a, "若宮2-1")
        area = locate_address(world.tenant_a, "加納地区のあたり")
        unknown = locate_address(world.tenant_a, "大阪市北区")
    assert (street.lat, street.lon, street.precision) == (36.001, 139.551, "address")
    assert town.precision == "town" and town.lat == pytest.approx(36.002)
    assert (area.lat, area.precision) == (pytest.approx(36.0), "area")  # 加納地区's centre
    assert unknown is None


def test_resident_page_without_login_sorted_by_distance(world):
    MapSettings.objects.create(tenant=world.tenant_a, tile_source="gsi")
    make_service(
        world.tenant_a, "遠いこども食堂", lat=36.05, lon=139.55, address="埼玉県桶川市川田谷1"
    )
    make_service(
        world.tenant_a, "近い子ども食堂", lat=36.0005, lon=139.55, address="埼玉県桶川市若宮1-5-9"
    )
    make_service(world.tenant_a, "サロン", categories=("salon",), address="埼玉県桶川市若宮1-5-1")
    response = Client().get(
        f"/map/{world.tenant_a.code}/", {"q": "こども食堂", "near": "桶川市若宮1-5"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("近い子ども食堂") < html.index("遠いこども食堂")
    assert "サロン" not in html.split('data-testid="place-list"')[1].split("</ol>")[0]
    data = response.context["map_data"]
    assert [p["name"] for p in data["places"]] == ["近い子ども食堂", "遠いこども食堂"]
    assert [p["n"] for p in data["places"]] == [1, 2]
    assert data["origin"] is not None
    # GSI tiles chosen: only that origin is added to the page's image sources.
    csp = response["Content-Security-Policy"]
    assert "img-src 'self' data: https://cyberjapandata.gsi.go.jp" in csp
    assert "script-src 'self';" in csp


def test_offline_tenant_has_no_tile_server_and_a_strict_csp(world):
    MapSettings.objects.create(tenant=world.tenant_a, tile_source="none")
    make_service(world.tenant_a)
    response = Client().get(f"/map/{world.tenant_a.code}/", {"q": "食堂"})
    assert response.context["map_data"]["config"]["tiles"] == ""
    assert "gsi" not in response["Content-Security-Policy"]
    assert (
        response.context["map_data"]["boundaries"]["features"][0]["properties"]["name"]
        == "桶川地区"
    )


def test_unknown_city_and_bad_position_are_handled(world):
    assert Client().get("/map/999999/").status_code == 404
    response = Client().get(f"/map/{world.tenant_a.code}/", {"lat": "100", "lon": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_address_not_found_says_so(world):
    make_service(world.tenant_a)
    response = Client().get(f"/map/{world.tenant_a.code}/", {"q": "食堂", "near": "大阪市北区梅田"})
    assert response.status_code == 200
    assert response.context["form"].errors["near"]


def test_place_page_shows_hours_next_time_and_is_public(world):
    service = make_service(world.tenant_a, "子ども食堂ひまわり")
    hidden = make_service(world.tenant_a, "非公開の会", published=False)
    other = make_service(world.tenant_b, "所沢の会")
    client = Client()
    page = client.get(f"/map/{world.tenant_a.code}/places/{service.uid}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "子ども食堂ひまわり" in html and "048-786-3211" in html
    assert 'data-testid="next-time"' in html
    assert client.get(f"/map/{world.tenant_a.code}/places/{hidden.uid}/").status_code == 404
    assert client.get(f"/map/{world.tenant_a.code}/places/{other.uid}/").status_code == 404


def test_public_proposal_is_plain_text_and_changes_nothing(world):
    service = make_service(world.tenant_a, "子ども食堂ひまわり")
    client = Client()
    response = client.post(
        f"/map/{world.tenant_a.code}/places/{service.uid}/propose/",
        {"kind": "correction", "body": '<script>alert(1)</script>開催日が第1土曜に変わりました',
         "proposer_name": "<b>山田</b>"},
    )  # fmt: skip
    assert response.status_code == 200
    proposal = Proposal.objects.get()
    assert proposal.service == service and proposal.status == "pending"
    service.refresh_from_db()
    assert service.name == "子ども食堂ひまわり"
    staff = world.client_for(world.user("municipal_staff"))
    page = staff.get(f"/resources/proposals/{proposal.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "&lt;b&gt;山田&lt;/b&gt;" in page


def test_proposal_needs_text_and_a_name_for_a_new_place(world):
    response = Client().post(
        f"/map/{world.tenant_a.code}/propose/", {"kind": "new_place", "body": ""}
    )
    assert response.status_code == 200
    assert Proposal.objects.count() == 0
    response = Client().post(
        f"/map/{world.tenant_a.code}/propose/",
        {"kind": "new_place", "body": "毎週土曜に開いています"},
    )
    assert Proposal.objects.count() == 0
    assert response.context["form"].errors


def test_print_map_is_an_a4_pdf(world):
    make_service(world.tenant_a, "子ども食堂ひまわり")
    response = Client().get(f"/map/{world.tenant_a.code}/print.pdf", {"area": world.district.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_resident_map_lists_every_place_paged_before_any_search(world):
    for number in range(35):
        make_service(world.tenant_a, f"サロン{number:02d}", kana=f"さろん{number:02d}")
    first = Client().get(f"/map/{world.tenant_a.code}/")
    assert first.status_code == 200
    assert first.context["total"] == 35
    assert [p.service.name for p in first.context["page"]][:2] == ["サロン00", "サロン01"]
    assert len(first.context["map_data"]["places"]) == 30
    second = Client().get(f"/map/{world.tenant_a.code}/", {"page": 2})
    assert [p.number for p in second.context["page"]] == [31, 32, 33, 34, 35]
    assert "サロン34" in second.content.decode()


def test_bare_print_url_prints_the_whole_directory(world):
    make_service(world.tenant_a, "子ども食堂ひまわり")
    make_service(world.tenant_a, "ふれあいサロン", kana="ふれあいさろん", categories=("salon",))
    response = Client().get(f"/map/{world.tenant_a.code}/print.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "子ども食堂ひまわり" in text and "ふれあいサロン" in text


def test_default_map_uses_the_offline_background_and_no_outside_origin(world):
    make_service(world.tenant_a)
    response = Client().get(f"/map/{world.tenant_a.code}/")
    assert response.context["map_data"]["config"]["tiles"] == ""
    assert "gsi" not in response["Content-Security-Policy"]
    place = Client().get(f"/map/{world.tenant_a.code}/places/{Service.objects.get().uid}/")
    assert place.context["map_data"]["config"]["tiles"] == ""


def test_map_settings_page_says_gsi_tiles_need_the_internet(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    page = client.get("/resources/map-settings/")
    assert page.status_code == 200
    assert MapSettings().tile_source == "none"
    assert "インターネット" in page.content.decode()


def test_place_page_never_says_open_for_a_day_without_hours_and_shows_the_note(world):
    service = make_service(
        world.tenant_a, "若宮公民館", schedules=(("WEEKLY", "MO,TU,WE,TH,FR,SA,SU", None, None),)
    )
    service.schedules.update(notes="土日祝18時まで")
    url = f"/map/{world.tenant_a.code}/places/{service.uid}/"
    page = Client().get(url)
    hours = page.content.decode().split('data-testid="hours"')[1].split("</dd>")[0]
    assert page.context["hours"]["state"] == "unknown"
    assert "今開いている" not in hours and "今は閉まっています" not in hours
    assert "土日祝18時まで" in hours
    assert names(search(world.tenant_a, open_now=True)) == []
