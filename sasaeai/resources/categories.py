"""The default resource taxonomy every tenant starts with; tenants add their own terms."""

from dataclasses import dataclass

from sasaeai.resources.models import Category


@dataclass(frozen=True)
class DefaultCategory:
    code: str
    name: str
    name_kana: str
    colour: str


DEFAULT_CATEGORIES = (
    DefaultCategory("consultation", "相談窓口", "そうだんまどぐち", "#b3261e"),
    DefaultCategory("community_care_center", "地域包括支援センター", "ちいきほうかつしえんせんたー", "#8e24aa"),
    DefaultCategory("salon", "サロン", "さろん", "#ef6c00"),
    DefaultCategory("gathering_place", "通いの場", "かよいのば", "#f9a825"),
    DefaultCategory("children_cafeteria", "子ども食堂", "こどもしょくどう", "#2e7d32"),
    DefaultCategory("children_place", "子どもの居場所", "こどものいばしょ", "#43a047"),
    DefaultCategory("study_support", "学習支援", "がくしゅうしえん", "#00897b"),
    DefaultCategory("dementia_cafe", "認知症カフェ", "にんちしょうかふぇ", "#6d4c41"),
    DefaultCategory("volunteer_group", "ボランティア団体", "ぼらんてぃあだんたい", "#1565c0"),
    DefaultCategory("care_service", "介護サービス事業所", "かいごさーびすじぎょうしょ", "#5e35b1"),
    DefaultCategory("childcare", "保育・子育て施設", "ほいく・こそだてしせつ", "#d81b60"),
    DefaultCategory("child_rearing_hub", "地域子育て支援拠点", "ちいきこそだてしえんきょてん", "#c2185b"),
    DefaultCategory("medical", "医療機関", "いりょうきかん", "#0277bd"),
    DefaultCategory("public_facility", "公共施設", "こうきょうしせつ", "#546e7a"),
    DefaultCategory("evacuation_site", "指定緊急避難場所", "していきんきゅうひなんばしょ", "#37474f"),
    DefaultCategory("welfare_shelter", "福祉避難所", "ふくしひなんじょ", "#4e342e"),
)  # fmt: skip


def ensure_default_categories(tenant_id: int) -> dict[str, Category]:
    """Create the default terms the tenant lacks; returns every term of the tenant by code."""
    existing = {c.code: c for c in Category.objects.filter(tenant_id=tenant_id)}
    missing = [
        Category(tenant_id=tenant_id, code=d.code, name=d.name, name_kana=d.name_kana,
                 colour=d.colour, order=(index + 1) * 10)
        for index, d in enumerate(DEFAULT_CATEGORIES)
        if d.code not in existing
    ]  # fmt: skip
    if missing:
        Category.objects.bulk_create(missing)
        existing = {c.code: c for c in Category.objects.filter(tenant_id=tenant_id)}
    return existing
