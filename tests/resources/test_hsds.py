"""The HSDS export, checked by the standard validator against the official strict schemas.

The official HSDS 3.0 schemas are compiled by the real `compiletojsonschema
--set-additional-properties-false-everywhere` (as the specification's own CI does) and the
export files are checked by the real `check-jsonschema` CLI, with format checks (uuid, email,
date-time) on. A broken document must fail, so that these tests can fail.
"""

import copy
import csv
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from datetime import date, time
from pathlib import Path

import pytest
from django.test import Client

from sasaeai.core.tenancy import tenant_context
from sasaeai.resources import exports, hsds
from sasaeai.resources.categories import ensure_default_categories
from sasaeai.resources.models import (
    Category,
    Contact,
    Location,
    Phone,
    Schedule,
    ServiceAtLocation,
)
from tests.resources.factories import make_service

CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
COMPILE_TO_JSONSCHEMA = Path(sys.executable).with_name("compiletojsonschema")
REPO = Path(__file__).resolve().parents[2]


def hsds_dir() -> Path:
    """SASAEAI_HSDS_DIR when set; else ../shared/hsds-3.0 beside the repository, or /work/shared."""
    chosen = os.environ.get("SASAEAI_HSDS_DIR")
    if chosen:
        tried = [Path(chosen)]
    else:
        tried = [REPO.parent / "shared" / "hsds-3.0", Path("/work/shared/hsds-3.0")]
    for path in tried:
        if (path / "schema" / "service.json").is_file():
            return path
    pytest.skip(
        "The official HSDS 3.0 schemas were not found (looked for schema/service.json in "
        + " and ".join(str(p) for p in tried)
        + "); set SASAEAI_HSDS_DIR to a copy of openreferral/specification v3.0."
    )


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)


class Validator:
    """Strict schemas compiled once; `check` runs check-jsonschema on one JSON document."""

    def __init__(self, root: Path, workdir: Path):
        self.root = root
        self.workdir = workdir
        self._compiled: dict[str, dict] = {}

    def strict(self, source: str) -> dict:
        """The strict schema of schema/<name>.json, or schema-src/<name>.json."""
        if source not in self._compiled:
            path = self.root / "schema" / f"{source}.json"
            if not path.is_file():
                path = self.root / "schema-src" / f"{source}.json"
            done = run(COMPILE_TO_JSONSCHEMA, "--set-additional-properties-false-everywhere", path)
            assert done.returncode == 0, done.stderr
            self._compiled[source] = json.loads(done.stdout)
        return self._compiled[source]

    def array_of(self, source: str) -> dict:
        return {"type": "array", "minItems": 1, "items": self.strict(source)}

    def page_of(self, source: str) -> dict:
        """The HSDS list page: openapi.json's Page, with contents of the given list schema."""
        openapi = json.loads((self.root / "openapi.json").read_text(encoding="utf-8"))
        page = copy.deepcopy(openapi["components"]["schemas"]["Page"])
        properties = dict(page["properties"])
        properties["contents"] = {"type": "array", "items": self.strict(source)}
        return {
            "type": "object",
            "properties": properties,
            "required": sorted(properties),
            "additionalProperties": False,
        }

    def check(self, document, schema: dict, name: str) -> subprocess.CompletedProcess:
        instance = self.workdir / f"{name}.json"
        schema_file = self.workdir / f"{name}.schema.json"
        if not isinstance(document, Path):
            instance.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        else:
            instance = document
        schema_file.write_text(json.dumps(schema), encoding="utf-8")
        return run(CHECK_JSONSCHEMA, "--schemafile", schema_file, instance)

    def assert_valid(self, document, schema: dict, name: str) -> None:
        done = self.check(document, schema, name)
        assert done.returncode == 0, f"{name} is not valid HSDS:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def validator(tmp_path_factory) -> Validator:
    root = hsds_dir()
    for tool in (CHECK_JSONSCHEMA, COMPILE_TO_JSONSCHEMA):
        if not tool.exists():
            pytest.fail(
                f"{tool.name} is not installed next to {sys.executable} (pip install -e .[dev])"
            )
    return Validator(root, tmp_path_factory.mktemp("hsds"))


