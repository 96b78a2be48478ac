"""The printable area map (mapprint): the PDF, and the projection, fit, scale bar and markers."""

import io
import math
import re
from datetime import date

import pytest
from django.utils.translation import gettext, override
from pypdf import PdfReader

from sasaeai.core.fiscal import wareki_date
from sasaeai.resources.mapprint import (
    MapFit,
    PrintPlace,
    fit_extent,
    inverse_mercator,
    map_extent,
    mercator,
    place_markers,
    render_area_map_pdf,
    scale_bar,
)

PRINTED_ON = date(2026, 11, 22)
OKEGAWA = (35.9998, 139.5585)  # (lat, lon), near 桶川市役所
CATEGORIES = [
    ("居場所・サロン", "#e53935"),
    ("相談窓口", "#1e88e5"),
    ("こども食堂", "#fdd835"),
    ("介護予防", "#43a047"),
]


def square(lat, lon, half=0.01):
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def place(number, *, lat=None, lon=None, name=None, category=0):
    category_name, colour = CATEGORIES[category % len(CATEGORIES)]
    return PrintPlace(
        number=number,
        name=name or f"ふれあいサロン第{number}",
        category=category_name,
        colour=colour,
        address=f"桶川市若宮{number}丁目{number}番",
        phone=f"048-786-{number:04d}",
        hours="月〜金 9:00〜17:00\n第2土曜 10:00〜12:00",
        lat=lat,
        lon=lon,
    )


def grid_places(count, *, every_unpositioned=0):
    """count places on a grid inside the square around OKEGAWA; every n-th without a position."""
    places = []
    for number in range(1, count + 1):
        lat = OKEGAWA[0] - 0.008 + (number % 11) * 0.0015
        lon = OKEGAWA[1] - 0.008 + (number % 13) * 0.0012
        if every_unpositioned and number % every_unpositioned == 0:
            lat = lon = None
        places.append(place(number, lat=lat, lon=lon, category=number))
    return places


def haversine(lat1, lon1, lat2, lon2):
    radius = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_texts(data: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return "".join(page_texts(data))


def fonts_showing_text(page) -> set[str]:
    """The font resources a page's text-showing operators (Tj, TJ, ', ") are drawn in."""
    current, used = None, set()
    operators = re.compile(rb"(/[^\s/\[\]()<>]+)\s+[\d.]+\s+Tf|[)\]>]\s*(?:Tj|TJ|'|\")")
    for match in operators.finditer(page.get_contents().get_data()):
        if match.group(1):
            current = match.group(1).decode()
        elif current:
            used.add(current)
    return used


def render(places, *, boundaries=None, **kwargs):
    kwargs.setdefault("title", "桶川地区 地域の通いの場マップ")
    kwargs.setdefault("subtitle", "桶川地区　桶川市")
    kwargs.setdefault("attribution", "境界: テスト用の区域")
    return render_area_map_pdf(
        places=places,
        boundaries=[square(*OKEGAWA)] if boundaries is None else boundaries,
        printed_on=PRINTED_ON,
        **kwargs,
    )


@pytest.fixture
def ja():
    with override("ja"):
        yield


# --- the PDF --------------------------------------------------------------------------------


def test_the_pdf_is_a4_with_the_title_date_and_every_place_numbered(ja):
    places = grid_places(8)
    data = render(places, context_boundaries=[square(OKEGAWA[0], OKEGAWA[1] + 0.02)])
    reader = PdfReader(io.BytesIO(data))
    assert data.startswith(b"%PDF-")
    for page in reader.pages:
        assert abs(float(page.mediabox.width) - 595) < 1
        assert abs(float(page.mediabox.height) - 842) < 1
    text = pdf_text(data)
    assert flat("桶川地区 地域の通いの場マップ") in text
    assert flat("桶川地区　桶川市") in text
    assert wareki_date(PRINTED_ON) == "令和8年11月22日"
    assert flat(gettext("As of %(date)s") % {"date": "令和8年11月22日"}) in text
    assert "境界:テスト用の区域" in text
    assert reader.metadata.title == "桶川地区 地域の通いの場マップ"
    for p in places:
        # The number heads its row, followed by the name; the address and phone are there too.
        assert f"{p.number}{flat(p.name)}" in text
        assert flat(p.address) in text
        assert p.phone in text
        assert p.category in text
    assert "第2土曜10:00〜12:00" in text
    assert flat(gettext("Legend")) in text
    assert gettext("Not shown on the map") not in text  # all eight are inside the area


def test_the_pdf_embeds_ipaex_gothic_and_no_other_font(ja):
    data = render(grid_places(30, every_unpositioned=7))
    reader = PdfReader(io.BytesIO(data))
    embedded, used = set(), set()
    for page in reader.pages:
        fonts = {key: ref.get_object() for key, ref in page["/Resources"]["/Font"].items()}
        for font in fonts.values():
            assert "IPAexGothic" in str(font["/BaseFont"])  # not even an unused Helvetica
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.add(str(font["/BaseFont"]))
        used |= {str(fonts[key]["/BaseFont"]) for key in fonts_showing_text(page)}
    assert embedded and all("IPAexGothic" in name for name in embedded)
    assert used and used <= embedded


def test_a_long_list_runs_over_several_pages_with_its_header_repeated(ja):
    places = grid_places(120)
    texts = page_texts(render(places))
    assert len(texts) >= 4
    text = "".join(texts)
    for p in places:
        assert f"{p.number}{flat(p.name)}" in text
    header = flat(gettext("Address")) + flat(gettext("Phone"))
    assert all(header in page for page in texts[1:])  # the list's pages each start with it
    for number, page in enumerate(texts, start=1):
        footer = gettext("Page %(number)s of %(total)s") % {"number": number, "total": len(texts)}
        assert flat(footer) in page


def test_places_without_a_position_or_outside_the_area_are_listed_as_not_on_the_map(ja):
    places = grid_places(20, every_unpositioned=5)  # 5, 10, 15, 20 have no position
    far = place(21, lat=35.6812, lon=139.7671, name="東京駅前の窓口")  # far outside the map
    data = render([*places, far])
    text = pdf_text(data)
    note = flat(gettext("Not shown on the map"))
    assert text.count(note) == 5
    for number in (5, 10, 15, 20):
        assert f"{number}{flat(places[number - 1].name)}（{note}）" in text
    assert f"21東京駅前の窓口（{note}）" in text
    assert f"4{flat(places[3].name)}（{note}）" not in text


def test_with_neither_a_boundary_nor_a_position_only_the_list_is_printed(ja):
    places = [place(1, name="訪問相談"), place(2, name="電話相談")]
    data = render(places, boundaries=[])
    text = pdf_text(data)
    assert flat(gettext("List of places")) in text
    assert "1訪問相談" in text and "2電話相談" in text
    assert text.count(flat(gettext("Not shown on the map"))) == 2
    assert flat(gettext("Legend")) not in text
    no_map = gettext(
        "No map is printed: no area boundary was given and none of the places has a position."
    )
    assert flat(no_map) in text


def test_without_boundaries_the_map_is_fitted_to_the_places(ja):
    data = render([place(1, lat=35.99, lon=139.55), place(2, lat=36.01, lon=139.57)], boundaries=[])
    text = pdf_text(data)
    assert flat(gettext("Legend")) in text
    assert flat(gettext("Not shown on the map")) not in text


def test_an_area_without_places_and_feature_boundaries_render(ja):
    feature = {"type": "Feature", "properties": {}, "geometry": square(*OKEGAWA)}
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            square(OKEGAWA[0], OKEGAWA[1] + 0.03)["coordinates"],
            square(OKEGAWA[0] + 0.03, OKEGAWA[1])["coordinates"],
        ],
    }
    data = render([], boundaries=[feature, multi])
    assert flat(gettext("There are no places to list.")) in pdf_text(data)
    odd = PrintPlace(1, "色の無い場所", "", "red", "", "", "", *OKEGAWA)  # not #rrggbb
    assert "1色の無い場所" in pdf_text(render([odd], boundaries=[feature]))


