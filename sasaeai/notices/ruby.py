"""Furigana (ruby) for notices: proposed by SudachiPy and the tenant's dictionary, approved by a
person (docs/notices.md). Pure functions, no database.

`analyse(text, dictionary)` cuts a text into segments: plain text, and words with kanji, each with
a proposed reading and where it came from:
- "dictionary": the tenant's own entry (place and person names), matched longest-first over the raw
  text before the analyser sees it;
- "analyser": SudachiPy's reading;
- "check": the analyser's reading of something it often gets wrong (proper nouns, a suffix glued to
  one, a counter after digits): shown for a person to look at;
- "unknown": the analyser does not know the word; it gets no reading until a person writes one.
Ruby goes over kanji only: okurigana and digits stay outside it (行い → 行(おこな)い).
"""

import re
import threading
import warnings
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

DICTIONARY = "dictionary"
ANALYSER = "analyser"
CHECK = "check"
UNKNOWN = "unknown"
# When one word's occurrences disagree, the row shows the most doubtful of them.
DOUBT = {ANALYSER: 0, DICTIONARY: 0, CHECK: 1, UNKNOWN: 2}

READING = re.compile(r"^[ぁ-ゖー]+$")
_KANJI_EXTRA = "々〆ヶヵ"
_dictionary_lock = threading.Lock()
_dictionary: list = []
_per_thread = threading.local()


def is_kanji(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0x20000 <= code <= 0x2FA1F  # extensions B–F, compatibility supplement
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or char in _KANJI_EXTRA
    )


def has_kanji(text: str) -> bool:
    return any(is_kanji(c) for c in text)


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


@dataclass(frozen=True)
class Segment:
    text: str
    reading: str | None = None  # hiragana; None for plain text and for unknown words
    source: str | None = None  # None for plain text

    @property
    def is_word(self) -> bool:
        return self.source is not None


def tokenizer():
    """SudachiPy's tokenizer with the core dictionary. The dictionary (the costly part) is loaded
    once per process, lazily; each thread gets its own tokenizer from it, as a tokenizer keeps
    state while it works."""
    found = getattr(_per_thread, "tokenizer", None)
    if found is not None:
        return found
    if not _dictionary:
        with _dictionary_lock:
            if not _dictionary:
                from sudachipy import Dictionary

                _dictionary.append(Dictionary(dict="core"))
    with warnings.catch_warnings():
        # create() is the documented call; newer versions prefer tokenizer().
        warnings.simplefilter("ignore", DeprecationWarning)
        _per_thread.tokenizer = _dictionary[0].create()
    return _per_thread.tokenizer


def _mode():
    from sudachipy import SplitMode

    return SplitMode.C


def analyse(text: str, dictionary: dict[str, str] | None = None) -> list[Segment]:
    """The text cut into plain segments and words with kanji (see the module's docstring)."""
    dictionary = dictionary or {}
    segments: list[Segment] = []
    by_first: dict[str, list[str]] = {}
    for surface in sorted(dictionary, key=len, reverse=True):
        if surface:
            by_first.setdefault(surface[0], []).append(surface)
    gap_start = index = 0
    while index < len(text):
        match = next((s for s in by_first.get(text[index], ()) if text.startswith(s, index)), None)
        if match is None:
            index += 1
            continue
        segments += _analyse_gap(text[gap_start:index])
        segments.append(Segment(match, dictionary[match], DICTIONARY))
        index += len(match)
        gap_start = index
    segments += _analyse_gap(text[gap_start:])
    return _merge_plain(segments)


def _analyse_gap(text: str) -> list[Segment]:
    segments: list[Segment] = []
    # Line by line: the analyser has an input limit, and a line break ends any word.
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if has_kanji(body):
            segments += _tokens(body)
        else:
            segments.append(Segment(body))
        if len(body) < len(line):
            segments.append(Segment(line[len(body) :]))
    return segments


def _tokens(text: str) -> list[Segment]:
    segments = []
    previous = None
    for morpheme in tokenizer().tokenize(text, _mode()):
        surface = morpheme.surface()
        pos = morpheme.part_of_speech()
        if not has_kanji(surface):
            segments.append(Segment(surface))
        else:
            raw = morpheme.reading_form()
            reading = to_hiragana(raw)
            if morpheme.is_oov() or not raw or raw == surface or not READING.match(reading):
                segments.append(Segment(surface, None, UNKNOWN))
            else:
                segments.append(Segment(surface, reading, _source(surface, pos, previous)))
        previous = (surface, pos)
    return segments


