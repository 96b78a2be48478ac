"""The public HSDS API: pages, search, tenant isolation, errors in the project's shape."""

import json
from datetime import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sasaeai.resources import hsds
from sasaeai.resources.categories import ensure_default_categories
from tests.resources.factories import make_service

A = "/api/v1/resources/112097"
B = "/api/v1/resources/112089"


@pytest.fixture
def client():
    return Client()  # nobody signed in: published resources are open data


@pytest.fixture
def services(world):
    tenant = world.tenant_a
    made = {
        "cafeteria": make_service(tenant, "子ども食堂ひまわり", organization_name="桶川市社会福祉協議会"),
        "salon": make_service(
            tenant, "いきいきサロン", kana="いきいきさろん", categories=("salon",),
            audiences=",elderly,", schedules=(("WEEKLY", "TU", time(13), time(15)),),
        ),
        "cafe": make_service(
            tenant, "認知症カフェ", kana="にんちしょうかふぇ", categories=("dementia_cafe",),
            audiences=",elderly,", organization_name="桶川市地域包括支援センター",
        ),
        "draft": make_service(tenant, "準備中の子ども食堂", kana="じゅんびちゅう", published=False),
        "other": make_service(
            world.tenant_b, "所沢の子ども食堂", kana="ところざわのこどもしょくどう",
            address="埼玉県所沢市並木1-1", lat=35.8, lon=139.47,
        ),
    }  # fmt: skip
    return made


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


# --- pages ----------------------------------------------------------------------------------


def test_pages_follow_the_hsds_shape_and_arithmetic(client, services):
    first = client.get(f"{A}/services", {"per_page": 2}).json()
    assert list(first) == [
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
    ]
    assert first["total_items"] == 3  # published only
    assert first["total_pages"] == 2
    assert (first["page_number"], first["size"], len(first["contents"])) == (1, 2, 2)
    assert first["first_page"] is True and first["last_page"] is False and first["empty"] is False

    second = client.get(f"{A}/services", {"per_page": 2, "page": 2}).json()
    assert (second["page_number"], second["size"]) == (2, 1)
    assert second["first_page"] is False and second["last_page"] is True

    ids = [s["id"] for s in first["contents"] + second["contents"]]
    assert len(set(ids)) == 3  # no service twice, none lost between pages

    beyond = client.get(f"{A}/services", {"per_page": 2, "page": 5}).json()
    assert beyond["contents"] == [] and beyond["empty"] is True and beyond["size"] == 0
    assert beyond["total_items"] == 3 and beyond["last_page"] is True

    default = client.get(f"{A}/services").json()
    assert default["total_pages"] == 1 and default["size"] == 3


def test_per_page_is_capped_at_200(client, services):
    page = client.get(f"{A}/services", {"per_page": 5000}).json()
    assert page["size"] == 3 and page["total_pages"] == 1


def test_list_items_are_service_list_items(client, services):
    page = client.get(f"{A}/services", {"search": "ひまわり"}).json()
    [item] = page["contents"]
    assert item["id"] == str(services["cafeteria"].uid)
    assert item["organization"]["name"] == "桶川市社会福祉協議会"
    assert "service_at_locations" not in item and "attributes" not in item  # one-to-one fields
    full = client.get(f"{A}/services", {"search": "ひまわり", "full": "true"}).json()
    assert full["contents"][0]["service_at_locations"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "99999999999999999999999"}, "page"),
        ({"per_page": "x"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"taxonomy_term_id": "not-a-uuid"}, "taxonomy_term_id"),
    ],
)
def test_malformed_query_is_422_in_the_error_shape(client, services, params, field):
    error = assert_error(client.get(f"{A}/services", params), 422, "validation_error")
    assert field in error["fields"]


def test_malformed_page_of_other_lists_is_422(client, services):
    for path in ("organizations", "taxonomies", "taxonomy_terms", "service_at_locations"):
        assert_error(client.get(f"{A}/{path}", {"page": "x"}), 422, "validation_error")


# --- search and filters ---------------------------------------------------------------------


def test_search_in_hiragana_finds_kanji(client, services):
    page = client.get(f"{A}/services", {"search": "こども"}).json()
    assert [s["name"] for s in page["contents"]] == ["子ども食堂ひまわり"]
    assert client.get(f"{A}/services", {"search": "子供 ひまわり"}).json()["total_items"] == 1
    assert client.get(f"{A}/services", {"search": "こども サロン"}).json()["total_items"] == 0


