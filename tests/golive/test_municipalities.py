"""The bundled list of 全国地方公共団体コード and the check digit (JIS X 0402)."""

import pytest

from sasaeai.golive import municipalities
from sasaeai.golive.municipalities import MunicipalityError, check_digit, lookup, resolve


@pytest.mark.parametrize(
    ("code5", "digit"),
    [
        ("12203", "3"),  # 市川市 122033
        ("11201", "1"),  # 川越市 112011 (remainder 10)
        ("11100", "7"),  # さいたま市 111007
        ("09201", "1"),  # 宇都宮市 092011: remainder 0 gives 11, last digit 1
        ("07201", "0"),  # 福島市 072010: remainder 1 gives 10, last digit 0
        ("11202", "0"),  # 熊谷市 112020
    ],
)
def test_check_digit_follows_the_official_rule(code5, digit):
    assert check_digit(code5) == digit


def test_list_holds_every_kind_of_municipality():
    found = municipalities.municipalities()
    assert len(found) > 1700
    assert found["12203"].name == "市川市" and found["12203"].prefecture == "千葉県"
    assert found["12203"].name_kana == "いちかわし"
    assert found["13101"].name == "千代田区"  # special wards are municipalities
    town = found["19346"]  # 西八代郡市川三郷町
    assert (town.county, town.name, town.name_kana) == (
        "西八代郡",
        "市川三郷町",
        "いちかわみさとちょう",
    )


@pytest.mark.parametrize(
    ("code5", "name", "kana"),
    [
        ("11100", "さいたま市", "さいたまし"),
        ("27100", "大阪市", "おおさかし"),  # wards 27102…27128
        ("27140", "堺市", "さかいし"),
        ("14150", "相模原市", "さがみはらし"),
        ("40130", "福岡市", "ふくおかし"),
    ],
)
def test_designated_cities_are_derived_from_their_wards(code5, name, kana):
    city = municipalities.municipalities()[code5]
    assert (city.name, city.name_kana, city.code) == (name, kana, code5 + check_digit(code5))
    with_wards = {m.city for m in municipalities.municipalities().values() if m.city}
    assert len(with_wards) == 20  # the 20 政令指定都市


def test_names_match_with_or_without_county_and_prefecture_after_nfkc():
    assert resolve("193461", "市川三郷町").name == "市川三郷町"
    assert resolve("193461", "西八代郡市川三郷町").name == "市川三郷町"
    assert resolve("１２２０３３", "千葉県 市川市").code == "122033"


def test_wrong_length_is_explained():
    with pytest.raises(MunicipalityError) as error:
        lookup("12203")
    assert str(error.value) == ("地方公共団体コードは6桁（5桁＋検査数字）です。12203 は 5 桁です。")


def test_non_digits_are_explained():
    with pytest.raises(MunicipalityError) as error:
        lookup("12203a")
    assert str(error.value) == "地方公共団体コード 12203a は数字だけで入力してください。"


def test_wrong_check_digit_names_the_expected_digit():
    with pytest.raises(MunicipalityError) as error:
        lookup("122034")
    assert str(error.value) == ("122034 の検査数字が違います。12203 の6桁目は 3 です（122033）。")


def test_unknown_code_is_explained():
    with pytest.raises(MunicipalityError) as error:
        lookup("999997")
    assert str(error.value) == "地方公共団体コード 999997 の市区町村はありません。"


def test_name_of_another_municipality_is_refused_with_the_codes_name():
    with pytest.raises(MunicipalityError) as error:
        resolve("122033", "船橋市")
    assert (
        str(error.value)
        == "地方公共団体コード 122033 は 千葉県市川市 です。船橋市 ではありません。"
    )


def test_a_ward_is_not_a_municipality():
    with pytest.raises(MunicipalityError) as error:
        resolve("111015", "さいたま市西区")
    assert "さいたま市 のコード 111007" in str(error.value)
