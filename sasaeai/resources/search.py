"""How resource text is folded for search, so that what residents type finds what staff wrote.

On top of the foundation's normalisation (NFKC, katakana → hiragana, no spaces), words that
Japanese writes in several ways fold to one spelling: 子ども・子供・こども, 障害・障がい・障碍.
Readings (name_kana) are indexed too, so hiragana finds kanji names.
"""

from sasaeai.core.text import normalize_for_search

# Longest first, so that 子供 is not half-replaced by a shorter variant.
_VARIANTS = (
    ("子ども", "こども"),
    ("子供", "こども"),
    ("障がい", "しょうがい"),
    ("障碍", "しょうがい"),
    ("障害", "しょうがい"),
    ("友だち", "ともだち"),
    ("友達", "ともだち"),
    ("お年寄り", "おとしより"),
    ("高齢者", "こうれいしゃ"),
    ("ヶ", "け"),
    ("ケ", "け"),
)


def fold(text: str | None) -> str:
    folded = normalize_for_search(text)
    for variant, canonical in _VARIANTS:
        folded = folded.replace(normalize_for_search(variant), canonical)
    return folded


def query_terms(query: str) -> list[str]:
    """Each white-space separated word of a query, folded; every one must match."""
    return [term for term in (fold(word) for word in (query or "").split()) if term]


def service_search_text(*parts: str | None) -> str:
    """The indexed text: fields joined by a separator that no folded query contains."""
    return "|".join(fold(part) for part in parts if part)