def test_filter_by_taxonomy_term(client, services, world):
    terms = ensure_default_categories(world.tenant_a.pk)
    by_category = client.get(
        f"{A}/services", {"taxonomy_term_id": str(terms["dementia_cafe"].uid)}
    ).json()
    assert [s["name"] for s in by_category["contents"]] == ["認知症カフェ"]
    by_audience = client.get(
        f"{A}/services", {"taxonomy_term_id": hsds.audience_term_id("elderly")}
    ).json()
    assert {s["name"] for s in by_audience["contents"]} == {"いきいきサロン", "認知症カフェ"}


def test_filter_by_organization(client, services):
    org = services["cafe"].organization
    page = client.get(f"{A}/services", {"organization_id": str(org.uid)}).json()
    assert [s["name"] for s in page["contents"]] == ["認知症カフェ"]


# --- isolation and publication --------------------------------------------------------------


def test_tenant_b_is_invisible_under_tenant_a(client, services):
    names = {s["name"] for s in client.get(f"{A}/services").json()["contents"]}
    assert "所沢の子ども食堂" not in names
    other = services["other"].uid
    assert_error(client.get(f"{A}/services/{other}"), 404, "not_found")
    organization = services["cafeteria"].organization.uid
    assert_error(client.get(f"{B}/organizations/{organization}"), 404, "not_found")
    # Under its own code it is there.
    assert client.get(f"{B}/services/{other}").status_code == 200
    assert client.get(f"{B}/services").json()["total_items"] == 1
    sals = client.get(f"{A}/service_at_locations").json()
    assert str(other) not in {s["service_id"] for s in sals["contents"]}


def test_unpublished_is_404_and_never_listed(client, services):
    draft = services["draft"].uid
    assert_error(client.get(f"{A}/services/{draft}"), 404, "not_found")
    assert str(draft) not in json.dumps(client.get(f"{A}/services").json())
    sals = client.get(f"{A}/service_at_locations").json()
    assert sals["total_items"] == 3
    sal = services["draft"].at_locations.get()
    assert_error(client.get(f"{A}/service_at_locations/{sal.uid}"), 404, "not_found")


def test_unknown_tenant_and_ids_are_404(client, services):
    assert_error(client.get("/api/v1/resources/999999/services"), 404, "not_found")
    assert_error(client.get("/api/v1/resources/abc/services"), 404, "not_found")
    assert_error(client.get(f"{A}/services/not-a-uuid"), 404, "not_found")
    assert_error(client.get(f"{A}/services/00000000-0000-4000-8000-000000000000"), 404, "not_found")
    assert_error(
        client.get(f"{A}/taxonomies/00000000-0000-4000-8000-000000000000"), 404, "not_found"
    )
    assert_error(client.get("/api/v1/resources/000000/export/hsds.zip"), 404, "not_found")


def test_inactive_tenant_is_404(client, services, world):
    world.tenant_a.is_active = False
    world.tenant_a.save()
    assert_error(client.get(f"{A}/services"), 404, "not_found")


# --- objects --------------------------------------------------------------------------------


