"""支え合いマップ: services, the drawing (agreed households only), the PDF, the pages."""

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from pypdf import PdfReader

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.watch import map_drawing
from sasaeai.watch import mutual_aid_map as maps
from sasaeai.watch.models import HouseholdMark, MapTie, TieKind
from tests.watch.partner_factories import make_watched


def make_map(world, role=Role.MUNICIPAL_STAFF, area=None):
    return maps.map_save(
        actor=world.actor(role), title="南一丁目 支え合いマップ", area=area or world.district,
        drawn_on=date(2026, 6, 1),
    )  # fmt: skip


def place(world, shown, label, x, y, agreed=True, marks=(), role=Role.MUNICIPAL_STAFF):
    return maps.household_save(
        actor=world.actor(role), mutual_aid_map=shown, label=label, x=x, y=y,
        marks=list(marks), agreed_on=date(2026, 5, 1) if agreed else None,
    )  # fmt: skip


def tie(world, shown, source, target, kind=TieKind.LOOKS_IN):
    return maps.tie_add(
        actor=world.actor(Role.MUNICIPAL_STAFF), mutual_aid_map=shown, source=source,
        target=target, kind=kind,
    )  # fmt: skip


@pytest.fixture
def scene(world):
    shown = make_map(world)
    tanaka = place(world, shown, "田中さん", 2, 3, marks=[HouseholdMark.ALONE_OLDER])
    suzuki = place(world, shown, "鈴木さん", 5, 3, marks=[HouseholdMark.HELPER])
    secret = place(world, shown, "非同意さん", 8, 8, agreed=False)
    tie(world, shown, suzuki, tanaka)
    tie(world, shown, suzuki, secret, TieKind.TALKS)
    return shown, tanaka, suzuki, secret


def test_commissioner_draws_a_map_of_their_district_only(world):
    shown = make_map(world, Role.WELFARE_COMMISSIONER)
    assert shown.area == world.district
    with pytest.raises(ValidationError):
        make_map(world, Role.WELFARE_COMMISSIONER, area=world.other_district)


def test_commissioner_cannot_see_another_districts_map(world):
    other = make_map(world, area=world.other_district)
    with pytest.raises(Http404):
        maps.map_for(world.actor(Role.WELFARE_COMMISSIONER), other.pk)


def test_one_household_per_cell_and_grid_bounds(world):
    shown = make_map(world)
    place(world, shown, "田中さん", 1, 1)
    with pytest.raises(ValidationError):
        place(world, shown, "重複さん", 1, 1)
    with pytest.raises(ValidationError):
        place(world, shown, "外さん", maps.GRID_COLUMNS, 0)
    with pytest.raises(ValidationError):
        place(world, shown, "変な印", 3, 3, marks=["nonsense"])


def test_household_links_only_to_a_watched_person_the_actor_sees(world):
    shown = make_map(world)
    outside = make_watched(world, name="加納 次郎", area=world.other_district)
    with pytest.raises(ValidationError):
        maps.household_save(
            actor=world.actor(Role.WELFARE_COMMISSIONER), mutual_aid_map=shown, label="加納さん",
            x=1, y=1, watched=outside,
        )  # fmt: skip


def test_ties_need_two_households_of_the_map(world, scene):
    shown, tanaka, suzuki, _secret = scene
    with pytest.raises(ValidationError):
        tie(world, shown, tanaka, tanaka)
    with pytest.raises(ValidationError):
        tie(world, shown, suzuki, tanaka)  # already there
    other = make_map(world)
    stranger = place(world, other, "他地図さん", 1, 1)
    with pytest.raises(Http404):
        tie(world, shown, stranger, tanaka)


def test_drawing_shows_agreed_households_only(world, scene):
    shown, tanaka, suzuki, secret = scene
    agreed, ties, hidden = maps.drawable(shown)
    assert {h.pk for h in agreed} == {tanaka.pk, suzuki.pk}
    assert [t.target_id for t in ties] == [tanaka.pk] and hidden == 1
    drawing = map_drawing.svg(shown, agreed, ties, hidden)
    assert "田中さん" in drawing and "鈴木さん" in drawing
    assert "非同意さん" not in drawing
    assert f'data-household="{secret.pk}"' not in drawing
    assert drawing.count("data-tie=") == 1
    talks = MapTie.objects.get(kind=TieKind.TALKS)
    assert f'data-tie="{talks.pk}"' not in drawing


