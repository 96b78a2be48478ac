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


def _post(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


def test_nul_in_a_json_string_is_a_422_naming_the_field(world):
    client = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))
    response = _post(client, "/api/v1/consultation/persons", {"name": "山田\u0000太郎"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "name": ["使用できない文字（NUL）が含まれています。"]
    }
    response = _post(client, "/api/v1/consultation/consultations", {"summary": "\u0000"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_nul_in_a_query_parameter_is_a_422(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = client.get("/api/v1/audit/entries", {"username": "a\x00b"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["username"]


def test_an_integer_beyond_64_bits_in_a_body_is_a_422(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    payload = {"kind": "district", "name": "x", "parent_id": 10**20}
    response = _post(client, "/api/v1/areas", payload)
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["parent_id"]


def test_a_huge_offset_is_a_422_not_a_server_error(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    for url in ("/api/v1/areas", "/api/v1/audit/entries"):
        response = client.get(url, {"offset": 10**20})
        assert response.status_code == 422, url
        assert list(response.json()["error"]["fields"]) == ["offset"], url


def test_a_huge_id_in_the_path_is_a_4xx_not_a_server_error(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(f"/api/v1/areas/{10**20}")
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


def test_an_unexpected_error_under_the_api_is_json_and_logged(world, monkeypatch, caplog):
    from django.db.backends.utils import CursorWrapper

    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    client.raise_request_exception = False

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/api/v1/areas")
    monkeypatch.undo()
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "server_error"
    assert any(r.exc_info and "disk on fire" in str(r.exc_info[1]) for r in caplog.records)


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post("/api/v1/areas", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "json_invalid"
    assert response.json()["error"]["fields"] == {"__all__": ["JSON の形式が正しくありません。"]}
