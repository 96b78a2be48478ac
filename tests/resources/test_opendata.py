"""Import of the 自治体標準オープンデータセット: detection, checks, mapping, diff and apply.

Fixture files: tests/fixtures/opendata/ (README.md there says where each row comes from).
Assertions are on problem codes, lines, columns and severities, never on message text.
"""

import codecs
import csv
import dataclasses
import io
from datetime import time
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import AuditEntry
from sasaeai.core import services as core_services
from sasaeai.core.models import AreaKind
from sasaeai.core.tenancy import tenant_context
from sasaeai.resources import exports, opendata, selectors
from sasaeai.resources.categories import ensure_default_categories
from sasaeai.resources.models import (
    Category,
    Location,
    Organization,
    Phone,
    ResourceImport,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)
from sasaeai.resources.opendata_sample import generate_open_data_csv
from sasaeai.resources.search import fold
from tests.conftest import SYSTEM, square
from tests.resources.factories import make_service

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "opendata"
CARE_CURRENT = "care_service_current_utf8bom_crlf.csv"
CARE_RECOMMENDED = "care_service_recommended_cp932.csv"
CHILDCARE = "childcare_current_utf8_lf.csv"
EVACUATION = "evacuation_site_current_utf8bom_crlf.csv"
PUBLIC = "public_facility_current_utf8bom_crlf.csv"
MEDICAL = "medical_current_utf8bom_crlf.csv"
GOOD_FILES = (CARE_CURRENT, CARE_RECOMMENDED, CHILDCARE, EVACUATION, PUBLIC, MEDICAL)
MODELS = (Organization, Location, Service, ServiceAtLocation, Phone, Schedule, Category,
          ResourceImport, AuditEntry, Service.categories.through)  # fmt: skip


def data_of(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def read(world, name_or_bytes, tenant=None):
    data = data_of(name_or_bytes) if isinstance(name_or_bytes, str) else name_or_bytes
    return opendata.read_open_data(data, tenant=tenant or world.tenant_a)


def system_actor(tenant) -> Actor:
    return dataclasses.replace(SYSTEM, username="import-test", tenant_id=tenant.pk)


def apply(world, name_or_bytes, tenant=None):
    tenant = tenant or world.tenant_a
    parsed = read(world, name_or_bytes, tenant)
    return opendata.apply_import(
        parsed, actor=system_actor(tenant), tenant_id=tenant.pk, check_permission=False
    )


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def problems(parsed, code=None, severity=None):
    return [
        p
        for p in parsed.problems
        if (code is None or p.code == code) and (severity is None or p.severity == severity)
    ]


def service(key_suffix: str, dataset="care_service", code="112097") -> Service:
    return Service.objects.get(source_key=f"{dataset}:{code}:{key_suffix}")


def location_of(service_row: Service) -> Location:
    return service_row.at_locations.get().location


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("name", "dataset", "column_set", "encoding", "records"),
    [
        (CARE_CURRENT, "care_service", "current", "utf-8-sig", 5),
        (CARE_RECOMMENDED, "care_service", "recommended", "cp932", 5),
        (CHILDCARE, "childcare", "current", "utf-8", 4),
        (EVACUATION, "evacuation_site", "current", "utf-8-sig", 3),
        (PUBLIC, "public_facility", "current", "utf-8-sig", 4),
        (MEDICAL, "medical", "current", "utf-8-sig", 3),
    ],
)
def test_each_file_is_recognised_with_its_encoding(
    world, name, dataset, column_set, encoding, records
):
    parsed = read(world, name)
    assert (parsed.dataset, parsed.column_set, parsed.encoding) == (dataset, column_set, encoding)
    assert len(parsed.records) == records
    assert not parsed.has_errors


def test_line_endings_do_not_matter(world):
    crlf = data_of(CARE_CURRENT)
    assert b"\r\n" in crlf
    lf = read(world, crlf.replace(b"\r\n", b"\n"))
    both = read(world, crlf)
    assert [r.key for r in lf.records] == [r.key for r in both.records]
    assert [r.address for r in lf.records] == [r.address for r in both.records]


@pytest.mark.parametrize("column_set", ["current", "recommended"])
@pytest.mark.parametrize("dataset", sorted(opendata.DATASETS))
def test_every_definition_header_is_recognised(world, dataset, column_set):
    """The header exactly as each definition lists it, in CP932, is detected as itself."""
    columns = opendata.column_set_for(dataset, column_set).columns
    parsed = read(world, (",".join(columns) + "\r\n").encode("cp932"))
    assert (parsed.dataset, parsed.column_set) == (dataset, column_set)
    assert not problems(parsed, "ignored_column")


def test_unknown_header_names_the_nearest_set_and_what_it_lacks(world):
    parsed = read(world, "bad_unknown_header.csv")
    assert parsed.dataset == "" and parsed.records == []
    [problem] = parsed.problems
    assert (problem.code, problem.severity, problem.line) == ("unknown_header", "error", 1)
    assert problem.detail["nearest"] == {"dataset": "care_service", "column_set": "current"}
    assert problem.detail["missing"] == ["ID", "緯度", "経度"]