class Directory:
    """Tenant A's directory: an organization's service at two places, a weekly service
    without an organization, an unpublished draft; and one service of tenant B."""

    def __init__(self, world):
        tenant = world.tenant_a
        terms = ensure_default_categories(tenant.pk)
        self.subterm = Category.objects.create(
            tenant=tenant,
            code="kodomo_breakfast",
            name="朝ごはん食堂",
            parent=terms["children_cafeteria"],
        )
        self.cafeteria = make_service(
            tenant,
            "子ども食堂ひまわり",
            organization_name="桶川市社会福祉協議会",
            audiences=",children,",
            schedules=(("MONTHLY", "2WE,4WE", time(10), time(12)),),
            description="毎月2回、地域の子どもと大人が一緒に食事をします。",
        )
        service = self.cafeteria
        service.categories.add(self.subterm)
        organization = service.organization
        organization.corporate_number = "5030005001234"
        organization.email = "info@okegawa-shakyo.example.jp"
        organization.website = "https://okegawa-shakyo.example.jp/"
        organization.save()
        service.url = "https://okegawa-shakyo.example.jp/himawari"
        service.email = "himawari@okegawa-shakyo.example.jp"
        service.minimum_age = 0
        service.maximum_age = 18
        service.fees_description = "子ども無料、大人300円"
        service.languages = "日本語、英語、やさしい日本語"
        service.eligibility_description = "市外の方もどうぞ。"
        service.save()
        first = service.at_locations.get().location
        first.prefecture, first.city, first.town, first.street = "埼玉県", "桶川市", "若宮", "1-5-9"
        first.postal_code = "363-0021"
        first.step_free = True
        first.accessibility = "入口にスロープがあります。"
        first.save()
        Phone.objects.create(tenant=tenant, location=first, number="048-786-0000", extension="12")
        second = Location.objects.create(
            tenant=tenant, organization=organization, name="加納公民館", alternate_name="かのうこうみんかん",
            address="埼玉県桶川市加納1-2-3", building="2階 調理室", latitude=36.01, longitude=139.58,
            accessible_toilet=True, parking=True,
        )  # fmt: skip
        self.second_sal = ServiceAtLocation.objects.create(
            tenant=tenant, service=service, location=second
        )
        Schedule.objects.create(
            tenant=tenant, service=service, location=second, freq="WEEKLY", byday="SA",
            opens_at=time(9), closes_at=time(11, 30), valid_from=date(2025, 4, 1),
            closed_on_holidays=False, notes="夏休み期間のみ",
        )  # fmt: skip
        Phone.objects.create(
            tenant=tenant, service=service, location=second, number="048-786-1111", kind="fax"
        )
        Contact.objects.create(
            tenant=tenant, service=service, name="山田 花子", title="コーディネーター",
            department="地域福祉課", email="yamada@okegawa-shakyo.example.jp", phone="048-786-3212",
        )  # fmt: skip
        self.salon = make_service(
            tenant,
            "いきいきサロン加納",
            kana="いきいきさろんかのう",
            categories=("salon", "gathering_place"),
            audiences=",elderly,disability,",
            is_free=True,
            phone="",
            schedules=(("WEEKLY", "MO,WE", time(13, 30), time(15, 30)),),
        )
        without_position = self.salon.at_locations.get().location
        without_position.latitude = without_position.longitude = None
        without_position.save()
        self.draft = make_service(tenant, "準備中の子ども食堂", published=False)
        self.other_tenant = make_service(
            world.tenant_b, "所沢の子ども食堂", address="埼玉県所沢市並木1-1", lat=35.8, lon=139.47
        )


@pytest.fixture
def directory(world):
    return Directory(world)


def bundle_files(tenant, target: Path) -> dict[str, Path]:
    with tenant_context(tenant.pk):
        content = exports.hsds_bundle(tenant)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(target)
        names = archive.namelist()
    return {name: target / name for name in names}


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


# --- the bundle against the official schemas ----------------------------------------------