def test_pdf_is_one_page_with_title_and_agreed_labels(world, scene):
    shown, *_ = scene
    content = map_drawing.pdf(shown, *maps.drawable(shown))
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "南一丁目" in text and "田中さん" in text and "非同意" not in text.replace("同意", "", 0)
    assert "非同意さん" not in text


def test_eighty_households_fit_one_a3_page(world):
    shown = make_map(world)
    households = [
        place(world, shown, f"世帯{n:02d}さん", n % 10 * 3, n // 10 * 2) for n in range(80)
    ]
    for a, b in zip(households, households[1:], strict=False):
        tie(world, shown, a, b)
    content = map_drawing.pdf(shown, *maps.drawable(shown))
    page = PdfReader(io.BytesIO(content)).pages[0]
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
    assert float(page.mediabox.width) > 1100  # A3 landscape (1190.55 pt)
    assert "世帯79" in page.extract_text()


def test_map_page_draws_and_audits(world, scene):
    shown, tanaka, _suzuki, secret = scene
    client = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    response = client.get(f"/watch/maps/{shown.pk}/")
    body = response.content.decode()
    assert response.status_code == 200 and "<svg" in body
    assert f'data-household="{secret.pk}"' not in body
    assert AuditEntry.objects.filter(action=Action.READ, object_id=str(tanaka.pk)).exists()


def test_pdf_and_svg_downloads_are_audited_as_exports(world, scene):
    shown, tanaka, _suzuki, secret = scene
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    pdf = client.get(f"/watch/maps/{shown.pk}/map.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    svg = client.get(f"/watch/maps/{shown.pk}/map.svg")
    assert svg.status_code == 200 and "非同意さん" not in svg.content.decode()
    exports = AuditEntry.objects.filter(action=Action.EXPORT, object_type="watch.maphousehold")
    assert exports.filter(object_id=str(tanaka.pk)).count() == 2
    assert not exports.filter(object_id=str(secret.pk)).exists()


def test_clicking_a_cell_prefills_the_household_form_and_saves(world):
    shown = make_map(world)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    page = client.get(f"/watch/maps/{shown.pk}/?x=4&y=6")
    assert 'value="4"' in page.content.decode()
    saved = client.post(
        f"/watch/maps/{shown.pk}/",
        {"action": "household", "label": "佐藤さん", "x": 4, "y": 6, "marks": ["alone_older"],
         "agreed_on": "2026-05-01"},
    )  # fmt: skip
    assert saved.status_code == 302
    assert shown.households.get().marks == ["alone_older"]
    bad = client.post(f"/watch/maps/{shown.pk}/", {"action": "household", "label": "", "x": 99})
    assert bad.status_code == 200 and shown.households.count() == 1


def test_demo_loads_partners_reports_and_a_legible_map(world):
    from sasaeai.watch.models import MutualAidMap, PartnerReport, WatchPartner
    from sasaeai.watch.partners import load_partner_demo

    load_partner_demo({world.tenant_a.code: world.tenant_a})
    assert WatchPartner.objects.filter(tenant=world.tenant_a).count() == 4
    assert PartnerReport.objects.filter(tenant=world.tenant_a, is_urgent=True).count() == 1
    shown = MutualAidMap.objects.get(tenant=world.tenant_a)
    agreed, ties, hidden = maps.drawable(shown)
    assert len(agreed) + hidden == 40 and hidden > 0 and ties
    assert PdfReader(io.BytesIO(map_drawing.pdf(shown, agreed, ties, hidden))).pages


def test_svg_escapes_titles_and_labels(world):
    shown = maps.map_save(
        actor=world.actor(Role.MUNICIPAL_STAFF), title='"><script>alert(1)</script>',
        area=world.district, drawn_on=date(2026, 6, 1),
    )  # fmt: skip
    place(world, shown, "<b>太郎</b>", 1, 1)
    drawing = map_drawing.svg(shown, *maps.drawable(shown))
    assert "<script>" not in drawing and "<b>" not in drawing
    assert 'aria-label="&quot;&gt;&lt;script&gt;' in drawing


def test_removing_a_tie_with_a_bad_id_is_404_not_500(world, scene):
    shown, *_ = scene
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post(f"/watch/maps/{shown.pk}/", {"action": "delete_tie", "tie": "x"})
    assert response.status_code == 404
