"""Furigana proposals with the real SudachiPy core dictionary, and the ruby HTML."""

from sasaeai.notices import ruby
from sasaeai.notices.ruby import ANALYSER, CHECK, DICTIONARY, UNKNOWN


def words_of(text, dictionary=None):
    return {s.text: (s.reading, s.source) for s in ruby.analyse(text, dictionary) if s.is_word}


def test_a_city_name_is_read_and_flagged_for_checking_as_a_proper_noun():
    assert words_of("所沢市のお知らせ")["所沢市"] == ("ところざわし", CHECK)


def test_a_place_name_the_analyser_knows_is_proposed_for_checking():
    assert words_of("小手指で")["小手指"] == ("こてさし", CHECK)


def test_a_common_word_is_read_by_the_analyser():
    assert words_of("民生委員が伺います")["民生委員"] == ("みんせいいいん", ANALYSER)


def test_a_word_the_analyser_does_not_know_gets_no_reading():
    assert words_of("龘山さんが来ます")["龘山"] == (None, UNKNOWN)


def test_the_tenant_dictionary_is_applied_before_the_analyser_and_longest_first():
    found = words_of("椿峰地区の集い", {"椿": "つばき", "椿峰": "つばきみね"})
    assert found["椿峰"] == ("つばきみね", DICTIONARY)
    assert "椿" not in found and "峰" not in found
    assert found["地区"] == ("ちく", ANALYSER)


def test_without_the_dictionary_a_split_place_name_is_flagged():
    found = words_of("椿峰地区")
    assert found["椿"][1] == CHECK  # a proper noun
    assert found["峰"][1] == CHECK  # a suffix glued to it


def test_a_counter_after_digits_is_flagged_and_digits_get_no_ruby():
    segments = ruby.analyse("3月15日に")
    assert {s.text: s.source for s in segments if s.is_word}["日"] == CHECK
    assert all(not s.is_word for s in segments if s.text.isdigit())


def test_plain_text_is_kept_whole_so_nothing_is_lost():
    text = "所沢市の小手指で\n民生委員が行います。<b>"
    assert "".join(s.text for s in ruby.analyse(text, {"小手指": "こてさし"})) == text


def test_okurigana_stays_outside_the_ruby():
    assert ruby.align("行い", "おこない") == [("行", "おこな"), ("い", None)]
    assert ruby.align("お越し", "おこし") == [("お", None), ("越", "こ"), ("し", None)]
    assert ruby.align("取り扱い", "とりあつかい") == [
        ("取", "と"), ("り", None), ("扱", "あつか"), ("い", None),
    ]  # fmt: skip


def test_digits_stay_outside_the_ruby():
    assert ruby.align("1人", "ひとり") == [("1", None), ("人", "ひとり")]


def test_a_reading_that_does_not_fit_the_kana_covers_the_whole_word():
    assert ruby.align("行い", "いく") == [("行い", "いく")]


def test_distinct_words_show_the_most_doubtful_source_and_no_reading_for_unknowns():
    segments = [ruby.Segment("所沢", "ところざわ", ANALYSER), ruby.Segment("所沢", "ところざわ", CHECK),
                ruby.Segment("龘", None, UNKNOWN), ruby.Segment("行", "い", ANALYSER),
                ruby.Segment("行", "ぎょう", ANALYSER)]  # fmt: skip
    words = {w.surface: w for w in ruby.distinct_words([segments])}
    assert (words["所沢"].source, words["所沢"].count) == (CHECK, 2)
    assert (words["龘"].reading, words["龘"].source) == (None, UNKNOWN)
    assert words["行"].source == CHECK and words["行"].readings_differ


def test_the_html_escapes_every_piece():
    html = ruby.to_html([["<script>", None], ["行い", "お<b>"], ["\n", None]])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<rt>お&lt;b&gt;</rt>" in html
    assert html.endswith("<br>\n")


def test_the_html_has_ruby_over_kanji_only():
    assert str(ruby.to_html([["行い", "おこない"]])) == "<ruby>行<rt>おこな</rt></ruby>い"
    assert str(ruby.to_html([["行い", "おこない"]], ruby=False)) == "行い"


def test_katakana_readings_become_hiragana():
    assert ruby.to_hiragana("トコロザワ") == "ところざわ"


def test_each_thread_gets_its_own_tokenizer_from_one_dictionary():
    import threading

    found = {}

    def work(name):
        found[name] = (ruby.tokenizer(), words_of("小手指")["小手指"])

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found["a"][1] == found["b"][1] == ("こてさし", CHECK)
    assert found["a"][0] is not found["b"][0]
    assert len(ruby._dictionary) == 1
