"""Japanese text practice shared by every module: one normalisation for every search."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_KATAKANA_START, _KATAKANA_END = ord("ァ"), ord("ヶ")
_KANA_OFFSET = ord("ァ") - ord("ぁ")


def katakana_to_hiragana(text: str) -> str:
    return "".join(
        chr(ord(ch) - _KANA_OFFSET) if _KATAKANA_START <= ord(ch) <= _KATAKANA_END else ch
        for ch in text
    )


def normalize_for_search(text: str | None) -> str:
    """Fold what Japanese users type differently into one form.

    NFKC turns half-width kana and full-width ASCII into their usual forms (ﾔﾏﾀﾞ → ヤマダ,
    ＡＢＣ → ABC), katakana fold into hiragana, case folds, and all white space (including
    the ideographic space) goes, so that 「山田 太郎」 finds 「山田　太郎」.
    """
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text)
    folded = katakana_to_hiragana(folded).casefold()
    return _SPACES.sub("", folded)


_KANA_ALLOWED = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u30fb\u309b\u309c\s・ー]*$")


def is_kana(text: str) -> bool:
    """True when the text is kana (either script), long-vowel marks, dots and spaces only."""
    return bool(_KANA_ALLOWED.match(unicodedata.normalize("NFKC", text)))


def to_katakana(text: str) -> str:
    """Store kana names the way municipal systems print them: full-width katakana."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(
        chr(ord(ch) + _KANA_OFFSET) if ord("ぁ") <= ord(ch) <= ord("ゖ") else ch for ch in folded
    ).strip()
