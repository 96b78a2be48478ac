from datetime import date

import pytest

from sasaeai.core import calendar, fiscal
from sasaeai.core.csvio import CsvEncodingError, read_csv, write_csv
from sasaeai.core.postal import lookup_postal_code, normalize_postal_code
from sasaeai.core.text import is_kana, normalize_for_search, to_katakana


def test_half_width_hiragana_and_katakana_fold_to_one_form():
    assert (
        normalize_for_search("ﾔﾏﾀﾞ")
        == normalize_for_search("やまだ")
        == normalize_for_search("ヤマダ")
    )


def test_spaces_of_both_widths_are_ignored_and_full_width_ascii_folds():
    assert normalize_for_search("山田　太郎") == normalize_for_search("山田 太郎") == "山田太郎"
    assert normalize_for_search("ＡＢＣ１２３") == "abc123"


def test_kana_checks_and_katakana_storage():
    assert is_kana("やまだ たろう")
    assert is_kana("ﾔﾏﾀﾞ")
    assert not is_kana("山田")
    assert to_katakana("やまだ") == "ヤマダ"


@pytest.mark.parametrize(
    ("fiscal_year", "label"),
    [
        (2025, "令和7年度（2025年度）"),
        (2019, "令和元年度（2019年度）"),
        (2018, "平成30年度（2018年度）"),
        (1989, "平成元年度（1989年度）"),
        (1988, "昭和63年度（1988年度）"),
    ],
)
def test_fiscal_year_label_uses_japanese_era(fiscal_year, label):
    assert fiscal.fiscal_year_label(fiscal_year) == label


def test_fiscal_year_runs_april_to_march():
    assert fiscal.fiscal_year_of(date(2026, 3, 31)) == 2025
    assert fiscal.fiscal_year_of(date(2026, 4, 1)) == 2026
    assert fiscal.fiscal_year_bounds(2025) == (date(2025, 4, 1), date(2026, 3, 31))
    assert fiscal.wareki_date(date(2019, 5, 1)) == "令和元年5月1日"


def test_working_days_skip_holidays_weekends_and_year_end():
    # 2026-11-20 is a Friday; 11-23 (Mon) is 勤労感謝の日.
    assert calendar.holiday_name(date(2026, 11, 23)) == "勤労感謝の日"
    assert calendar.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 24)
    assert calendar.add_working_days(date(2026, 12, 28), 1) == date(2027, 1, 4)


def test_postal_code_lookup_uses_bundled_data():
    found = lookup_postal_code("３６３－００２２")
    assert found is not None
    assert found.text == "埼玉県桶川市若宮"
    assert normalize_postal_code("〒363-0022") == "3630022"
    assert lookup_postal_code("0000000") is None
    assert lookup_postal_code("abc") is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_csv_reads_utf8_with_or_without_bom_and_cp932(encoding, newline):
    text = newline.join(["名称,ふりがな", "桶川市,おけがわし", "髙橋,たかはし", ""])
    rows, found = read_csv(text.encode(encoding))
    assert rows == [
        {"名称": "桶川市", "ふりがな": "おけがわし"},
        {"名称": "髙橋", "ふりがな": "たかはし"},
    ]
    assert found in {"utf-8-sig", "cp932"}


def test_csv_refuses_bytes_that_are_neither_encoding():
    with pytest.raises(CsvEncodingError, match="文字コード"):
        read_csv(b"\x80\xff\xfe\x81\x00")


def test_csv_writes_bom_utf8_by_default_and_cp932_on_request():
    data = write_csv(["名称"], [["桶川市"]])
    assert data.startswith("\ufeff".encode())
    assert read_csv(write_csv(["名称"], [["桶川市"]], encoding="cp932"))[0] == [{"名称": "桶川市"}]
