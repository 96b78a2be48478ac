import json

from sasaeai.accounts.models import Role
from sasaeai.core.models import Area


def test_unauthenticated_api_answers_401_with_error_body(client, world):
    response = client.get("/api/v1/areas")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_staff_without_second_factor_gets_two_factor_required(world):
    client = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER), verified=False)
    response = client.get("/api/v1/areas")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "two_factor_required"


def test_area_list_is_paginated_and_scoped(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    body = client.get("/api/v1/areas", {"limit": 2}).json()
    assert body["count"] == 3
    assert len(body["items"]) == 2
    names = {a["name"] for a in client.get("/api/v1/areas").json()["items"]}
    assert "並木地区" not in names


def test_area_of_another_tenant_is_404(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(f"/api/v1/areas/{world.area_b.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_point_lookup_endpoint(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    found = client.get("/api/v1/areas/containing", {"lat": 36.0, "lon": 139.55}).json()
    assert [a["name"] for a in found] == ["桶川地区"]


def test_invalid_payload_names_the_fields_in_japanese_and_saves_nothing(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    before = Area.objects.count()
    response = client.post(
        "/api/v1/areas", json.dumps({"kind": "planet", "name": ""}), content_type="application/json"
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"kind", "name"}
    assert error["fields"]["kind"] == ["選択肢にない値です。"]
    assert Area.objects.count() == before


def test_domain_rule_violation_is_422_not_500(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    payload = {"kind": "district", "name": "x", "parent_id": world.area_b.pk}
    response = client.post("/api/v1/areas", json.dumps(payload), content_type="application/json")
    assert response.status_code == 422
    assert "parent" in response.json()["error"]["fields"]


def test_create_area_by_api(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    payload = {"kind": "daily_life_area", "name": "北部圏域", "name_kana": "ほくぶけんいき"}
    response = client.post("/api/v1/areas", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201
    assert Area.objects.get(pk=response.json()["id"]).tenant_id == world.tenant_a.pk


def test_volunteer_may_not_create_areas(world):
    client = world.client_for(world.user(Role.VOLUNTEER))
    payload = {"kind": "district", "name": "x"}
    response = client.post("/api/v1/areas", json.dumps(payload), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_fiscal_year_and_postal_code_endpoints(world):
    client = world.client_for(world.user(Role.RESIDENT))
    assert client.get("/api/v1/fiscal-years/2025").json()["label"] == "令和7年度（2025年度）"
    assert client.get("/api/v1/postal-codes/363-0022").json()["city"] == "桶川市"
    assert client.get("/api/v1/postal-codes/0000000").status_code == 404


def test_openapi_document_lists_the_endpoints(client):
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/areas" in document["paths"]
    assert "/api/v1/me" in document["paths"]