def test_header_variants_are_tolerated(world):
    """Full-width brackets (緯度（世界測地系）), spaces and full-width letters in names."""
    columns = list(opendata.column_set_for("public_facility", "current").columns)
    columns[columns.index("緯度")] = "緯度（世界測地系）"
    columns[columns.index("経度")] = " 経度 "
    columns[columns.index("URL")] = "ＵＲＬ"
    columns[columns.index("建物名等(方書)")] = "建物名等（方書）"
    row = {c: "" for c in columns}
    row.update({"全国地方公共団体コード": "112097", "ID": "X1", "名称": "桶川市役所",
                "所在地_連結表記": "埼玉県桶川市泉1丁目3-28", "緯度（世界測地系）": "36.0057",
                " 経度 ": "139.5429", "ＵＲＬ": "https://www.city.okegawa.lg.jp/",
                "建物名等（方書）": "本庁舎"})  # fmt: skip
    text = ",".join(columns) + "\n" + ",".join(row[c] for c in columns) + "\n"
    parsed = read(world, text.encode("utf-8"))
    assert parsed.dataset == "public_facility"
    [record] = parsed.records
    assert (record.latitude, record.longitude) == (36.0057, 139.5429)
    assert record.url == "https://www.city.okegawa.lg.jp/"
    assert record.building == "本庁舎"


def test_unknown_extra_columns_are_ignored_with_a_notice(world):
    parsed = read(world, CHILDCARE)
    [notice] = problems(parsed, "ignored_column")
    assert (notice.line, notice.column, notice.severity) == (1, "園庭の有無", "warning")
    assert len(parsed.records) == 4


def test_wrong_encoding_is_refused_and_nothing_is_saved(world):
    before = counts()
    parsed = read(world, "bad_encoding_latin1.csv")
    assert [(p.code, p.severity) for p in parsed.problems] == [("undecodable", "error")]
    assert parsed.records == []
    with pytest.raises(ValidationError):
        opendata.apply_import(
            parsed, actor=system_actor(world.tenant_a), tenant_id=world.tenant_a.pk,
            check_permission=False,
        )  # fmt: skip
    assert counts() == before


# --------------------------------------------------------------------------- row checks


def test_duplicate_ids_report_both_lines_and_block_the_import(world):
    parsed = read(world, "bad_duplicate_ids.csv")
    duplicates = problems(parsed, "duplicate_key")
    assert sorted((p.line, p.related_lines, p.column, p.severity) for p in duplicates) == [
        (2, (4,), "ID", "error"),
        (4, (2,), "ID", "error"),
    ]
    assert [r.key for r in parsed.records] == ["public_facility:112097:P0002"]


def test_exact_duplicates_in_the_older_set_are_merged_and_reported_as_fixed(world):
    lines = data_of(CARE_RECOMMENDED).split(b"\r\n")
    data = b"\r\n".join([*lines[:3], lines[2].replace(b",2,", b",9,", 1), b""])
    parsed = read(world, data)
    assert not parsed.has_errors
    [merged] = problems(parsed, "duplicate_merged")
    assert (merged.line, merged.related_lines, merged.severity) == (4, (3,), opendata.FIXED)
    assert [r.line for r in parsed.records] == [2, 3]
    diff = opendata.preview_import(parsed, tenant_id=world.tenant_a.pk)
    assert diff.counts["added"] == 2
    assert any(p.code == "duplicate_merged" for p in diff.problems)


def test_same_name_and_address_with_different_content_is_an_error_naming_it_as_written(world):
    lines = data_of(CARE_RECOMMENDED).split(b"\r\n")
    other = lines[2].replace(b",2,", b",9,", 1).replace(b"048-", b"049-", 1)
    assert other != lines[2].replace(b",2,", b",9,", 1)
    parsed = read(world, b"\r\n".join([*lines[:3], other, b""]))
    duplicates = problems(parsed, "duplicate_key")
    assert sorted(p.line for p in duplicates) == [3, 4]
    name = parsed_name = next(r for r in read(world, CARE_RECOMMENDED).records if r.line == 3).name
    assert name in duplicates[0].message and fold(parsed_name) not in duplicates[0].message


def test_coordinates_outside_japan_or_not_numbers_are_errors(world):
    parsed = read(world, "bad_outside_japan.csv")
    errors = {(p.line, p.code, p.column) for p in parsed.errors}
    assert errors == {
        (2, "latitude_outside_japan", "緯度"),
        (2, "longitude_outside_japan", "経度"),
        (3, "latitude_invalid", "緯度"),
    }
    assert [r.line for r in parsed.records] == [4]


def test_swapped_coordinates_are_put_back(world):
    parsed = read(world, EVACUATION)
    [fixed] = problems(parsed, "coordinates_swapped")
    assert (fixed.line, fixed.severity, fixed.column) == (3, "fixed", "緯度（世界測地系）")
    park = next(r for r in parsed.records if r.line == 3)
    assert (park.latitude, park.longitude) == (35.9964, 139.5497)


def test_rows_of_another_municipality_and_blank_rows_are_skipped(world):
    parsed = read(world, EVACUATION)
    skipped = {(p.line, p.code) for p in problems(parsed, severity="skipped")}
    assert skipped == {(4, "other_municipality"), (5, "blank_row")}
    assert [r.line for r in parsed.records] == [2, 3, 6]
    apply(world, EVACUATION)
    assert not Service.objects.filter(name="所沢市立並木小学校").exists()
    assert Service.objects.filter(source_dataset="evacuation_site").count() == 3


