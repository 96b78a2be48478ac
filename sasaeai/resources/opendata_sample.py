"""Synthetic 介護サービス事業所一覧 (正式版) files of any size, for benchmarks and load tests.

The rows look like a city's published file: IDs, names with readings, the 所在地 columns
(joined and split), coordinates around the city, telephone and FAX numbers, corporate
numbers shared by several offices, and opening days and hours. Every character is one that
CP932 can hold, so the same generator serves both encodings.
"""

import csv
import io
import random

from sasaeai.resources.opendata import column_set_for

_KINDS = (
    "訪問介護",
    "通所介護",
    "地域密着型通所介護",
    "居宅介護支援",
    "短期入所生活介護",
    "訪問看護",
    "認知症対応型共同生活介護",
    "小規模多機能型居宅介護",
    "福祉用具貸与",
    "地域包括支援センター",
)
_NAMES = (
    ("さくら", "サクラ"),
    ("ひまわり", "ヒマワリ"),
    ("けやき", "ケヤキ"),
    ("あおば", "アオバ"),
    ("こもれび", "コモレビ"),
    ("なごみ", "ナゴミ"),
    ("ふれあい", "フレアイ"),
    ("やすらぎ", "ヤスラギ"),
)
_SUFFIXES = (
    ("デイサービスセンター", "デイサービスセンター"),
    ("ケアプランセンター", "ケアプランセンター"),
    ("訪問介護ステーション", "ホウモンカイゴステーション"),
    ("ホーム", "ホーム"),
)
_TOWNS = ("若宮", "泉", "東", "西", "南", "北", "寿", "坂田", "川田谷", "末広", "朝日", "加納")
_DAYS = (("月火水木金", "8:30", "17:30"), ("月～土", "9:00", "18:00"), ("毎日", "", ""))


def generate_open_data_csv(
    rows: int,
    *,
    municipality_code: str,
    municipality_name: str,
    encoding: str = "cp932",
    seed: int = 0,
    prefecture: str = "埼玉県",
    centre: tuple[float, float] = (36.0, 139.55),
) -> bytes:
    """A 介護サービス事業所一覧 (正式版) CSV of `rows` offices, CRLF, in `encoding`.

    The same arguments always give the same bytes. Every 50th office has no coordinates
    (imported with a warning), so that a file of any size exercises that path too.
    """
    rng = random.Random(seed)
    columns = column_set_for("care_service", "current").columns
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    corporations = [
        (f"社会福祉法人{name}会", f"{rng.randrange(10**12, 10**13)}") for name, _kana in _NAMES
    ]
    for number in range(1, rows + 1):
        name, kana = _NAMES[number % len(_NAMES)]
        suffix, suffix_kana = _SUFFIXES[number % len(_SUFFIXES)]
        town = _TOWNS[rng.randrange(len(_TOWNS))]
        block = f"{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 40)}"
        days, opens, closes = _DAYS[number % len(_DAYS)]
        corporation, corporate_number = corporations[number % len(corporations)]
        has_position = number % 50 != 0
        lat = f"{centre[0] + rng.uniform(-0.03, 0.03):.6f}" if has_position else ""
        lon = f"{centre[1] + rng.uniform(-0.03, 0.03):.6f}" if has_position else ""
        values = {
            "全国地方公共団体コード": municipality_code,
            "ID": f"{municipality_code}C{number:06d}",
            "地方公共団体名": f"{prefecture}{municipality_name}",
            "名称": f"{name}{suffix}{number}",
            "名称_カナ": f"{kana}{suffix_kana}{number}",
            "介護サービスの種類": _KINDS[number % len(_KINDS)],
            "所在地_連結表記": f"{prefecture}{municipality_name}{town}{block}",
            "所在地_都道府県": prefecture,
            "所在地_市区町村": municipality_name,
            "所在地_町字": town,
            "所在地_番地以下": block,
            "緯度": lat,
            "経度": lon,
            "電話番号": f"048-{rng.randint(700, 799)}-{rng.randint(0, 9999):04d}",
            "FAX番号": f"048-{rng.randint(700, 799)}-{rng.randint(0, 9999):04d}",
            "法人番号": corporate_number,
            "法人の名称": corporation,
            "事業所番号": f"11{rng.randrange(10**8):08d}",
            "利用可能曜日": days,
            "開始時間": opens,
            "終了時間": closes,
            "利用可能日時特記事項": "年末年始を除く" if number % 3 == 0 else "",
            "定員": str(rng.choice((10, 18, 25, 30))) if number % 4 == 1 else "",
            "URL": f"https://example.jp/care/{number}" if number % 5 == 0 else "",
        }
        writer.writerow([values.get(column, "") for column in columns])
    return buffer.getvalue().encode(encoding)