def test_bundle_files_validate_against_the_strict_official_schemas(
    world, directory, validator, tmp_path
):
    files = bundle_files(world.tenant_a, tmp_path / "bundle")
    assert set(files) == {"datapackage.json", *exports.BUNDLE_FILES}

    validator.assert_valid(files["services.json"], validator.array_of("service"), "services")
    validator.assert_valid(
        files["organizations.json"], validator.array_of("organization"), "organizations"
    )
    validator.assert_valid(
        files["service_at_locations.json"],
        validator.array_of("service_at_location"),
        "service_at_locations",
    )
    validator.assert_valid(files["locations.json"], validator.array_of("location"), "locations")
    validator.assert_valid(files["taxonomies.json"], validator.array_of("taxonomy"), "taxonomies")
    validator.assert_valid(
        files["taxonomy_terms.json"], validator.array_of("taxonomy_term"), "taxonomy_terms"
    )


def test_bundle_holds_published_records_of_the_tenant_only(world, directory, tmp_path):
    files = bundle_files(world.tenant_a, tmp_path)
    services = load(files["services.json"])
    names = {s["name"] for s in services}
    assert names == {"子ども食堂ひまわり", "いきいきサロン加納"}
    text = "".join(path.read_text(encoding="utf-8") for path in files.values())
    assert "準備中の子ども食堂" not in text
    assert str(directory.draft.uid) not in text
    assert "所沢" not in text
    assert len(load(files["service_at_locations.json"])) == 3
    assert len(load(files["locations.json"])) == 3
    [organization] = load(files["organizations.json"])
    assert organization["organization_identifiers"][0]["identifier"] == "5030005001234"
    assert [s["id"] for s in organization["services"]] == [str(directory.cafeteria.uid)]


def test_datapackage_describes_every_file(world, directory, tmp_path):
    files = bundle_files(world.tenant_a, tmp_path)
    package = load(files["datapackage.json"])
    assert package["name"] == "sasaeai-112097-hsds"
    assert "桶川市" in package["title"]
    by_path = {resource["path"]: resource for resource in package["resources"]}
    assert set(by_path) == set(exports.BUNDLE_FILES)
    for path, resource in by_path.items():
        assert resource["mediatype"] == "application/json"
        assert resource["profile"] == "data-resource"
        assert resource["bytes"] == files[path].stat().st_size
        assert resource["hsds_schema"] == exports.BUNDLE_FILES[path][0]
    assert by_path["services.json"]["hsds_schema"] == "service"


def test_service_object_maps_our_records(world, directory):
    with tenant_context(world.tenant_a.pk):
        found = hsds.with_related(hsds.published_services(world.tenant_a.pk))
        service = hsds.service(found.get(pk=directory.cafeteria.pk), hsds.Context(world.tenant_a))
    assert service["id"] == str(directory.cafeteria.uid)
    assert service["status"] == "active"
    assert service["organization"]["name"] == "桶川市社会福祉協議会"
    assert service["eligibility_description"].startswith("対象: 子ども・子育て家庭。")
    assert "0歳から18歳まで" in service["eligibility_description"]
    assert "市外の方もどうぞ。" in service["eligibility_description"]
    # Categories (with the tenant's taxonomy) and audiences (the 対象者 taxonomy) as attributes.
    terms = {a["taxonomy_term"]["name"]: a for a in service["attributes"]}
    assert set(terms) == {"子ども食堂", "朝ごはん食堂", "子ども・子育て家庭"}
    assert terms["子ども食堂"]["taxonomy_term"]["taxonomy_detail"]["name"] == "桶川市 地域資源分類"
    assert terms["子ども・子育て家庭"]["link_type"] == "eligibility"
    child = terms["朝ごはん食堂"]["taxonomy_term"]
    assert child["parent_id"] == terms["子ども食堂"]["taxonomy_term_id"]
    # The monthly rule at the first place, the weekly one at the second.
    rules = {s["freq"]: s for s in service["schedules"]}
    assert rules["MONTHLY"]["byday"] == "2WE,4WE"
    assert rules["MONTHLY"]["opens_at"] == "10:00+09:00"
    assert rules["MONTHLY"]["description"].startswith("毎月第2")
    assert rules["WEEKLY"]["service_at_location_id"] == str(directory.second_sal.uid)
    assert rules["WEEKLY"]["notes"] == "夏休み期間のみ"
    at_second = next(
        s for s in service["service_at_locations"] if s["id"] == str(directory.second_sal.uid)
    )
    assert [r["freq"] for r in at_second["schedules"]] == ["WEEKLY"]
    assert at_second["phones"][0]["type"] == "fax"
    second = at_second["location"]
    assert second["addresses"][0]["address_2"] == "2階 調理室"
    assert second["addresses"][0]["country"] == "JP"
    assert "駐車場あり" in second["transportation"]
    first = service["service_at_locations"][0]["location"]
    assert first["addresses"][0]["state_province"] == "埼玉県"
    assert first["addresses"][0]["address_1"] == "若宮1-5-9"
    assert first["phones"][0]["extension"] == 12
    assert {a["description"] for a in first["accessibility"]} >= {"入口にスロープがあります。"}
    assert [lang.get("code") for lang in service["languages"]] == ["ja", "en", "ja"]
    assert service["cost_options"][0]["amount_description"] == "子ども無料、大人300円"
    assert service["contacts"][0]["phones"][0]["number"] == "048-786-3212"