def test_the_file_of_another_municipality_is_refused_as_a_whole(world):
    """Every row skipped would unpublish the tenant's whole dataset: an error instead."""
    parsed = read(world, CARE_CURRENT, tenant=world.tenant_b)
    assert parsed.records == []
    skipped = problems(parsed, "other_municipality", "skipped")
    assert [p.line for p in skipped] == [2, 3, 4, 5, 6]
    assert [(p.code, p.line) for p in parsed.errors] == [("no_rows_for_tenant", None)]


def test_a_file_without_rows_is_refused(world):
    apply(world, PUBLIC)
    header_only = data_of(PUBLIC).split(b"\r\n")[0] + b"\r\n"
    parsed = read(world, header_only)
    assert [(p.code, p.severity) for p in parsed.problems] == [("no_rows", "error")]
    with pytest.raises(ValidationError):
        apply(world, header_only)
    assert Service.objects.filter(is_published=True).count() == 4


def test_five_digit_code_without_check_digit_is_the_tenant(world):
    parsed = read(world, CARE_RECOMMENDED)
    assert b"11209," in data_of(CARE_RECOMMENDED)
    assert not problems(parsed, "other_municipality")
    assert len(parsed.records) == 5


def test_unreadable_opening_days_are_an_error_but_remarks_are_a_note(world):
    parsed = read(world, "bad_schedule.csv")
    [error] = parsed.errors
    assert (error.line, error.code, error.column) == (2, "schedule_invalid", "利用可能曜日")
    [hall] = parsed.records
    assert hall.line == 3 and hall.schedules == ()
    assert "不定期" in hall.description


def test_empty_name_is_an_error(world):
    lines = data_of(PUBLIC).decode("utf-8-sig").split("\r\n")
    lines[1] = lines[1].replace("桶川市役所", "", 1)
    parsed = read(world, "\r\n".join(lines).encode("utf-8"))
    assert [(p.line, p.code, p.column) for p in parsed.errors] == [(2, "name_missing", "名称")]


def test_fixes_are_reported_with_their_rule(world):
    parsed = read(world, CARE_CURRENT)
    fixed = {(p.line, p.code, p.column) for p in problems(parsed, severity="fixed")}
    assert fixed == {
        (3, "address_joined", "所在地_連結表記"),
        (3, "phone_normalised", "電話番号"),
        (4, "address_split", "所在地_連結表記"),
        (6, "phone_normalised", "電話番号"),
    }
    by_line = {r.line: r for r in parsed.records}
    assert by_line[3].address == "埼玉県桶川市若宮1丁目5-2"
    assert by_line[3].phones[0].number == "048-999-0102"
    assert (by_line[4].prefecture, by_line[4].city, by_line[4].town, by_line[4].street) == (
        "埼玉県", "桶川市", "若宮1丁目", "5-9",
    )  # fmt: skip
    assert by_line[4].building == "けやきビル2階"
    assert by_line[6].phones[0].number == "048-999-0105"


def test_address_without_prefecture_gets_it(world):
    parsed = read(world, CARE_RECOMMENDED)
    [fixed] = problems(parsed, "prefecture_prefixed")
    assert (fixed.line, fixed.column, fixed.severity) == (4, "住所", "fixed")
    record = next(r for r in parsed.records if r.line == 4)
    assert record.address == "埼玉県桶川市若宮1丁目5-9\u3000けやきビル2階"
    assert record.building == "けやきビル2階"


def test_no_coordinates_is_a_warning_and_the_record_is_kept(world):
    parsed = read(world, CARE_CURRENT)
    [warning] = problems(parsed, "no_coordinates")
    assert (warning.line, warning.severity) == (5, "warning")
    apply(world, CARE_CURRENT)
    location = location_of(service("K0004"))
    assert location.latitude is None and location.longitude is None and not location.has_position


@pytest.mark.parametrize(
    ("written", "number", "fixed"),
    [
        ("048-786-3211", "048-786-3211", False),
        ("0487863211", "0487863211", False),
        ("０４８－７８６－３２１１", "048-786-3211", True),
        ("048ー786ー3211", "048-786-3211", True),
        ("048(786)3211", "048-786-3211", True),
        ("(048)786-3211", "048-786-3211", True),
        ("090‐1234‐5678", "090-1234-5678", True),
    ],
)
def test_phone_normalisation(written, number, fixed):
    assert opendata.normalise_phone(written) == (number, fixed)


def test_phone_with_wrong_digit_count_is_kept_with_a_warning(world):
    text = data_of(PUBLIC).decode("utf-8-sig").replace("048-999-0503", "786-3211")
    parsed = read(world, text.encode("utf-8"))
    [warning] = problems(parsed, "phone_unusual")
    assert (warning.line, warning.column, warning.severity) == (4, "電話番号", "warning")
    assert next(r for r in parsed.records if r.line == 4).phones[0].number == "786-3211"