# --- projection, fit, scale bar, markers ---------------------------------------------------


def test_web_mercator_matches_epsg_3857_and_inverts():
    assert mercator(0, 180)[0] == pytest.approx(20037508.34, abs=0.01)
    assert mercator(45, 0)[1] == pytest.approx(5621521.49, abs=0.01)
    x, y = mercator(*OKEGAWA)
    assert x == pytest.approx(15535626.0, abs=50)
    assert inverse_mercator(x, y) == pytest.approx(OKEGAWA, abs=1e-9)


def test_the_fit_puts_the_area_inside_the_frame_at_one_scale_and_centred():
    frame = (40.0, 300.0, 500.0, 400.0)  # x, y, width, height
    extent = map_extent([square(*OKEGAWA)], [])
    fit = fit_extent(extent, frame, margin=10)
    assert isinstance(fit, MapFit)
    # A known point inside the area lands inside the frame, north up and east right.
    x, y = fit.project(OKEGAWA[0] + 0.004, OKEGAWA[1] - 0.006)
    assert 40 < x < 540 and 300 < y < 700
    cx, cy = fit.project(*OKEGAWA)
    assert cx == pytest.approx(290, abs=0.01) and cy == pytest.approx(500, abs=0.5)
    assert x < cx and y > cy
    # The area's corners: inside the frame less its margin; the tighter axis is filled.
    west, south = fit.project(OKEGAWA[0] - 0.01, OKEGAWA[1] - 0.01)
    east, north = fit.project(OKEGAWA[0] + 0.01, OKEGAWA[1] + 0.01)
    assert 50 <= west < east <= 530 and 310 <= south < north <= 690
    assert north - south == pytest.approx(380 / 1.1, rel=1e-3)  # 5 % padding on each side
    # One scale on both axes: the square keeps its Web Mercator aspect (wider than tall in
    # degrees of latitude, since a degree of longitude is shorter here).
    (mx0, my0), (mx1, my1) = (
        mercator(OKEGAWA[0] - 0.01, OKEGAWA[1] - 0.01),
        mercator(OKEGAWA[0] + 0.01, OKEGAWA[1] + 0.01),
    )
    assert (east - west) / (north - south) == pytest.approx((mx1 - mx0) / (my1 - my0), rel=1e-9)
    assert fit.unproject(x, y) == pytest.approx((OKEGAWA[0] + 0.004, OKEGAWA[1] - 0.006))
    # A point outside the area is outside the frame.
    outside_x, _y = fit.project(OKEGAWA[0], OKEGAWA[1] + 0.05)
    assert outside_x > 540