def test_free_service_and_audiences(world, directory):
    with tenant_context(world.tenant_a.pk):
        found = hsds.with_related(hsds.published_services(world.tenant_a.pk))
        salon = hsds.service(found.get(pk=directory.salon.pk), hsds.Context(world.tenant_a))
    assert salon["cost_options"][0]["amount"] == 0
    assert salon["eligibility_description"] == "対象: 高齢者、障害のある方。"
    assert "organization" not in salon and "organization_id" not in salon
    assert "phones" not in salon  # empty lists are left out, not sent as []


def test_ids_are_stable_between_runs(world, directory, tmp_path):
    first = bundle_files(world.tenant_a, tmp_path / "one")
    second = bundle_files(world.tenant_a, tmp_path / "two")
    for name in exports.BUNDLE_FILES:
        assert load(first[name]) == load(second[name]), name
    taxonomy = load(first["taxonomies.json"])[0]
    assert taxonomy["id"] == str(uuid.uuid5(hsds.NAMESPACE, "taxonomy|112097"))
    assert taxonomy["name"] == "桶川市 地域資源分類"


# --- the API page against the official list schema ----------------------------------------


def test_api_list_page_validates_against_service_list(world, directory, validator):
    client = Client()
    page = client.get("/api/v1/resources/112097/services", {"per_page": 1}).json()
    assert page["total_items"] == 2 and page["size"] == 1
    validator.assert_valid(page, validator.page_of("service_list"), "service_list_page")
    full = client.get("/api/v1/resources/112097/services", {"full": "true"}).json()
    validator.assert_valid(full, validator.page_of("service"), "service_full_page")


def test_api_other_lists_and_objects_validate(world, directory, validator):
    client = Client()
    base = "/api/v1/resources/112097"
    validator.assert_valid(
        client.get(f"{base}/organizations").json(),
        validator.page_of("organization_list"),
        "organization_list_page",
    )
    validator.assert_valid(
        client.get(f"{base}/service_at_locations").json(),
        validator.page_of("service_at_location_list"),
        "service_at_location_list_page",
    )
    validator.assert_valid(
        client.get(f"{base}/taxonomy_terms").json(),
        validator.page_of("taxonomy_term"),
        "taxonomy_term_page",
    )
    detail = client.get(f"{base}/services/{directory.cafeteria.uid}").json()
    validator.assert_valid(detail, validator.strict("service"), "service_detail")
    organization = client.get(f"{base}/organizations/{directory.cafeteria.organization.uid}")
    validator.assert_valid(
        organization.json(), validator.strict("organization"), "organization_detail"
    )