def test_excel_time_fractions_are_read_as_times(world):
    parsed = read(world, MEDICAL)
    assert {(p.line, p.column) for p in problems(parsed, "time_fraction")} == {
        (3, "診療開始時間"),
        (3, "診療終了時間"),
    }
    clinic = next(r for r in parsed.records if r.line == 3)
    [rule] = clinic.schedules
    assert (rule.byday, rule.opens_at, rule.closes_at) == ("MO,TU,WE,FR,SA", time(9), time(18))
    assert rule.notes == "木曜・日曜・祝日休診"


# --------------------------------------------------------------------------- mapping


def test_current_care_file_maps_into_the_directory(world):
    diff = apply(world, CARE_CURRENT)
    assert diff.counts == {"added": 5, "changed": 0, "removed": 0, "unchanged": 0}
    assert Service.objects.filter(source_dataset="care_service").count() == 5
    assert ServiceAtLocation.objects.count() == 5

    centre = service("K0001")
    assert centre.audiences == ",elderly,"
    assert list(centre.categories.values_list("code", flat=True)) == ["community_care_center"]
    assert centre.alternate_name == "オケガワシトウブチイキホウカツシエンセンター"
    assert "高齢者の総合相談窓口です。" in centre.description
    assert fold("桶川市東部地域包括支援センター") in centre.search_text
    assert fold("地域包括支援センター") in centre.search_text
    assert sorted(centre.phones.values_list("number", "kind")) == [
        ("048-999-0101", "voice"),
        ("048-999-0201", "fax"),
    ]
    [rule] = centre.schedules.all()
    assert (rule.freq, rule.byday, rule.opens_at, rule.closes_at) == (
        "WEEKLY", "MO,TU,WE,TH,FR", time(8, 30), time(17, 15),
    )  # fmt: skip
    assert rule.weekday_mask == 0b0011111 and rule.closed_on_holidays
    assert rule.notes == "祝日、年末年始を除く"
    place = location_of(centre)
    assert (place.address, place.prefecture, place.city, place.town, place.street) == (
        "埼玉県桶川市泉1丁目3-28", "埼玉県", "桶川市", "泉1丁目", "3-28",
    )  # fmt: skip
    assert place.area == world.district  # 桶川地区 holds (36.0057, 139.5429)
    assert place.source_key == centre.source_key

    day_care = service("K0002")
    assert list(day_care.categories.values_list("code", flat=True)) == ["care_service"]
    assert day_care.url == "https://example.jp/keyaki/"
    assert location_of(service("K0005")).area == world.other_district  # 加納地区


def test_organizations_are_reused_by_corporate_number_or_name(world):
    existing = Organization.objects.create(tenant=world.tenant_a, name="株式会社あおばケア")
    apply(world, CARE_CURRENT)
    keyaki = Organization.objects.get(corporate_number="7030005000123")
    assert keyaki.name == "社会福祉法人けやき会"
    assert service("K0002").organization == keyaki == service("K0003").organization
    assert location_of(service("K0002")).organization == keyaki
    assert service("K0004").organization == existing
    assert service("K0001").organization is None  # no 法人の名称 given
    assert Organization.objects.filter(tenant=world.tenant_a).count() == 3


def test_school_district_is_the_junior_high_school_district_holding_the_point(world):
    school = core_services.area_create(
        actor=SYSTEM, tenant_id=world.tenant_a.pk, kind=AreaKind.JUNIOR_HIGH_SCHOOL_DISTRICT,
        name="桶川中学校区", name_kana="おけがわちゅうがっこうく", boundary=square(36.0, 139.55),
    )  # fmt: skip
    apply(world, CARE_CURRENT)
    assert location_of(service("K0001")).school_district == school
    assert location_of(service("K0005")).school_district is None


def test_recommended_care_file_keys_records_by_name_and_address(world):
    apply(world, CARE_RECOMMENDED)
    keys = set(Service.objects.values_list("source_key", flat=True))
    assert (
        "care_service:112097:" + fold("けやきケアプランセンター") + "|" + fold("埼玉県桶川市若宮1丁目5-9")
    ) in keys  # fmt: skip
    assert len(keys) == 5
    plan_centre = Service.objects.get(name="けやきケアプランセンター")
    place = location_of(plan_centre)
    assert (place.town, place.street, place.building) == ("若宮1丁目", "5-9", "けやきビル2階")


def test_childcare_categories_and_audiences(world):
    apply(world, CHILDCARE)
    codes = {
        s.source_key.rsplit(":", 1)[1]: list(s.categories.values_list("code", flat=True))
        for s in Service.objects.filter(source_dataset="childcare")
    }
    assert codes == {
        "C0001": ["childcare"],
        "C0002": ["child_rearing_hub"],
        "C0003": ["child_rearing_hub"],
        "C0004": ["childcare"],
    }
    assert set(Service.objects.values_list("audiences", flat=True)) == {",children,"}
    hub = service("C0003", "childcare")
    [rule] = hub.schedules.all()
    assert (rule.freq, rule.byday) == ("MONTHLY", "2WE,4WE")
    assert location_of(service("C0001", "childcare")).transportation == "桶川駅から徒歩10分"