def test_service_detail(client, services, world):
    service = services["cafeteria"]
    response = client.get(f"{A}/services/{service.uid}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(service.uid)
    assert body["name"] == "子ども食堂ひまわり"
    assert body["status"] == "active"
    assert body["organization"]["name"] == "桶川市社会福祉協議会"
    assert body["phones"][0]["number"] == "048-786-3211"
    [sal] = body["service_at_locations"]
    assert sal["location"]["latitude"] == 36.0
    assert sal["schedules"][0]["byday"] == "2WE,4WE"
    names = {a["taxonomy_term"]["name"] for a in body["attributes"]}
    assert names == {"子ども食堂", "子ども・子育て家庭"}
    assert body["eligibility_description"] == "対象: 子ども・子育て家庭。"


def test_organizations_taxonomies_and_terms(client, services, world):
    orgs = client.get(f"{A}/organizations").json()
    assert {o["name"] for o in orgs["contents"]} == {
        "桶川市社会福祉協議会",
        "桶川市地域包括支援センター",
    }
    org = services["cafeteria"].organization
    detail = client.get(f"{A}/organizations/{org.uid}").json()
    assert [s["name"] for s in detail["services"]] == ["子ども食堂ひまわり"]

    taxonomies = client.get(f"{A}/taxonomies").json()
    assert [t["name"] for t in taxonomies["contents"]] == ["桶川市 地域資源分類", "対象者"]
    tenant_taxonomy = taxonomies["contents"][0]
    assert client.get(f"{A}/taxonomies/{tenant_taxonomy['id']}").json() == tenant_taxonomy
    # Each tenant has its own taxonomy, with an id derived from its code.
    assert client.get(f"{B}/taxonomies").json()["contents"][0]["id"] != tenant_taxonomy["id"]

    terms = client.get(f"{A}/taxonomy_terms", {"taxonomy_id": tenant_taxonomy["id"]}).json()
    assert terms["total_items"] == len(ensure_default_categories(world.tenant_a.pk))
    cafeteria = next(t for t in terms["contents"] if t["code"] == "children_cafeteria")
    assert client.get(f"{A}/taxonomy_terms/{cafeteria['id']}").json()["name"] == "子ども食堂"
    audience = client.get(f"{A}/taxonomy_terms/{hsds.audience_term_id('elderly')}").json()
    assert audience["name"] == "高齢者"


def test_service_at_locations(client, services):
    page = client.get(f"{A}/service_at_locations", {"per_page": 1}).json()
    assert page["total_items"] == 3 and page["size"] == 1
    item = page["contents"][0]
    assert set(item) >= {"id", "service_id", "location_id", "location", "service"}
    detail = client.get(f"{A}/service_at_locations/{item['id']}").json()
    assert detail["location"]["id"] == item["location_id"]


def test_meta(client, services):
    body = client.get(f"{A}/").json()
    assert body["version"] == "3.0"
    assert body["openapi_url"].endswith("/api/v1/openapi.json")


# --- exports --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, content_type, filename",
    [
        ("export/hsds.zip", "application/zip", "112097_hsds.zip"),
        ("export/places.geojson", "application/geo+json", "112097_places.geojson"),
        ("export/places.csv", "text/csv; charset=utf-8", "112097_public_facility.csv"),
    ],
)
def test_exports_are_attachments(client, services, path, content_type, filename):
    response = client.get(f"{A}/{path}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert b"\xe6\xba\x96\xe5\x82\x99\xe4\xb8\xad" not in response.content  # 準備中 (draft)


def test_geojson_export_can_be_searched(client, services):
    collection = json.loads(client.get(f"{A}/export/places.geojson", {"search": "カフェ"}).content)
    assert [f["properties"]["name"] for f in collection["features"]] == ["認知症カフェ"]


# --- queries and OpenAPI --------------------------------------------------------------------


def _count(client, url, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_page_size(
    client, services, world, django_assert_max_num_queries
):
    for number in range(8):
        make_service(world.tenant_a, f"通いの場{number}", kana=f"かよいのば{number}")
    for params in ({}, {"full": "true"}):
        small = _count(client, f"{A}/services", {"per_page": 1, **params})
        large = _count(client, f"{A}/services", {"per_page": 11, **params})
        assert small == large, params
    with django_assert_max_num_queries(12):
        client.get(f"{A}/services", {"per_page": 200, "full": "true"})
    for path in ("service_at_locations", "organizations"):
        assert _count(client, f"{A}/{path}", {"per_page": 1}) == _count(
            client, f"{A}/{path}", {"per_page": 50}
        )
    with django_assert_max_num_queries(12):
        client.get(f"{A}/export/hsds.zip")
    with django_assert_max_num_queries(12):
        client.get(f"{A}/export/places.csv")


def test_openapi_lists_the_paths(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    base = "/api/v1/resources/{tenant_code}"
    for path in (
        "/services",
        "/services/{service_id}",
        "/organizations",
        "/organizations/{organization_id}",
        "/taxonomies",
        "/taxonomies/{taxonomy_id}",
        "/taxonomy_terms",
        "/service_at_locations",
        "/export/hsds.zip",
        "/export/places.geojson",
        "/export/places.csv",
    ):
        assert f"{base}{path}" in paths, path
    listing = paths[f"{base}/services"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "page",
        "per_page",
        "search",
        "taxonomy_term_id",
    }
    assert "security" not in listing or listing["security"] == []
    download = paths[f"{base}/export/hsds.zip"]["get"]["responses"]
    assert "application/zip" in download["200"]["content"]
    assert "404" in download