def test_a_wide_extent_is_centred_vertically_and_a_tall_one_horizontally():
    wide = fit_extent((1000.0, 5000.0, 2000.0, 5100.0), (10.0, 20.0, 220.0, 220.0), margin=10)
    assert wide.scale == pytest.approx(0.2)
    assert (wide.offset_x, wide.offset_y) == pytest.approx((20.0, 120.0))
    assert wide.unproject(20.0, 120.0) == pytest.approx(inverse_mercator(1000.0, 5000.0))
    tall = fit_extent((0.0, 0.0, 100.0, 400.0), (0.0, 0.0, 300.0, 200.0))
    assert tall.scale == pytest.approx(0.5)
    assert (tall.offset_x, tall.offset_y) == pytest.approx((125.0, 0.0))


def test_without_boundaries_the_extent_covers_the_places_or_a_1_km_window():
    assert map_extent([], [place(1)]) is None
    min_x, min_y, max_x, max_y = map_extent([], [place(1, lat=OKEGAWA[0], lon=OKEGAWA[1])])
    (lat0, lon0), (lat1, lon1) = inverse_mercator(min_x, min_y), inverse_mercator(max_x, max_y)
    assert haversine(OKEGAWA[0], lon0, OKEGAWA[0], lon1) == pytest.approx(1000, rel=0.02)
    assert haversine(lat0, OKEGAWA[1], lat1, OKEGAWA[1]) == pytest.approx(1000, rel=0.02)
    assert lat0 < OKEGAWA[0] < lat1 and lon0 < OKEGAWA[1] < lon1
    spread = [place(1, lat=35.95, lon=139.50), place(2, lat=36.05, lon=139.62), place(3)]
    min_x, min_y, max_x, max_y = map_extent([], spread)
    for p in spread[:2]:
        x, y = mercator(p.lat, p.lon)
        assert min_x < x < max_x and min_y < y < max_y


@pytest.mark.parametrize("lat", [26.2, 36.0, 43.06])  # 那覇, 桶川, 札幌
def test_the_scale_bar_is_true_to_the_haversine_distance_at_the_maps_latitude(lat):
    extent = map_extent([square(lat, 139.56)], [])
    fit = fit_extent(extent, (0, 0, 523, 500), margin=14)
    metres, points = scale_bar(fit, lat, max_points=110)
    assert 0 < points <= 110
    assert metres in {1, 2, 5} or re.fullmatch(r"[125]0+", f"{metres:g}")
    x0, y = 100.0, fit.project(lat, 139.56)[1]
    start, end = fit.unproject(x0, y), fit.unproject(x0 + points, y)
    assert haversine(*start, *end) == pytest.approx(metres, rel=0.02)


def test_the_same_map_scale_shows_more_points_per_metre_further_north():
    fit = fit_extent(map_extent([square(36.0, 139.56)], []), (0, 0, 523, 500), margin=14)
    ratio = math.cos(math.radians(26.2)) / math.cos(math.radians(43.06))
    assert fit.points_per_metre(43.06) / fit.points_per_metre(26.2) == pytest.approx(ratio)


def test_markers_that_overlap_are_moved_apart_deterministically():
    apart = [(1, 100.0, 100.0), (2, 140.0, 100.0)]
    assert [(m.x, m.y, m.moved) for m in place_markers(apart)] == [
        (100.0, 100.0, False),
        (140.0, 100.0, False),
    ]
    crowded = [(1, 100.0, 100.0), (2, 100.0, 100.0), (3, 102.0, 101.0), (4, 99.0, 98.0)]
    markers = place_markers(crowded, radius=7, bounds=(0, 0, 300, 300))
    assert markers == place_markers(crowded, radius=7, bounds=(0, 0, 300, 300))
    assert [m.number for m in markers] == [1, 2, 3, 4]
    assert not markers[0].moved and all(m.moved for m in markers[1:])
    for i, a in enumerate(markers):
        assert (a.anchor_x, a.anchor_y) == crowded[i][1:]
        for b in markers[i + 1 :]:
            assert math.hypot(a.x - b.x, a.y - b.y) >= 14 - 1e-6
    # Straight up first: the second marker sits one spacing above the first.
    assert (markers[1].x, markers[1].y) == pytest.approx((100.0, 115.0))
    # At the frame's edge the candidates outside it are skipped.
    edge = place_markers([(1, 290.0, 295.0), (2, 290.0, 295.0)], radius=7, bounds=(0, 0, 300, 300))
    for m in edge:
        assert 7 <= m.x <= 293 and 7 <= m.y <= 293