def test_evacuation_public_and_medical_categories(world):
    for name in (EVACUATION, PUBLIC, MEDICAL):
        apply(world, name)
    by_dataset = {}
    for row in Service.objects.all():
        by_dataset.setdefault(row.source_dataset, set()).update(
            row.categories.values_list("code", flat=True)
        )
        assert row.audiences == ",everyone,"
    assert by_dataset == {
        "evacuation_site": {"evacuation_site"},
        "public_facility": {"public_facility"},
        "medical": {"medical"},
    }
    school = service("E0001", "evacuation_site")
    assert "洪水" in school.description and "1200" in school.description
    hall = service("P0004", "public_facility")
    assert hall.schedules.count() == 0 and "不定期" in hall.description
    city_hall = service("P0001", "public_facility")
    assert location_of(city_hall).accessibility == "多目的トイレ、エレベーターあり"


# --------------------------------------------------------------------------- diff and apply


@pytest.mark.parametrize("name", GOOD_FILES)
def test_reimporting_the_same_file_changes_nothing(world, name):
    apply(world, name)
    stamps = dict(Service.objects.values_list("pk", "updated_at"))
    places = dict(Location.objects.values_list("pk", "updated_at"))
    before = counts()
    preview = opendata.preview_import(read(world, name), tenant_id=world.tenant_a.pk)
    assert (preview.added, preview.changed, preview.removed) == ([], [], [])
    diff = apply(world, name)
    assert diff.counts["added"] == diff.counts["changed"] == diff.counts["removed"] == 0
    assert diff.counts["unchanged"] == len(stamps)
    assert dict(Service.objects.values_list("pk", "updated_at")) == stamps
    assert dict(Location.objects.values_list("pk", "updated_at")) == places
    after = counts()
    assert after.pop("AuditEntry") == before.pop("AuditEntry") + 1  # the import itself
    assert after == before


def test_changed_phone_shows_old_and_new_and_only_that_record_is_updated(world):
    apply(world, CARE_CURRENT)
    stamps = dict(Service.objects.values_list("source_key", "updated_at"))
    changed_file = data_of(CARE_CURRENT).replace(b"048-999-0103", b"048-999-0999")
    diff = opendata.preview_import(read(world, changed_file), tenant_id=world.tenant_a.pk)
    assert [c.key for c in diff.changed] == ["care_service:112097:K0003"]
    [change] = diff.changed[0].changes
    assert (change.field, change.old, change.new) == ("phones", "048-999-0103", "048-999-0999")
    assert diff.changed[0].line == 4
    assert Phone.objects.filter(number="048-999-0103").exists()  # a preview saves nothing

    apply(world, changed_file)
    plan_centre = service("K0003")
    assert list(plan_centre.phones.values_list("number", flat=True)) == ["048-999-0999"]
    assert plan_centre.version == 2
    after = dict(Service.objects.values_list("source_key", "updated_at"))
    assert after[plan_centre.source_key] > stamps[plan_centre.source_key]
    assert {k: v for k, v in after.items() if k != plan_centre.source_key} == {
        k: v for k, v in stamps.items() if k != plan_centre.source_key
    }


def test_changed_coordinates_move_the_place_and_its_district(world):
    apply(world, CARE_CURRENT)
    moved = data_of(CARE_CURRENT).replace(b"35.998800,139.551200", b"36.000100,139.600200")
    diff = opendata.preview_import(read(world, moved), tenant_id=world.tenant_a.pk)
    fields = {c.field: (c.old, c.new) for c in diff.changed[0].changes}
    assert fields["location.latitude"] == ("35.9988", "36.0001")
    assert fields["location.area"] == ("桶川地区", "加納地区")
    apply(world, moved)
    assert location_of(service("K0002")).area == world.other_district


def test_row_removed_from_the_file_is_unpublished_not_deleted(world):
    apply(world, CARE_CURRENT)
    lines = data_of(CARE_CURRENT).split(b"\r\n")
    without_k0004 = b"\r\n".join(line for line in lines if b",K0004," not in line)
    diff = opendata.preview_import(read(world, without_k0004), tenant_id=world.tenant_a.pk)
    assert [(r.key, r.name) for r in diff.removed] == [
        ("care_service:112097:K0004", "訪問介護ステーションあおば")
    ]
    before = counts()
    apply(world, without_k0004)
    gone = service("K0004")
    assert (gone.is_published, gone.status) == (False, ServiceStatus.INACTIVE)
    assert gone.phones.count() == 1 and location_of(gone)  # history stays
    after = counts()
    after.pop("AuditEntry"), before.pop("AuditEntry")
    assert after == before
    # Gone twice is not removed twice; back in the file, it is active and published again.
    assert apply(world, without_k0004).counts["removed"] == 0
    diff = apply(world, CARE_CURRENT)
    assert [c.key for c in diff.changed] == ["care_service:112097:K0004"]
    back = service("K0004")
    assert (back.is_published, back.status) == (True, ServiceStatus.ACTIVE)


def test_records_of_other_datasets_and_tenants_are_never_removed(world):
    apply(world, CARE_CURRENT)
    apply(world, PUBLIC)
    b_file = data_of(PUBLIC).replace(b"112097", b"112089")
    apply(world, b_file, tenant=world.tenant_b)
    city_hall_only = b"\r\n".join(data_of(PUBLIC).split(b"\r\n")[:2]) + b"\r\n"
    diff = apply(world, city_hall_only)
    assert sorted(r.key for r in diff.removed) == [
        "public_facility:112097:P0002", "public_facility:112097:P0003",
        "public_facility:112097:P0004",
    ]  # fmt: skip
    assert Service.objects.filter(source_dataset="care_service", is_published=True).count() == 5
    assert Service.objects.filter(tenant=world.tenant_b, is_published=True).count() == 4


