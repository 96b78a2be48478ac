"""Staff screens: editing with conflict detection, freshness, proposal review, metrics, access."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.core import metrics
from sasaeai.core import services as core_services
from sasaeai.core.models import AreaKind
from sasaeai.resources.categories import ensure_default_categories
from sasaeai.resources.models import Proposal, Service
from tests.conftest import SYSTEM, square
from tests.resources.factories import make_service

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "ふれあいサロン若宮",
        "alternate_name": "ふれあいさろんわかみや",
        "audiences": ["elderly"],
        "schedule_text": "毎月第2・第4水曜日 10:00～12:00",
        "phone": "048-786-3211",
        "address": "埼玉県桶川市若宮1-5-9",
        "latitude": "36.0",
        "longitude": "139.55",
        "status": "active",
        "is_published": "on",
        "languages": "日本語",
    }
    data.update(overrides)
    return data


def test_staff_creates_a_record_with_hours_area_and_search_text(world):
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    salon = ensure_default_categories(world.tenant_a.pk)["salon"]
    response = client.post("/resources/new/", form_data(categories=[salon.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    service = Service.objects.get()
    assert service.tenant == world.tenant_a
    schedule = service.schedules.get()
    assert (schedule.freq, schedule.byday) == ("MONTHLY", "2WE,4WE")
    location = service.at_locations.get().location
    assert location.area == world.district  # the point lies in 桶川地区
    assert "さろん" in service.search_text
    assert AuditEntry.objects.filter(object_type="resources.service", action="create").exists()


def test_unreadable_hours_or_position_outside_japan_are_refused(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post("/resources/new/", form_data(schedule_text="不定期"))
    assert response.status_code == 200
    assert response.context["form"].errors["schedule_text"]
    response = client.post("/resources/new/", form_data(latitude="51.5", longitude="-0.12"))
    assert response.status_code == 200
    assert Service.objects.count() == 0


def test_concurrent_edits_are_detected(world):
    service = make_service(world.tenant_a, "子ども食堂ひまわり")
    first = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    second = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    version = first.get(f"/resources/{service.pk}/edit/").context["form"].initial["version"]
    assert (
        second.post(
            f"/resources/{service.pk}/edit/", form_data(name="改名A", version=version)
        ).status_code
        == 302
    )
    response = first.post(
        f"/resources/{service.pk}/edit/", form_data(name="改名B", version=version)
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    service.refresh_from_db()
    assert service.name == "改名A"


def test_stale_list_and_confirmation(world):
    fresh = make_service(world.tenant_a, "新しい")
    old = make_service(world.tenant_a, "古い")
    never = make_service(world.tenant_a, "未確認")
    make_service(world.tenant_b, "他市の古い")
    now = timezone.now()
    Service.objects.filter(pk=fresh.pk).update(last_confirmed_at=now - timedelta(days=30))
    Service.objects.filter(pk=old.pk).update(last_confirmed_at=now - timedelta(days=400))
    client = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))
    page = client.get("/resources/stale/")
    assert [s.name for s in page.context["page"]] == ["未確認", "古い"]
    client.post(f"/resources/{old.pk}/confirm/")
    old.refresh_from_db()
    assert old.last_confirmed_by == world.user(Role.COMMUNITY_SOCIAL_WORKER)
    assert [s.name for s in client.get("/resources/stale/").context["page"]] == ["未確認"]
    assert never.last_confirmed_at is None


def test_roles_without_the_permission_are_refused(world):
    service = make_service(world.tenant_a)
    other = make_service(world.tenant_b, "所沢の会")
    volunteer = world.client_for(world.user(Role.VOLUNTEER))
    assert volunteer.get("/resources/").status_code == 403
    assert volunteer.post(f"/resources/{service.pk}/confirm/").status_code == 403
    committee = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    assert committee.get("/resources/new/").status_code == 403
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert staff.get(f"/resources/{other.pk}/").status_code == 404
    assert staff.post(f"/resources/{other.pk}/confirm/").status_code == 404
    csw = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))
    assert csw.get("/resources/map-settings/").status_code == 403


def test_accepting_a_new_place_creates_an_unpublished_draft(world):
    proposal = Proposal.objects.create(
        tenant=world.tenant_a,
        kind="new_place",
        place_name="みんなの食堂",
        body="毎月第1土曜日 12時から",
    )
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    response = client.post(
        f"/resources/proposals/{proposal.pk}/", {"decision": "accept", "note": "電話で確認"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "accepted" and proposal.review_note == "電話で確認"
    assert proposal.service.is_published is False
    assert proposal.service.name == "みんなの食堂"
    # Reviewing twice is refused.
    response = client.post(f"/resources/proposals/{proposal.pk}/", {"decision": "reject"})
    assert response.status_code == 200
    proposal.refresh_from_db()
    assert proposal.status == "accepted"


def test_map_settings_need_a_url_for_an_internal_server(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post(
        "/resources/map-settings/", {"tile_source": "custom", "max_zoom": 18, "zoom": 13}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    response = client.post(
        "/resources/map-settings/",
        {"tile_source": "custom", "tile_url": "https://tiles.lgwan.example/{z}/{x}/{y}.png",
         "attribution": "庁内地図", "max_zoom": 18, "zoom": 13},
    )  # fmt: skip
    assert response.status_code == 302
    from django.test import Client

    page = Client().get(f"/map/{world.tenant_a.code}/")
    assert page.context["map_data"]["config"]["tiles"].startswith("https://tiles.lgwan.example/")
    assert "img-src 'self' data: https://tiles.lgwan.example" in page["Content-Security-Policy"]


def test_metrics_count_published_places_and_school_districts(world):
    school = core_services.area_create(
        actor=SYSTEM, tenant_id=world.tenant_a.pk, kind=AreaKind.JUNIOR_HIGH_SCHOOL_DISTRICT,
        name="桶川中学校区", boundary=square(36.0, 139.55),
    )  # fmt: skip
    make_service(world.tenant_a, "サロン1", categories=("salon",))
    make_service(world.tenant_a, "通いの場1", categories=("gathering_place",))
    make_service(world.tenant_a, "非公開サロン", categories=("salon",), published=False)
    make_service(world.tenant_a, "食堂", categories=("children_cafeteria",))
    make_service(world.tenant_a, "学習", categories=("study_support",))
    make_service(world.tenant_b, "所沢のサロン", categories=("salon",), lat=35.8, lon=139.47)
    hub = make_service(world.tenant_a, "拠点", categories=("child_rearing_hub",))
    location = hub.at_locations.get().location
    location.school_district = school
    location.save()
    year = 2026
    tenant = world.tenant_a.pk
    assert metrics.compute("resources.gathering_places", tenant_id=tenant, fiscal_year=year) == 2
    assert metrics.compute("resources.children_places", tenant_id=tenant, fiscal_year=year) == 2
    assert (
        metrics.compute(
            "resources.school_districts_with_child_rearing_hub", tenant_id=tenant, fiscal_year=year
        )
        == 1
    )
    assert (
        metrics.compute("resources.gathering_places", tenant_id=world.tenant_b.pk, fiscal_year=year)
        == 1
    )