def test_the_validator_catches_broken_documents(world, directory, validator, tmp_path):
    """Without this, a validator that accepted anything would pass every test above."""
    files = bundle_files(world.tenant_a, tmp_path)
    service = load(files["services.json"])[0]
    schema = validator.strict("service")
    validator.assert_valid(service, schema, "good")

    broken = {
        "extra property": {**service, "colour": "#2e7d32"},
        "extra nested property": copy.deepcopy(service),
        "bad uuid": {**service, "id": "not-a-uuid"},
        "bad email": {**service, "email": "no-at-sign"},
        "bad status": {**service, "status": "open"},
        "missing name": {k: v for k, v in service.items() if k != "name"},
    }
    broken["extra nested property"]["service_at_locations"][0]["location"]["floor"] = "2"
    for label, document in broken.items():
        done = validator.check(document, schema, "broken")
        assert done.returncode != 0, f"the validator accepted a document with a {label}"

    # The page schema is strict too: no extra members, and list items must be list items.
    client = Client()
    page = client.get("/api/v1/resources/112097/services").json()
    list_page = validator.page_of("service_list")
    validator.assert_valid(page, list_page, "good_page")
    assert validator.check({**page, "next": 2}, list_page, "broken_page").returncode != 0
    full = client.get("/api/v1/resources/112097/services", {"full": "true"}).json()
    assert validator.check(full, list_page, "full_as_list").returncode != 0


# --- GeoJSON and CSV ----------------------------------------------------------------------


def test_geojson_feature_collection(world, directory):
    with tenant_context(world.tenant_a.pk):
        collection = exports.geojson(world.tenant_a)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    # Two places of the 子ども食堂; the サロン has no position; the draft and 所沢 are absent.
    assert len(features) == 2
    for feature in features:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert 122 <= lon <= 154 and 20 <= lat <= 46  # [longitude, latitude], RFC 7946
        properties = feature["properties"]
        assert properties["id"] == str(directory.cafeteria.uid)
        assert properties["kana"] == "こどもしょくどうひまわり"
        assert properties["page"] == f"/map/112097/places/{directory.cafeteria.uid}/"
        assert {c["code"] for c in properties["categories"]} == {
            "children_cafeteria",
            "kodomo_breakfast",
        }
        assert properties["phone"] == "048-786-3211"
    json.dumps(collection)  # serialisable as it is


def test_geojson_narrowed_by_a_search_never_widens(world, directory):
    from sasaeai.resources.models import Service

    with tenant_context(world.tenant_a.pk):
        everything = Service.objects.all()  # drafts and other tenants included
        collection = exports.geojson(world.tenant_a, everything)
        none = exports.geojson(world.tenant_a, Service.objects.none())
    assert {f["properties"]["id"] for f in collection["features"]} == {str(directory.cafeteria.uid)}
    assert none["features"] == []


def test_open_data_csv_columns_and_encoding(world, directory):
    with tenant_context(world.tenant_a.pk):
        content = exports.open_data_csv(world.tenant_a)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so that Excel reads Japanese
    text = content.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == exports.PUBLIC_FACILITY_COLUMNS
    assert rows[0][:4] == ["全国地方公共団体コード", "ID", "地方公共団体名", "名称"]
    assert rows[0][-1] == "備考"
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(records) == 3  # two places of the 子ども食堂, one of the サロン
    assert {r["全国地方公共団体コード"] for r in records} == {"112097"}
    assert {r["地方公共団体名"] for r in records} == {"埼玉県桶川市"}
    cafeteria = [r for r in records if r["名称"] == "子ども食堂ひまわり"]
    assert {r["名称_カナ"] for r in cafeteria} == {"コドモショクドウヒマワリ"}
    assert {r["団体名"] for r in cafeteria} == {"桶川市社会福祉協議会"}
    assert {r["法人番号"] for r in cafeteria} == {"5030005001234"}
    first = next(r for r in cafeteria if r["所在地_町字"] == "若宮")
    assert first["所在地_連結表記"] == "埼玉県桶川市若宮1-5-9"
    # 第2・第4水曜 is not every Wednesday: no days, so no hours either (hours without days
    # cannot be read back); the note says it all.
    assert first["利用可能曜日"] == "" and first["開始時間"] == first["終了時間"] == ""
    assert "第2" in first["利用可能日時特記事項"] and "10:00" in first["利用可能日時特記事項"]
    assert "段差なし" in first["バリアフリー情報"]
    salon = next(r for r in records if r["名称"] == "いきいきサロン加納")
    assert salon["利用可能曜日"] == "月,水"
    assert salon["緯度"] == "" and salon["経度"] == ""
    assert "無料" in salon["備考"]
    assert "準備中" not in text and "所沢" not in text