def test_staff_categories_and_audiences_survive_a_reimport(world):
    apply(world, CARE_CURRENT)
    terms = ensure_default_categories(world.tenant_a.pk)
    day_care = service("K0002")
    day_care.categories.add(terms["dementia_cafe"])
    Service.objects.filter(pk=day_care.pk).update(audiences=",elderly,disability,")
    diff = apply(world, CARE_CURRENT)
    assert diff.counts["changed"] == 0
    day_care.refresh_from_db()
    assert set(day_care.categories.values_list("code", flat=True)) == {
        "care_service", "dementia_cafe",
    }  # fmt: skip
    assert day_care.audiences == ",elderly,disability,"


def test_a_kind_change_moves_the_managed_category_only(world):
    apply(world, CARE_CURRENT)
    terms = ensure_default_categories(world.tenant_a.pk)
    service("K0002").categories.add(terms["salon"])
    changed = data_of(CARE_CURRENT).replace(
        ",通所介護,".encode(), ",地域包括支援センター,".encode()
    )
    apply(world, changed)
    assert set(service("K0002").categories.values_list("code", flat=True)) == {
        "community_care_center", "salon",
    }  # fmt: skip


@pytest.mark.parametrize(
    "name", ["bad_duplicate_ids.csv", "bad_outside_japan.csv", "bad_schedule.csv"]
)
def test_errors_leave_nothing_behind(world, name):
    apply(world, PUBLIC)  # what the tenant already holds must stay exactly as it is
    stamps = dict(Service.objects.values_list("pk", "updated_at"))
    before = counts()
    parsed = read(world, name)
    assert parsed.has_errors
    with pytest.raises(ValidationError) as raised:
        opendata.apply_import(
            parsed, actor=system_actor(world.tenant_a), tenant_id=world.tenant_a.pk,
            check_permission=False,
        )  # fmt: skip
    assert {p.code for p in raised.value.problems} == {p.code for p in parsed.errors}
    assert len(raised.value.messages) == len(parsed.errors)
    assert counts() == before
    assert dict(Service.objects.values_list("pk", "updated_at")) == stamps


def test_a_failure_while_writing_rolls_everything_back(world, monkeypatch):
    before = counts()
    real_insert = opendata._insert

    def failing_insert(model, rows, now):
        if model is Schedule:
            raise RuntimeError("disk full")
        real_insert(model, rows, now)

    monkeypatch.setattr(opendata, "_insert", failing_insert)
    with pytest.raises(RuntimeError):
        apply(world, CARE_CURRENT)
    assert counts() == before


def test_preview_saves_nothing_not_even_categories(world):
    before = counts()
    diff = opendata.preview_import(read(world, CARE_CURRENT), tenant_id=world.tenant_a.pk)
    assert diff.counts == {"added": 5, "changed": 0, "removed": 0, "unchanged": 0}
    assert [r.line for r in diff.added] == [2, 3, 4, 5, 6]
    assert counts() == before


def test_preview_does_not_call_records_of_erroneous_rows_removed(world):
    apply(world, PUBLIC)
    broken = data_of(PUBLIC).replace(b"36.005700,139.542900", b"91,139.542900")
    parsed = read(world, broken)
    assert parsed.has_errors
    diff = opendata.preview_import(parsed, tenant_id=world.tenant_a.pk)
    assert diff.removed == []
    assert diff.has_errors and diff.summary()["has_errors"]


def test_apply_audits_one_event_with_the_counts(world):
    before = AuditEntry.objects.count()
    apply(world, CARE_CURRENT)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert (entry.tenant_id, entry.object_type, entry.action) == (
        world.tenant_a.pk, "core.tenant", "update",
    )  # fmt: skip
    assert entry.detail["dataset"] == "care_service"
    assert (entry.detail["added"], entry.detail["changed"], entry.detail["removed"]) == (5, 0, 0)
    assert entry.detail["severity_counts"]["fixed"] == 4


def test_apply_checks_the_import_permission(world):
    parsed = read(world, CARE_CURRENT)

    def actor_for(role):
        membership = world.members[role]
        return Actor(
            user_id=membership.user_id, username=membership.user.username,
            tenant_id=world.tenant_a.pk, membership_id=membership.pk, role=role,
            otp_verified=True,
        )  # fmt: skip

    with pytest.raises(PermissionDenied):
        opendata.apply_import(parsed, actor=actor_for(Role.VOLUNTEER), tenant_id=world.tenant_a.pk)
    assert not Service.objects.exists()
    diff = opendata.apply_import(
        parsed, actor=actor_for(Role.MUNICIPAL_STAFF), tenant_id=world.tenant_a.pk
    )
    assert diff.counts["added"] == 5
    with pytest.raises(ValueError):
        opendata.preview_import(parsed, tenant_id=world.tenant_b.pk)


