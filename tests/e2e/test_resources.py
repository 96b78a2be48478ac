"""A resident finds a こども食堂 near an address, on the list and the map, with no login and
no request leaving the machine; the map falls back to district boundaries without tiles."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from sasaeai.core.models import Tenant
from sasaeai.resources.models import MapSettings
from tests.e2e.test_smoke import ARTIFACTS, browser_page  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

GSI = "https://cyberjapandata.gsi.go.jp/"


def _metres(label: str) -> float:
    number = float(re.sub(r"[^\d.]", "", label))
    return number * 1000 if "km" in label else number


def test_resident_finds_childrens_cafeterias_near_an_address(
    live_server,
    transactional_db,
    browser_page,  # noqa: F811
):
    call_command("load_demo", verbosity=0)
    tokorozawa = Tenant.objects.get(code="112089")  # no map settings: the default
    page, base = browser_page, live_server.url
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{base}/map/112089/")
    # Before any search the whole directory is listed, and on the map.
    expect(page.locator(".place-item").first).to_be_visible()
    expect(page.locator("#resource-map")).to_have_attribute("data-mode", "offline")
    page.get_by_label("お探しのもの").fill("こども食堂")
    page.get_by_label("住所または郵便番号の近く").fill("所沢市並木1-3")
    page.get_by_role("button", name="検索").click()

    items = page.locator(".place-item")
    expect(items.first).to_be_visible()
    expect(page.get_by_test_id("origin")).to_contain_text("並木")
    count = items.count()
    assert count >= 3
    names = items.locator("h3").all_inner_texts()
    assert all("食堂" in name for name in names)
    distances = [_metres(label) for label in page.get_by_test_id("distance").all_inner_texts()]
    assert distances == sorted(distances) and len(distances) == count

    assert errors == []
    map_node = page.locator("#resource-map")
    expect(map_node).to_have_attribute("data-mode", "offline")
    expect(map_node).to_have_attribute("data-markers", str(count))
    expect(page.locator(".leaflet-overlay-pane path").first).to_be_attached()  # boundaries
    items.first.get_by_role("button", name="地図で表示").click()
    expect(items.first).to_have_class(re.compile("selected"))
    expect(page.locator(".leaflet-popup-content")).to_contain_text(names[0])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "resources-search.png"), full_page=True)

    items.first.locator("h3 a").click()
    expect(page.get_by_test_id("hours")).to_contain_text("毎月")
    assert outside == []

    # GSI tiles opted in but unreachable (a closed network): the map still works.
    MapSettings.objects.create(tenant=tokorozawa, tile_source="gsi")
    blocked = []
    page.route(f"{GSI}**", lambda route: (blocked.append(route.request.url), route.abort()))
    page.go_back()
    page.reload()
    expect(page.locator("#resource-map")).to_have_attribute("data-mode", "offline")
    expect(page.locator("#map-offline-note")).to_be_visible()
    assert blocked and all(url.startswith(GSI) for url in blocked)
    assert all(url.startswith(GSI) for url in outside)  # aborted in the browser, never sent
