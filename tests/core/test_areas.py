import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sasaeai.accounts.models import Role
from sasaeai.core import services
from sasaeai.core.models import Area, AreaKind
from sasaeai.core.selectors import areas_containing
from tests.conftest import SYSTEM, square


def test_point_lookup_finds_the_area_that_holds_it(world):
    found = areas_containing(tenant_id=world.tenant_a.pk, lat=36.0, lon=139.55)
    assert [a.name for a in found] == ["桶川地区"]
    assert areas_containing(tenant_id=world.tenant_a.pk, lat=36.1, lon=139.55) == []


def test_point_in_a_hole_is_outside(world):
    outer = square(36.2, 139.5, 0.05)["coordinates"][0]
    hole = square(36.2, 139.5, 0.01)["coordinates"][0]
    services.area_create(
        actor=SYSTEM, tenant_id=world.tenant_a.pk, kind=AreaKind.DAILY_LIFE_AREA, name="環状",
        boundary={"type": "Polygon", "coordinates": [outer, hole]},
    )  # fmt: skip
    assert areas_containing(tenant_id=world.tenant_a.pk, lat=36.2, lon=139.5) == []
    assert len(areas_containing(tenant_id=world.tenant_a.pk, lat=36.23, lon=139.5)) == 1


def test_centroid_and_bounding_box_come_from_the_boundary(world):
    area = world.district
    assert area.centroid_lat == pytest.approx(36.0)
    assert area.centroid_lon == pytest.approx(139.55)
    assert (area.min_lat, area.max_lat) == (pytest.approx(35.99), pytest.approx(36.01))


def test_open_ring_is_refused_and_nothing_is_saved(world):
    before = Area.objects.count()
    bad = {"type": "Polygon", "coordinates": [[[139.0, 36.0], [139.1, 36.0], [139.1, 36.1]]]}
    with pytest.raises(ValidationError, match="閉じて"):
        services.area_create(
            actor=SYSTEM, tenant_id=world.tenant_a.pk, kind="district", name="x", boundary=bad
        )
    assert Area.objects.count() == before


def test_parent_from_another_tenant_is_refused(world):
    with pytest.raises(ValidationError):
        services.area_create(
            actor=SYSTEM, tenant_id=world.tenant_a.pk, kind="district", name="x",
            parent_id=world.area_b.pk,
        )  # fmt: skip


def test_area_list_shows_only_own_tenant(world):
    response = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get("/areas/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "桶川地区" in content
    assert "並木地区" not in content


def test_area_search_folds_kana(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    content = client.get("/areas/", {"q": "ｶﾉｳ"}).content.decode()
    assert "加納地区" in content
    assert "桶川地区" not in content


def test_commissioner_sees_only_their_districts_and_sub_areas(world):
    client = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    content = client.get("/areas/").content.decode()
    assert "桶川地区" in content and "桶川第1区" in content
    assert "加納地区" not in content
    assert client.get(f"/areas/{world.other_district.pk}/").status_code == 404


def test_other_tenants_area_does_not_exist(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert client.get(f"/areas/{world.area_b.pk}/").status_code == 404


def test_resident_may_not_open_areas(world):
    client = world.client_for(world.user(Role.RESIDENT))
    assert client.get("/areas/").status_code == 403


def test_area_list_issues_a_fixed_number_of_queries(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    client.get("/areas/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get("/areas/")
    for index in range(40):
        services.area_create(
            actor=SYSTEM, tenant_id=world.tenant_a.pk, kind="elementary_school_district",
            name=f"第{index}小学校区", parent_id=world.district.pk,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        response = client.get("/areas/")
    assert "第39小学校区" in response.content.decode()
    assert len(many) == len(few)


def test_invalid_area_form_answers_in_japanese_and_saves_nothing(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    before = Area.objects.count()
    response = client.post("/areas/new/", {"kind": "district", "name": "", "boundary": "{oops"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "このフィールドは必須です" in content
    assert "GeoJSON" in content
    assert Area.objects.count() == before


def test_area_create_writes_an_audit_entry(world):
    from sasaeai.audit.models import AuditEntry

    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post(
        "/areas/new/", {"kind": "district", "name": "川田谷地区", "name_kana": "かわたやちく"}
    )
    assert response.status_code == 302
    area = Area.objects.get(name="川田谷地区")
    entry = AuditEntry.objects.get(object_type="core.area", object_id=str(area.pk))
    assert entry.action == "create"
    assert entry.actor_username == "a-municipal_staff"
    assert entry.tenant_id == world.tenant_a.pk
