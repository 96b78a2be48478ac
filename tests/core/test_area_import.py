"""Districts import: real GeoJSON, CSV and e-Stat shapefiles built here, checked, then applied."""

import io
import json
import time
import zipfile

import pytest
import shapefile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.core import area_import
from sasaeai.core.area_import import Options
from sasaeai.core.models import Area, AreaImport, AreaKind
from sasaeai.jobs.models import Job, JobStatus
from sasaeai.jobs.worker import run_pending
from tests.conftest import SYSTEM, square

# 市川市 (千葉県, 122033): a 3×3 grid of 0.01° squares east of the 江戸川.
LAT, LON = 35.72, 139.93

JGD2011_PRJ = (
    'GEOGCS["JGD2011",DATUM["Japanese_Geodetic_Datum_2011",SPHEROID["GRS_1980",6378137.0,'
    '298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)
# 平面直角座標系 第IX系 (JGD2011), as a city's GIS exports it.
PLANE_IX_PRJ = (
    'PROJCS["JGD2011_Japan_Zone_9",GEOGCS["GCS_JGD_2011",DATUM["D_JGD_2011",SPHEROID['
    '"GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",'
    '0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",0.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",139.8333333333333],'
    'PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",36.0],UNIT["Meter",1.0]]'
)


def cell(i: int, j: int, half: float = 0.005) -> dict:
    return square(LAT + i * 0.01, LON + j * 0.01, half)


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[139.90, 35.70], [139.91, 35.71], [139.91, 35.70], [139.90, 35.71],
                     [139.90, 35.70]]],
}  # fmt: skip


def geojson(features: list[dict], **extra) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features, **extra}).encode()