def _source(surface: str, pos: tuple, previous: tuple | None) -> str:
    if pos[1] == "固有名詞" or any(c.isdigit() for c in surface):
        return CHECK
    if previous is not None:
        previous_surface, previous_pos = previous
        # 椿峰 → 椿 (a proper noun) + 峰 read as a suffix (ぼん): the pair is likely one name.
        if pos[0] == "接尾辞" and previous_pos[1] == "固有名詞":
            return CHECK
        # 15日 → 日 read か: counters after digits depend on the number.
        if "助数詞" in "".join(pos) and previous_surface[-1:].isdigit():
            return CHECK
    return ANALYSER


def _merge_plain(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if not segment.is_word and merged and not merged[-1].is_word:
            merged[-1] = Segment(merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return merged


@dataclass(frozen=True)
class Word:
    """One row of the review table: a distinct written form and its proposed reading."""

    surface: str
    reading: str | None
    source: str
    count: int
    readings_differ: bool = False


def distinct_words(segment_lists: list[list[Segment]]) -> list[Word]:
    """Every distinct word with kanji, in order of first appearance."""
    rows: dict[str, dict] = {}
    for segments in segment_lists:
        for segment in segments:
            if not segment.is_word:
                continue
            row = rows.get(segment.text)
            if row is None:
                rows[segment.text] = {
                    "reading": segment.reading, "source": segment.source, "count": 1,
                    "readings": {segment.reading},
                }  # fmt: skip
                continue
            row["count"] += 1
            row["readings"].add(segment.reading)
            if DOUBT[segment.source] > DOUBT[row["source"]]:
                row["source"] = segment.source
            if row["reading"] is None:
                row["reading"] = segment.reading
    words = []
    for surface, row in rows.items():
        differ = len(row["readings"]) > 1
        source = CHECK if differ and row["source"] != UNKNOWN else row["source"]
        reading = None if row["source"] == UNKNOWN else row["reading"]
        words.append(Word(surface, reading, source, row["count"], differ))
    return words


def apply_readings(segments: list[Segment], readings: dict[str, str]) -> list[list]:
    """The approved form stored on the notice: [[text, reading or None], ...]."""
    return [
        [s.text, readings.get(s.text) if s.is_word else None]
        for s in segments  # fmt: skip
    ]


def align(surface: str, reading: str) -> list[tuple[str, str | None]]:
    """Ruby over kanji only: the kana in the written form are matched in the reading.

    行い/おこない → [(行, おこな), (い, None)]; お越し/おこし → [(お, None), (越, こ), (し, None)];
    digits get no ruby (1人/ひとり → [(1, None), (人, ひとり)]). When the written kana do not
    match the reading, the whole word carries the reading.
    """
    runs = _runs(surface)
    if not any(kind == "kanji" for kind, _text in runs):
        return [(surface, None)]
    pattern = ""
    for kind, text in runs:
        if kind == "kanji":
            pattern += "(.+?)"
        elif kind == "kana":
            pattern += "(" + re.escape(to_hiragana(text)) + ")"
        else:
            pattern += "(.*?)"  # digits, letters: their reading is not written out
    found = re.fullmatch(pattern, reading)
    if found is None:
        return [(surface, reading)]
    parts: list[tuple[str, str | None]] = []
    for (kind, text), rt in zip(runs, found.groups(), strict=True):
        parts.append((text, rt if kind == "kanji" else None))
    return parts


def _runs(surface: str) -> list[tuple[str, str]]:
    runs: list[tuple[str, str]] = []
    for char in surface:
        if is_kanji(char):
            kind = "kanji"
        elif "ぁ" <= char <= "ゖ" or "ァ" <= char <= "ヺ" or char == "ー":
            kind = "kana"
        else:
            kind = "other"
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + char)
        else:
            runs.append((kind, char))
    return runs


def to_html(pairs: list[list], *, ruby: bool = True) -> SafeString:
    """The stored pairs as HTML: every piece escaped, line breaks as <br>."""
    out = []
    for text, reading in pairs:
        if not ruby or not reading:
            out.append(escape(text))
            continue
        for part, rt in align(text, reading):
            if rt:
                out.append(f"<ruby>{escape(part)}<rt>{escape(rt)}</rt></ruby>")
            else:
                out.append(escape(part))
    html = "".join(out).replace("\r\n", "\n").replace("\n", "<br>\n")
    return mark_safe(html)  # noqa: S308 - every piece above is escaped