def test_summary_is_json_with_first_rows_of_each_list(world):
    import json

    diff = opendata.preview_import(read(world, CARE_CURRENT), tenant_id=world.tenant_a.pk)
    summary = json.loads(json.dumps(diff.summary()))
    assert summary["counts"]["added"] == 5
    assert summary["dataset_title"] == "介護サービス事業所一覧"
    assert summary["severity_counts"] == {"error": 0, "fixed": 4, "skipped": 0, "warning": 1}
    assert {p["code"] for p in summary["problems"]} == {
        "address_joined", "phone_normalised", "address_split", "no_coordinates",
    }  # fmt: skip


# --------------------------------------------------------------------------- the generator


def test_generated_file_imports_and_reimports_unchanged(world):
    data = generate_open_data_csv(
        300, municipality_code="112097", municipality_name="桶川市", encoding="cp932", seed=3
    )
    assert data == generate_open_data_csv(
        300, municipality_code="112097", municipality_name="桶川市", encoding="cp932", seed=3
    )
    parsed = read(world, data)
    assert (parsed.dataset, parsed.column_set, parsed.encoding) == (
        "care_service", "current", "cp932",
    )  # fmt: skip
    assert len(parsed.records) == 300 and not parsed.has_errors
    assert {p.code for p in parsed.problems} == {"no_coordinates"}
    assert apply(world, data).counts["added"] == 300
    assert apply(world, data).counts["unchanged"] == 300
    assert Phone.objects.count() == 600
    assert Organization.objects.count() == 8


def test_generated_file_for_another_city(world):
    data = generate_open_data_csv(
        20, municipality_code="112089", municipality_name="所沢市", encoding="utf-8", seed=1
    )
    parsed = read(world, data, tenant=world.tenant_b)
    assert len(parsed.records) == 20
    assert all(r.address.startswith("埼玉県所沢市") for r in parsed.records)


# --------------------------------------------------------------------------- the command


def test_command_preview_saves_nothing(world):
    before = counts()
    out = io.StringIO()
    call_command(
        "import_resources", str(FIXTURES / CARE_RECOMMENDED), "--tenant", "112097", "--preview",
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "care_service" in text and "recommended" in text and "cp932" in text
    assert "added: 5, changed: 0, removed: 0, unchanged: 0" in text
    assert "line 4" in text  # the prefecture prefixed on line 4 is reported
    assert counts() == before


def test_command_imports_into_the_named_tenant(world):
    out = io.StringIO()
    b_file = FIXTURES / CARE_CURRENT
    call_command("import_resources", str(b_file), "--tenant", "桶川市", stdout=out)
    assert Service.objects.filter(tenant=world.tenant_a).count() == 5
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert (entry.actor_username, entry.actor_id) == ("import_resources", None)


def test_command_preview_lists_changes_at_verbosity_2(world, tmp_path):
    apply(world, CARE_CURRENT)
    changed = tmp_path / "changed.csv"
    changed.write_bytes(data_of(CARE_CURRENT).replace(b"048-999-0103", b"048-999-0999"))
    out = io.StringIO()
    call_command(
        "import_resources", str(changed), "--tenant", "112097", "--preview", verbosity=2,
        stdout=out,
    )  # fmt: skip
    assert "048-999-0103 → 048-999-0999" in out.getvalue()
    assert list(service("K0003").phones.values_list("number", flat=True)) == ["048-999-0103"]


def test_command_fails_on_errors_and_saves_nothing(world):
    before = counts()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_resources", str(FIXTURES / "bad_duplicate_ids.csv"), "--tenant", "112097",
            stdout=io.StringIO(), stderr=err,
        )  # fmt: skip
    assert "line 2" in err.getvalue() and "line 4" in err.getvalue()
    with pytest.raises(CommandError):
        call_command(
            "import_resources", str(FIXTURES / "bad_encoding_latin1.csv"), "--tenant", "112097",
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip
    with pytest.raises(CommandError):
        call_command("import_resources", str(FIXTURES / CARE_CURRENT), "--tenant", "999999")
    assert counts() == before


def public_file(*rows: dict, extra: tuple = (), drop: tuple = ()) -> bytes:
    """A 公共施設一覧 (正式版) file with the fixture's header (`extra` added, `drop` not)."""
    header = data_of(PUBLIC).decode("utf-8-sig").splitlines()[0].split(",") + list(extra)
    header = [name for name in header if name not in drop]
    base = {"全国地方公共団体コード": "112097", "地方公共団体名": "埼玉県桶川市",
            "所在地_連結表記": "埼玉県桶川市若宮1丁目5-9", "緯度": "35.999", "経度": "139.5506"}  # fmt: skip
    return _csv_of(header, base, rows)


def _csv_of(header: list[str], base: dict, rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**base, **row})
    return out.getvalue().encode("utf-8")


def test_a_note_with_hours_for_saturday_is_read_into_the_rules(world):
    parsed = read(world, public_file({
        "ID": "N1", "名称": "若宮公民館", "利用可能曜日": "月火水木金土", "開始時間": "9:00",
        "終了時間": "21:00", "利用可能日時特記事項": "土曜日は18時まで",
    }))  # fmt: skip
    assert not parsed.has_errors
    [hall] = parsed.records
    hours = {(r.byday, r.opens_at, r.closes_at) for r in hall.schedules}
    assert hours == {("MO,TU,WE,TH,FR", time(9), time(21)), ("SA", time(9), time(18))}
    assert all(rule.notes == "土曜日は18時まで" for rule in hall.schedules)