def feature(name, *, code="", kind="district", parent="", kana="", geometry=None) -> dict:
    properties = {"code": code, "name": name, "kind": kind, "parent": parent, "name_kana": kana}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def estat_zip(records, *, prj=JGD2011_PRJ, stem="r2ka12203") -> bytes:
    """An e-Stat 小地域 shapefile as published: CP932 .dbf, JGD2011 .prj, in a zip."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="cp932"
    )
    for name, size in (("KEY_CODE", 11), ("PREF", 2), ("CITY", 3), ("S_AREA", 6),
                       ("PREF_NAME", 12), ("CITY_NAME", 16), ("S_NAME", 40)):  # fmt: skip
        writer.field(name, "C", size, 0)
    writer.field("HCODE", "N", 4, 0)
    for s_area, s_name, hcode, geometry in records:
        # Shapefiles go clockwise round an exterior ring (GeoJSON goes the other way).
        writer.poly([list(reversed(ring)) for ring in geometry["coordinates"]])
        writer.record(f"12203{s_area}", "12", "203", s_area, "千葉県", "市川市", s_name, hcode)
    writer.close()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{stem}.shp", shp.getvalue())
        archive.writestr(f"{stem}.shx", shx.getvalue())
        archive.writestr(f"{stem}.dbf", dbf.getvalue())
        if prj is not None:
            archive.writestr(f"{stem}.prj", prj)
    return buffer.getvalue()


def check(world, name, data, **options):
    return area_import.validate(
        {name: data}, tenant_id=world.tenant_a.pk, options=Options(**options)
    )


def run(world, name, data, **options):
    preview = check(world, name, data, **options)
    assert not preview.has_errors, [(p.where, p.message) for p in preview.errors]
    return area_import.apply(preview, actor=SYSTEM)


def errors_of(preview) -> list[tuple[int | None, str]]:
    return [(p.number, p.message) for p in preview.errors]


def assert_refused(world, preview, number, fragment):
    """The file has this error at this place, and applying it saves nothing."""
    found = [message for n, message in errors_of(preview) if n == number and fragment in message]
    assert found, errors_of(preview)
    before = sorted(Area.objects.values_list("pk", "name", "boundary"))
    with pytest.raises(area_import.AreaImportError):
        area_import.apply(preview, actor=SYSTEM)
    assert sorted(Area.objects.values_list("pk", "name", "boundary")) == before


# ── formats ─────────────────────────────────────────────────────────────────────────────


def test_geojson_creates_areas_with_parents_from_the_file(world):
    data = geojson([
        feature("八幡地区", code="D1", kana="やわたちく", geometry=cell(0, 0)),
        feature("八幡小学校区", code="E1", kind="elementary_school_district", parent="D1",
                geometry=cell(0, 0, 0.004)),
        feature("菅野地区", code="D2", geometry=cell(0, 1)),
    ])  # fmt: skip
    counts = run(world, "areas.geojson", data)
    assert counts["new"] == 3
    school = Area.objects.get(tenant=world.tenant_a, name="八幡小学校区")
    assert school.kind == AreaKind.ELEMENTARY_SCHOOL_DISTRICT
    assert school.parent.name == "八幡地区"
    district = school.parent
    assert district.name_kana == "やわたちく"
    assert district.centroid_lat == pytest.approx(LAT)
    assert district.min_lon == pytest.approx(LON - 0.005)
    assert "やわたちく" in district.search_text


def test_csv_in_cp932_with_japanese_headers_and_wkt(world):
    text = (
        "コード,名称,種別,親,ふりがな,境界,備考\r\n"
        'D1,八幡地区,地区,,やわたちく,"POLYGON ((139.925 35.715, 139.935 35.715, 139.935 35.725,'
        ' 139.925 35.725, 139.925 35.715))",メモ\r\n'
        "C1,八幡第1区,民生委員担当区域,八幡地区,やわただいいっく,,\r\n"
        f'D2,菅野地区,地区,,,"{json.dumps(cell(0, 1)).replace(chr(34), chr(34) * 2)}",\r\n'
    )
    preview = check(world, "areas.csv", text.encode("cp932"))
    assert preview.encoding == "cp932"
    assert not preview.has_errors, errors_of(preview)
    assert [w.message for w in preview.warnings] == ["取り込まない列があります: 備考"]
    area_import.apply(preview, actor=SYSTEM)
    commissioner = Area.objects.get(name="八幡第1区")
    assert commissioner.kind == AreaKind.COMMISSIONER_DISTRICT
    assert commissioner.parent.name == "八幡地区"
    assert commissioner.boundary is None
    assert Area.objects.get(name="菅野地区").boundary == cell(0, 1)


def test_csv_in_utf8_with_bom_and_a_kind_for_all(world):
    data = "\ufeffcode,name\nS1,第一小学校区\nS2,第二小学校区\n".encode()
    run(world, "schools.csv", data, kind="elementary_school_district")
    assert set(
        Area.objects.filter(kind=AreaKind.ELEMENTARY_SCHOOL_DISTRICT).values_list("name", flat=True)
    ) == {"第一小学校区", "第二小学校区"}


def test_a_parent_for_rows_that_name_none(world):
    data = "名称,種別,親\n甲地区,地区,\n乙地区,地区,加納地区\n".encode()
    run(world, "a.csv", data, parent="桶川地区")
    assert Area.objects.get(name="甲地区").parent == world.district
    assert Area.objects.get(name="乙地区").parent == world.other_district


def test_estat_shapefile_zip_skips_water_and_sets_the_parent(world):
    data = estat_zip([
        ("001001", "八幡一丁目", 8101, cell(0, 0)),
        ("001002", "八幡二丁目", 8101, cell(0, 1)),
        ("009000", "江戸川", 8154, cell(1, 0)),
    ])  # fmt: skip
    preview = check(world, "r2ka12203.zip", data, parent="桶川地区")
    assert preview.format == "estat-shapefile"
    assert preview.encoding == "cp932"
    assert [(w.number, w.message) for w in preview.warnings] == [
        (3, "水面調査区（HCODE 8154）のため取り込みません: 江戸川")
    ]
    area_import.apply(preview, actor=SYSTEM)
    area = Area.objects.get(code="12203001001")
    assert area.name == "八幡一丁目"
    assert area.kind == AreaKind.DISTRICT
    assert area.parent == world.district
    assert area.boundary["type"] == "Polygon"
    assert not Area.objects.filter(name="江戸川").exists()


def test_estat_enclave_parts_become_one_multipolygon(world):
    """e-Stat gives each part of a split 小地域 (飛び地) its own record with the same KEY_CODE."""
    data = estat_zip([
        ("001001", "八幡一丁目", 8101, cell(0, 0)),
        ("001002", "八幡二丁目", 8101, cell(0, 1)),
        ("001001", "八幡一丁目", 8101, cell(2, 2)),
    ])  # fmt: skip
    preview = check(world, "a.zip", data)
    assert not preview.has_errors, errors_of(preview)
    assert [row.name for row in preview.rows] == ["八幡一丁目", "八幡二丁目"]
    area_import.apply(preview, actor=SYSTEM)
    area = Area.objects.get(code="12203001001")
    assert area.boundary["type"] == "MultiPolygon"
    assert len(area.boundary["coordinates"]) == 2
    assert check(world, "a.zip", data).rows[0].status == "unchanged"


def test_estat_parent_from_city_name(world):
    from sasaeai.core import services

    services.area_create(actor=SYSTEM, tenant_id=world.tenant_a.pk, kind="daily_life_area",
                         name="市川市", code="122033")  # fmt: skip
    data = estat_zip([("001001", "八幡一丁目", 8101, cell(0, 0))])
    run(world, "a.zip", data, parent_from_city=True)
    assert Area.objects.get(code="12203001001").parent.name == "市川市"


def test_estat_shapefile_as_separate_files(world):
    with zipfile.ZipFile(io.BytesIO(estat_zip([("001001", "八幡一丁目", 8101, cell(0, 0))]))) as z:
        files = {name: z.read(name) for name in z.namelist()}
    preview = area_import.validate(files, tenant_id=world.tenant_a.pk)
    assert not preview.has_errors, errors_of(preview)
    assert [row.name for row in preview.rows] == ["八幡一丁目"]


def test_estat_geojson_with_the_same_attributes(world):
    properties = {"KEY_CODE": "12203001001", "PREF": "12", "CITY": "203", "S_AREA": "001001",
                  "PREF_NAME": "千葉県", "CITY_NAME": "市川市", "S_NAME": "八幡一丁目",
                  "HCODE": 8101}  # fmt: skip
    water = {**properties, "KEY_CODE": "12203009000", "S_NAME": "江戸川", "HCODE": 8154}
    data = geojson([
        {"type": "Feature", "properties": properties, "geometry": cell(0, 0)},
        {"type": "Feature", "properties": water, "geometry": cell(1, 0)},
    ])  # fmt: skip
    preview = check(world, "r2ka12203.geojson", data)
    assert preview.format == "estat-geojson"
    assert [row.code for row in preview.rows] == ["12203001001"]
    assert len(preview.warnings) == 1


def test_command_dry_run_then_import(world, tmp_path, capsys):
    path = tmp_path / "r2ka12203.zip"
    path.write_bytes(estat_zip([("001001", "八幡一丁目", 8101, cell(0, 0))]))
    call_command("import_areas", str(path), "--tenant", "桶川市", "--dry-run")
    out = capsys.readouterr().out
    assert "new: 1" in out and "dry run" in out
    assert not Area.objects.filter(code="12203001001").exists()
    call_command("import_areas", str(path), "--tenant", world.tenant_a.code)
    assert Area.objects.get(code="12203001001").tenant == world.tenant_a
    entry = AuditEntry.objects.get(object_type="core.area_import")
    assert entry.detail["new"] == 1
    assert entry.actor_username == "import_areas"


def test_command_with_separate_shapefile_parts(world, tmp_path):
    with zipfile.ZipFile(io.BytesIO(estat_zip([("001001", "八幡一丁目", 8101, cell(0, 0))]))) as z:
        z.extractall(tmp_path)
    call_command("import_areas", str(tmp_path / "r2ka12203.shp"), "--tenant", "桶川市")
    assert Area.objects.filter(code="12203001001").exists()


def test_command_reports_errors_with_lines_and_saves_nothing(world, tmp_path, capsys):
    path = tmp_path / "areas.csv"
    path.write_text("code,name,kind\nX1,甲地区,district\nX2,乙地区,village\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1"):
        call_command("import_areas", str(path), "--tenant", "桶川市")
    assert "3行目" in capsys.readouterr().err
    assert not Area.objects.filter(code__in=["X1", "X2"]).exists()


# ── re-import ───────────────────────────────────────────────────────────────────────────


def test_reimport_changes_nothing_and_a_change_is_shown(world):
    data = estat_zip([
        ("001001", "八幡一丁目", 8101, cell(0, 0)),
        ("001002", "八幡二丁目", 8101, cell(0, 1)),
    ])  # fmt: skip
    run(world, "a.zip", data)
    snapshot = sorted(Area.objects.values_list("pk", "code", "name", "boundary", "parent_id"))
    preview = check(world, "a.zip", data)
    assert [row.status for row in preview.rows] == ["unchanged", "unchanged"]
    assert area_import.apply(preview, actor=SYSTEM)["unchanged"] == 2
    assert (
        sorted(Area.objects.values_list("pk", "code", "name", "boundary", "parent_id")) == snapshot
    )
    renamed = estat_zip([
        ("001001", "八幡1丁目", 8101, cell(0, 0)),
        ("001002", "八幡二丁目", 8101, cell(0, 1, 0.004)),
    ])  # fmt: skip
    preview = check(world, "b.zip", renamed)
    assert [(row.status, row.changes) for row in preview.rows] == [
        ("changed", ["名称"]), ("changed", ["境界"]),
    ]  # fmt: skip
    area_import.apply(preview, actor=SYSTEM)
    assert Area.objects.get(code="12203001001").name == "八幡1丁目"
    assert Area.objects.filter(kind="district", tenant=world.tenant_a).count() == 4


def test_existing_area_matched_by_name_when_it_has_no_code(world):
    preview = check(world, "a.csv", "code,name,kind\nOK1,桶川地区,district\n".encode())
    assert preview.rows[0].area_id == world.district.pk
    assert preview.rows[0].changes == ["コード"]


# ── bad input: each with its place and message, nothing saved ──────────────────────────


def test_bow_tie_is_refused(world):
    preview = check(world, "a.geojson", geojson([
        feature("甲地区", geometry=cell(0, 0)), feature("乙地区", geometry=BOW_TIE),
    ]))  # fmt: skip
    assert_refused(world, preview, 2, "自己交差")
    assert preview.errors[0].where == "地物2"


def test_overlapping_polygons_in_the_file_are_refused(world):
    preview = check(world, "a.geojson", geojson([
        feature("甲地区", geometry=cell(0, 0)),
        feature("乙地区", geometry=square(LAT, LON + 0.005, 0.005)),
        feature("丙地区", geometry=cell(1, 0)),  # touches 甲 along an edge: fine
    ]))  # fmt: skip
    assert errors_of(preview) == [(2, "境界が地物1と重なっています（約 503,046 m²）。")]
    assert_refused(world, preview, 2, "地物1")


def test_overlap_with_an_existing_area_is_refused_but_a_sliver_is_not(world):
    # 桶川地区 is the 0.02° square around (36.0, 139.55).
    overlapping = square(36.0, 139.565, 0.01)
    sliver = {"type": "Polygon", "coordinates": [[[139.56 - 1e-7, 35.99], [139.58, 35.99],
              [139.58, 36.01], [139.56 - 1e-7, 36.01], [139.56 - 1e-7, 35.99]]]}  # fmt: skip
    preview = check(world, "a.geojson", geojson([
        feature("甲地区", geometry=overlapping), feature("乙地区", geometry=sliver),
    ]))  # fmt: skip
    messages = errors_of(preview)
    assert len([m for n, m in messages if n == 1 and "既存の地域「桶川地区」" in m]) == 1
    assert not [m for n, m in messages if n == 2 and "桶川地区" in m]
    assert_refused(world, preview, 1, "桶川地区")


def test_areas_of_other_kinds_may_overlap(world):
    preview = check(world, "a.geojson", geojson([
        feature("桶川小学校区", kind="elementary_school_district", geometry=square(36.0, 139.55)),
    ]))  # fmt: skip
    assert not preview.has_errors, errors_of(preview)


def test_unknown_kind_is_refused(world):
    preview = check(world, "a.csv", "名称,種別\n甲地区,地区\n乙,village\n".encode())
    assert_refused(world, preview, 3, "種別「village」は使えません")


def test_unknown_parent_is_refused(world):
    preview = check(world, "a.csv", "名称,種別,親\n甲地区,地区,存在しない地区\n".encode())
    assert_refused(world, preview, 2, "上位地域「存在しない地区」が見つかりません")


def test_duplicate_code_is_refused(world):
    data = estat_zip([
        ("001001", "八幡一丁目", 8101, cell(0, 0)),
        ("001001", "八幡二丁目", 8101, cell(0, 1)),
    ])  # fmt: skip
    preview = check(world, "a.zip", data)
    assert_refused(world, preview, 2, "コード「12203001001」が重複しています（最初はレコード1）")


def test_duplicate_name_is_refused(world):
    preview = check(world, "a.csv", "name,kind\n甲地区,district\n甲地区,district\n".encode())
    assert_refused(world, preview, 3, "2行目")


def test_name_of_an_existing_area_is_refused(world):
    preview = check(world, "a.csv", "code,name,kind\nK9,加納地区,district\n".encode())
    # Matched by name: the same area, so this is an update, not a clash.
    assert preview.rows[0].area_id == world.other_district.pk
    preview = check(world, "a.csv", "code,name,kind\nK9,甲地区,district\nK8,加納地区,district\n"
                    "K9X,桶川地区,district\n".encode())  # fmt: skip
    assert not preview.has_errors


def test_missing_name_is_refused(world):
    data = estat_zip([("001001", "", 8101, cell(0, 0))])
    preview = check(world, "a.zip", data)
    assert_refused(world, preview, 1, "名称がありません")
    assert preview.errors[0].where == "レコード1"


def test_projected_prj_is_refused(world):
    data = estat_zip([("001001", "八幡一丁目", 8101, cell(0, 0))], prj=PLANE_IX_PRJ)
    preview = check(world, "a.zip", data)
    assert preview.errors[0].number is None
    assert "平面直角座標系" in preview.errors[0].message
    assert "JGD2011_Japan_Zone_9" in preview.errors[0].message
    assert not preview.rows


def test_metres_without_a_prj_are_refused(world):
    metres = {"type": "Polygon", "coordinates": [[[-5000, 30000], [-4000, 30000],
              [-4000, 31000], [-5000, 31000], [-5000, 30000]]]}  # fmt: skip
    data = estat_zip([("001001", "八幡一丁目", 8101, metres)], prj=None)
    preview = check(world, "a.zip", data)
    assert [w.message for w in preview.warnings][0].startswith(".prj がありません")
    assert_refused(world, preview, 1, "平面直角座標系")


def test_swapped_coordinates_are_outside_japan(world):
    swapped = {"type": "Polygon", "coordinates": [[[35.70, 139.90], [35.71, 139.90],
               [35.71, 139.91], [35.70, 139.91], [35.70, 139.90]]]}  # fmt: skip
    preview = check(world, "a.geojson", geojson([feature("甲地区", geometry=swapped)]))
    assert_refused(world, preview, 1, "日本の外")


def test_open_ring_and_non_polygon_geometry(world):
    open_ring = {"type": "Polygon", "coordinates": [[[139.9, 35.7], [139.91, 35.7],
                 [139.91, 35.71]]]}  # fmt: skip
    preview = check(world, "a.geojson", geojson([
        feature("甲地区", geometry=open_ring),
        feature("乙地区", geometry={"type": "Point", "coordinates": [139.9, 35.7]}),
    ]))  # fmt: skip
    assert [n for n, _ in errors_of(preview)] == [1, 2]
    assert "閉じて" in errors_of(preview)[0][1]


def test_unreadable_files(world):
    assert "GeoJSON" in check(world, "a.geojson", b"{oops").errors[0].message
    assert check(world, "a.zip", b"PK\x03\x04broken").errors[0].message
    assert "名称" in check(world, "a.csv", b"foo,bar\n1,2\n").errors[0].message
    assert check(world, "a.csv", b"name\n").errors[0].message == "ファイルに地区がありません。"


def test_a_parent_cycle_is_refused(world):
    data = "code,name,kind,parent\nA,甲地区,district,B\nB,乙地区,district,A\n".encode()
    assert "循環" in " ".join(m for _, m in errors_of(check(world, "a.csv", data)))


def test_check_again_at_apply_time(world):
    """A preview made before someone else added an overlapping area is refused at apply."""
    preview = check(world, "a.geojson", geojson([feature("甲地区", geometry=cell(0, 0))]))
    assert not preview.has_errors
    from sasaeai.core import services

    services.area_create(actor=SYSTEM, tenant_id=world.tenant_a.pk, kind="district",
                         name="先に登録", boundary=cell(0, 0))  # fmt: skip
    with pytest.raises(area_import.AreaImportError):
        area_import.apply(preview, actor=SYSTEM)
    assert not Area.objects.filter(name="甲地区").exists()


# ── pages ───────────────────────────────────────────────────────────────────────────────


def upload(client, name, data, **fields):
    return client.post("/areas/import/", {"files": SimpleUploadedFile(name, data), **fields})


def test_page_flow_upload_preview_apply(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    assert "/areas/import/" in client.get("/areas/").content.decode()
    data = estat_zip([
        ("001001", "八幡一丁目", 8101, cell(0, 0)),
        ("009000", "江戸川", 8154, cell(1, 0)),
    ])  # fmt: skip
    response = upload(client, "r2ka12203.zip", data, parent="桶川地区")
    assert response.status_code == 302
    record = AreaImport.objects.get()
    assert response["Location"] == f"/areas/import/{record.token}/"
    page = client.get(response["Location"]).content.decode()
    assert "八幡一丁目" in page and "水面調査区" in page and "レコード2" in page
    assert not Area.objects.filter(code="12203001001").exists()
    response = client.post(f"/areas/import/{record.token}/", {"action": "apply"})
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"  # applying is a background job
    assert (job.kind, job.parameters) == ("core.area_import_apply", {"token": str(record.token)})
    # A second click while the job waits opens the same job.
    again = client.post(f"/areas/import/{record.token}/", {"action": "apply"})
    assert again["Location"] == response["Location"] and Job.objects.count() == 1
    assert not Area.objects.filter(code="12203001001").exists()
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    job_page = client.get(response["Location"]).content.decode()
    assert 'data-status="succeeded"' in job_page
    assert f'href="/areas/import/{record.token}/"' in job_page  # back to the summary
    assert Area.objects.get(code="12203001001").parent == world.district
    record.refresh_from_db()
    assert record.status == "applied" and bytes(record.content) == b""
    entry = AuditEntry.objects.get(object_type="core.area_import")
    assert (entry.detail["new"], entry.detail["warnings"]) == (1, 1)
    assert entry.actor_username == "a-system_admin"
    summary_page = client.get(f"/areas/import/{record.token}/").content.decode()
    assert f'href="/jobs/{job.pk}/"' in summary_page and 'value="apply"' not in summary_page
    # Applying twice does nothing more.
    client.post(f"/areas/import/{record.token}/", {"action": "apply"})
    run_pending()
    assert AuditEntry.objects.filter(object_type="core.area_import").count() == 1
    assert Job.objects.count() == 1


def test_page_shows_errors_per_line_and_cannot_apply(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = upload(client, "a.csv", "name,kind\n甲地区,district\n乙地区,village\n".encode())
    record = AreaImport.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "3行目" in page and "village" in page
    assert 'value="apply"' not in page
    client.post(f"/areas/import/{record.token}/", {"action": "apply"})
    run_pending()
    assert not Area.objects.filter(name="甲地区").exists() and not Job.objects.exists()


def test_an_overlap_added_since_the_preview_fails_the_job_with_its_line(world):
    """Checked again when the job runs: nothing saved, the error and its place on the job page."""
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    data = "name,kind,geometry\n" + "".join(
        f'{name},district,"{json.dumps(geometry).replace(chr(34), chr(34) * 2)}"\n'
        for name, geometry in (("甲地区", cell(0, 0)), ("乙地区", cell(0, 1)))
    )
    upload(client, "a.csv", data.encode())
    record = AreaImport.objects.get()
    assert not record.summary["has_errors"], record.summary["problems"]
    location = client.post(f"/areas/import/{record.token}/", {"action": "apply"})["Location"]
    from sasaeai.core import services

    services.area_create(actor=SYSTEM, tenant_id=world.tenant_a.pk, kind="district",
                         name="先に登録", boundary=cell(0, 1))  # fmt: skip
    before = sorted(Area.objects.values_list("pk", "name"))
    run_pending()
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.error_message.startswith("1件のエラーがあるため、何も保存しませんでした。")
    assert "3行目: " in job.error_message and "既存の地域「先に登録」" in job.error_message
    page = client.get(location).content.decode()
    assert 'data-testid="job-error"' in page and "3行目: " in page
    assert f'href="/areas/import/{record.token}/"' in page
    assert sorted(Area.objects.values_list("pk", "name")) == before  # 甲地区 not saved either
    record.refresh_from_db()
    assert record.status == "previewed"
    assert not AuditEntry.objects.filter(object_type="core.area_import").exists()


def test_the_job_reports_its_progress(world):
    """The handler itself, with a run that records what it is told (the job page's bar)."""
    from dataclasses import dataclass, field

    from sasaeai.core import import_jobs

    @dataclass
    class RecordingRun:
        job_id: int
        tenant_id: int
        parameters: dict
        actor: object
        seen: list = field(default_factory=list)

        def progress(self, done, total=None, stage=""):
            self.seen.append((done, total, stage))

    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    upload(client, "a.csv", "name,kind\n甲地区,district\n乙地区,district\n".encode())
    record = AreaImport.objects.get()
    run = RecordingRun(0, world.tenant_a.pk, import_jobs.parameters_for(record), SYSTEM)
    import_jobs.apply_job(run)
    assert run.seen == [
        (0, None, "ファイルを読み込んでいます"),
        (0, 2, "2件の地域を確認して保存しています"),
        (2, 2, "2件の地域を確認して保存しています"),
        (2, 2, "完了"),
    ]
    assert Area.objects.filter(name__in=["甲地区", "乙地区"]).count() == 2


def test_another_tenants_admin_cannot_see_the_job(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    upload(client, "a.csv", "name,kind\n甲地区,district\n".encode())
    record = AreaImport.objects.get()
    location = client.post(f"/areas/import/{record.token}/", {"action": "apply"})["Location"]
    client_b = world.client_for(world.admin_b.user)
    assert client_b.get(location).status_code == 404
    assert client_b.get(f"{location}download/").status_code == 404
    run_pending()
    assert client_b.get(location).status_code == 404
    assert client.get(location).status_code == 200
    # Nor does a staff member of the same tenant (not their job, not their permission).
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert staff.get(location).status_code == 404


def test_page_with_separate_shapefile_parts(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    with zipfile.ZipFile(io.BytesIO(estat_zip([("001001", "八幡一丁目", 8101, cell(0, 0))]))) as z:
        parts = [SimpleUploadedFile(name, z.read(name)) for name in z.namelist()]
    response = client.post("/areas/import/", {"files": parts})
    assert response.status_code == 302
    record = AreaImport.objects.get()
    assert record.filename == "r2ka12203.zip"
    assert record.summary["counts"]["new"] == 1


def test_unreadable_upload_stays_on_the_page(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = upload(client, "a.geojson", b"{oops")
    assert response.status_code == 400
    assert "GeoJSON" in response.content.decode()
    assert not AreaImport.objects.exists()


def test_discard(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    upload(client, "a.csv", "name,kind\n甲地区,district\n".encode())
    record = AreaImport.objects.get()
    client.post(f"/areas/import/{record.token}/", {"action": "discard"})
    record.refresh_from_db()
    assert record.status == "discarded"
    client.post(f"/areas/import/{record.token}/", {"action": "apply"})
    run_pending()
    assert not Area.objects.filter(name="甲地区").exists() and not Job.objects.exists()


@pytest.mark.parametrize("role", [Role.MUNICIPAL_STAFF, Role.WELFARE_COMMISSIONER, Role.RESIDENT])
def test_only_system_admins_may_import(world, role):
    client = world.client_for(world.user(role))
    assert client.get("/areas/import/").status_code == 403
    assert upload(client, "a.csv", "name,kind\n甲地区,district\n".encode()).status_code == 403
    assert not AreaImport.objects.exists()


def test_staff_see_no_import_button(world):
    page = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get("/areas/").content.decode()
    assert "/areas/import/" not in page


def test_other_tenants_import_does_not_exist(world):
    client_a = world.client_for(world.user(Role.SYSTEM_ADMIN))
    upload(client_a, "a.csv", "name,kind\n甲地区,district\n".encode())
    record = AreaImport.objects.get()
    client_b = world.client_for(world.admin_b.user)
    assert client_b.get(f"/areas/import/{record.token}/").status_code == 404
    assert client_b.post(f"/areas/import/{record.token}/", {"action": "apply"}).status_code == 404
    run_pending()
    assert not Area.objects.filter(name="甲地区").exists() and not Job.objects.exists()


# ── measured ────────────────────────────────────────────────────────────────────────────


def test_a_thousand_polygons_import_in_reasonable_time(world, capsys):
    features = [
        feature(f"区域{i:04d}", code=f"G{i:04d}", geometry=square(34.0 + (i // 40) * 0.01,
                                                                   135.0 + (i % 40) * 0.01, 0.005))
        for i in range(1000)
    ]  # fmt: skip
    data = geojson(features)
    started = time.perf_counter()
    preview = check(world, "grid.geojson", data)
    checked = time.perf_counter()
    assert not preview.has_errors, errors_of(preview)[:3]
    area_import.apply(preview, actor=SYSTEM)
    done = time.perf_counter()
    assert Area.objects.filter(code__startswith="G").count() == 1000
    with capsys.disabled():
        print(f"\n1,000 polygons: validate {checked - started:.2f} s, apply {done - checked:.2f} s")
    assert done - started < 60


def test_two_areas_swapping_names_are_refused_whole(world):
    run(world, "a.csv", "code,name,kind\nS1,甲地区,district\nS2,乙地区,district\n".encode())
    preview = check(
        world, "b.csv", "code,name,kind\nS1,乙地区,district\nS2,甲地区,district\n".encode()
    )
    assert not preview.has_errors
    with pytest.raises(area_import.AreaImportError) as refused:
        area_import.apply(preview, actor=SYSTEM)
    assert "2回に分けて" in refused.value.problems[0].message
    assert Area.objects.get(code="S1").name == "甲地区"
    assert not AuditEntry.objects.filter(object_type="core.area_import", detail__changed=2).exists()


def test_zip_from_a_mac_with_resource_forks(world):
    data = estat_zip([("001001", "八幡一丁目", 8101, cell(0, 0))])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            target.writestr(f"r2ka12203/{name}", source.read(name))
            target.writestr(f"__MACOSX/r2ka12203/._{name}", b"\x00\x05\x16\x07")
    preview = check(world, "r2ka12203.zip", buffer.getvalue())
    assert not preview.has_errors, errors_of(preview)
    assert [row.name for row in preview.rows] == ["八幡一丁目"]


@pytest.mark.postgres
def test_the_job_runs_as_the_app_role_under_row_level_security(world, app_role):
    """The worker's connection in production is the app role: the job sees its tenant only."""
    from django.db import connection, transaction

    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    upload(client, "a.csv", "name,kind\n甲地区,district\n".encode())
    record = AreaImport.objects.get()
    client.post(f"/areas/import/{record.token}/", {"action": "apply"})
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        run_pending()
        cursor.execute("RESET ROLE")
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert Area.objects.get(name="甲地区").tenant == world.tenant_a
    record.refresh_from_db()
    assert record.status == "applied"
