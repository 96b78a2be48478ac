"""The files a new city brings on its first day, for 市川市 (千葉県, 122033): built here, as the
city's staff would export them. Shared by the test-client run and the browser run."""

import csv
import io
import json
import re

CODE, NAME, PREFECTURE = "122033", "市川市", "千葉県"
ADMIN, ADMIN_EMAIL = "ichikawa-admin", "joho@city.ichikawa.example"
CSW_EMAIL = "kounodai.haruko@ichikawa-shakyo.example"
COMMISSIONER_EMAIL = "mama.ichiro@example.jp"
NEW_PASSWORD = "edogawa-no-nagare-42"

# 町丁 east of the 江戸川 around 市川市役所 (≈35.72 N, 139.93 E): irregular quadrilaterals
# that share their edges, as a city's GIS exports them (lon, lat; counter-clockwise).
_TOWNS = (
    ("12203003001", "八幡一丁目", "やわたいっちょうめ",
     [(139.9265, 35.7190), (139.9330, 35.7183), (139.9338, 35.7236), (139.9270, 35.7241)]),
    ("12203003002", "八幡二丁目", "やわたにちょうめ",
     [(139.9330, 35.7183), (139.9402, 35.7176), (139.9409, 35.7229), (139.9338, 35.7236)]),
    ("12203012001", "真間一丁目", "ままいっちょうめ",
     [(139.9270, 35.7241), (139.9338, 35.7236), (139.9344, 35.7295), (139.9276, 35.7301)]),
)  # fmt: skip
DISTRICTS = [name for _code, name, _kana, _ring in _TOWNS]


def districts_geojson() -> bytes:
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "kind": "district", "name_kana": kana},
            "geometry": {"type": "Polygon", "coordinates": [[*map(list, ring), list(ring[0])]]},
        }
        for code, name, kana, ring in _TOWNS
    ]
    return json.dumps(
        {"type": "FeatureCollection", "name": "ichikawa_chocho", "features": features},
        ensure_ascii=False,
    ).encode()


def members_csv() -> bytes:
    """A community social worker and a welfare commissioner for 八幡一丁目 (UTF-8 with BOM)."""
    lines = [
        "氏名,ふりがな,メールアドレス,役割,地区",
        f"国府台 春子,こうのだい はるこ,{CSW_EMAIL},コミュニティソーシャルワーカー,",
        f"真間 一郎,まま いちろう,{COMMISSIONER_EMAIL},民生委員・児童委員,八幡一丁目",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


PLAN_YAML = """\
format: sasaeai-plan/1
plan:
  code: ichikawa-community-welfare-1
  title: 第1次市川市地域福祉計画
  kind: community_welfare_plan
  period: {start: 2025, end: 2029}
levels:
  - {key: goal, name: 基本目標}
  - {key: action, name: 取組, under: goal, evaluated: true}
actors:
  - {key: city, name: 市}
  - {key: residents, name: 市民}
nodes:
  - level: goal
    label: "1"
    title: つながりのある地域づくり
    children:
      - level: action
        label: ①
        title: 見守り活動の推進
        priority: true
        roles:
          city: [見守り協定を結ぶ事業者を増やします。]
          residents: [近所の人に声をかけましょう。]
        indicators:
          - name: 見守り協定締結事業者数
            unit: 事業所
            direction: increase
            baseline: {fiscal_year: 2023, value: 12}
            targets: {2029: 20}
      - level: action
        label: ②
        title: 地域の居場所づくり
""".encode()

# 公共施設一覧 (自治体標準オープンデータセット 正式版), the columns of the published template.
_FACILITY_COLUMNS = (
    "全国地方公共団体コード,ID,地方公共団体名,名称,名称_カナ,名称_英語,名称_通称,POIコード,"
    "所在地_全国地方公共団体コード,町字ID,所在地_連結表記,所在地_都道府県,所在地_市区町村,"
    "所在地_町字,所在地_番地以下,建物名等(方書),緯度,経度,電話番号,内線番号,法人番号,団体名,"
    "利用可能曜日,開始時間,終了時間,利用可能日時特記事項,説明,バリアフリー情報,URL,備考"
).split(",")
FACILITIES = (
    ("P0001", "市川市役所", "イチカワシヤクショ", "八幡1丁目", "1-1", 35.72169, 139.93097,
     "047-999-1001", "月火水木金", "8:45", "17:15", "祝日、年末年始を除く"),
    ("P0002", "市川市八幡公民館", "イチカワシヤワタコウミンカン", "八幡2丁目", "12-3",
     35.72035, 139.93702, "047-999-1002", "火水木金土日", "9:00", "21:30", "月曜日は休館"),
    ("P0003", "真間地域ふれあい館", "ママチイキフレアイカン", "真間1丁目", "5-20",
     35.72680, 139.93055, "047-999-1003", "月～土", "9:00", "17:00", ""),
)  # fmt: skip
PLACE_NAMES = [row[1] for row in FACILITIES]


def open_data_csv() -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_FACILITY_COLUMNS)
    for key, name, kana, town, block, lat, lon, phone, days, opens, closes, note in FACILITIES:
        values = {
            "全国地方公共団体コード": CODE, "ID": key, "地方公共団体名": f"{PREFECTURE}{NAME}",
            "名称": name, "名称_カナ": kana,
            "所在地_連結表記": f"{PREFECTURE}{NAME}{town}{block}", "所在地_都道府県": PREFECTURE,
            "所在地_市区町村": NAME, "所在地_町字": town, "所在地_番地以下": block,
            "緯度": f"{lat:.6f}", "経度": f"{lon:.6f}", "電話番号": phone, "団体名": NAME,
            "利用可能曜日": days, "開始時間": opens, "終了時間": closes,
            "利用可能日時特記事項": note,
        }  # fmt: skip
        writer.writerow([values.get(column, "") for column in _FACILITY_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def one_time_password(output: str) -> str:
    """The administrator's password from tenant_create's output (printed once)."""
    found = re.search(r"初回パスワード[^：]*：(\S+)", output)
    assert found, output
    return found.group(1)


def invitation_path(body: str) -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/invitation/\S+)", body)
    assert found, body
    return found.group(1)