def formula_safe(csv_bytes: bytes) -> bytes:
    """What the exporter writes once cells are made formula-safe: '=… for =…, +…, -…, @…."""
    text = csv_bytes.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in row])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def directory_state():
    return sorted(
        Service.objects.values_list(
            "name", "description", "is_published", "status", "source_key", "version"
        )
    ), {model.__name__: model.objects.count() for model in MODELS[:7]}


@pytest.mark.parametrize("made_safe", [False, True])
def test_reimporting_the_platforms_own_export_changes_nothing(world, made_safe):
    apply(world, PUBLIC)
    make_service(world.tenant_a, "子ども食堂ひまわり", description="=1+1 ではありません")
    before = directory_state()
    exported = exports.open_data_csv(world.tenant_a)
    data = formula_safe(exported) if made_safe else exported
    diff = opendata.preview_import(read(world, data), tenant_id=world.tenant_a.pk)
    assert (diff.counts["added"], diff.counts["changed"], diff.counts["removed"]) == (0, 0, 0)
    apply(world, data)
    assert directory_state() == before


def test_a_leading_apostrophe_before_a_formula_sign_is_taken_off(world):
    parsed = read(world, public_file({"ID": "Q1", "名称": "'=若宮公民館", "説明": "'-ひとこと"}))
    [hall] = parsed.records
    assert hall.name == "=若宮公民館" and hall.description == "-ひとこと"


def test_english_name_and_accessibility_columns_are_kept_and_searchable(world):
    extra = ("名称_英字", "多目的トイレ", "車椅子対応", "駐車場情報", "独自の列")
    data = public_file({
        "ID": "A1", "名称": "若宮公民館", "名称_英字": "Wakamiya Community Hall",
        "多目的トイレ": "有", "車椅子対応": "○", "駐車場情報": "10台", "独自の列": "x",
    }, extra=extra, drop=("名称_英語",))  # fmt: skip
    parsed = read(world, data)
    assert [p.column for p in problems(parsed, "ignored_column")] == ["独自の列"]
    assert problems(parsed, "ignored_column")[0].severity == opendata.WARNING
    apply(world, data)
    hall = Service.objects.get(name="若宮公民館")
    assert hall.name_en == "Wakamiya Community Hall"
    place = Location.objects.get(name="若宮公民館")
    assert (place.step_free, place.accessible_toilet, place.parking) == (True, True, True)


def test_barrier_free_text_sets_the_accessibility_filters(world):
    apply(world, PUBLIC)
    city_hall = Location.objects.get(name="桶川市役所")  # 「多目的トイレ、エレベーターあり」
    assert city_hall.accessible_toilet and not city_hall.step_free
    with tenant_context(world.tenant_a.pk):
        found = selectors.search_places(
            world.tenant_a.pk, selectors.PlaceFilters(accessible_toilet=True)
        )
    assert [p.service.name for p in found] == ["桶川市役所"]


def evacuation_file(*rows: dict) -> bytes:
    header = data_of(EVACUATION).decode("utf-8-sig").splitlines()[0].split(",")
    return _csv_of(
        header, {"全国地方公共団体コード": "112097", "地方公共団体名": "埼玉県桶川市"}, rows
    )


def _hall_in_two_datasets(world):
    """桶川市民ホール as a public facility and, with the same name and address, an evacuation site."""
    apply(world, PUBLIC)
    apply(world, evacuation_file({
        "ID": "E9", "名称": "桶川市民ホール", "所在地_連結表記": "埼玉県桶川市若宮1丁目5-9",
        "緯度（世界測地系）": "35.999000", "経度（世界測地系）": "139.550600", "災害種別_地震": "1",
    }))  # fmt: skip


def test_a_place_in_two_datasets_appears_once_to_residents_with_both_roles(world):
    _hall_in_two_datasets(world)
    assert Service.objects.filter(name="桶川市民ホール").count() == 2  # one per dataset
    client = Client()
    for query in ({"q": "市民ホール"}, {"category": "evacuation_site"}, {}):
        page = client.get(f"/map/{world.tenant_a.code}/", query)
        found = [p for p in page.context["page"] if p.service.name == "桶川市民ホール"]
        assert len(found) == 1, query
        assert {c.code for c in found[0].category_list} == {"public_facility", "evacuation_site"}
    place = found[0].service
    detail = client.get(f"/map/{world.tenant_a.code}/places/{place.uid}/").content.decode()
    assert "公共施設" in detail and "指定緊急避難場所" in detail


def test_a_stale_list_of_twins_never_hides_a_place_that_is_no_longer_a_twin(world):
    _hall_in_two_datasets(world)
    client = Client()

    def shown():
        page = client.get(f"/map/{world.tenant_a.code}/", {"q": "市民ホール"})
        return [p for p in page.context["page"] if p.service.name == "桶川市民ホール"]

    assert len(shown()) == 1  # the twins are now cached
    later = Service.objects.filter(name="桶川市民ホール").order_by("pk").last()
    # A change the cache does not hear of (written outside the services): the two records
    # are no longer the same place, so both must show.
    Location.objects.filter(services_at__service=later).update(address="埼玉県桶川市若宮2丁目1-1")
    assert len(shown()) == 2
