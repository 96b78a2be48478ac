"""Demo notices for 所沢市: reading dictionary entries, one published notice, one draft."""

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.core.tenancy import tenant_context

CITY = "112089"
ENTRIES = [
    ("椿峰", "つばきみね", "所沢市の地名（解析器は「椿」と「峰」に分ける）"),
    ("小手指", "こてさし", "所沢市の地名"),
    ("並木", "なみき", "所沢市の地名"),
    ("新所沢", "しんところざわ", "所沢市の地名"),
]
PUBLISHED = {
    "title": "【デモ】椿峰地区で高齢者の集いを開きます",
    "body": (
        "椿峰ふれあいセンターで、高齢者の集いを行います。\n"
        "体操とお茶会があります。どなたでもお越しください。\n"
        "申し込みは不要です。問い合わせは所沢市社会福祉協議会まで。"
    ),
    "easy_title": "【デモ】おとしよりの あつまりが あります",
    "easy_body": "椿峰の センターで、体操を します。お茶も あります。だれでも 来て ください。",
    "title_en": "[Demo] A gathering for older people in Tsubakimine",
    "body_en": (
        "A gathering for older people takes place at the Tsubakimine community centre, with "
        "light exercise and tea. Everyone is welcome; no booking is needed."
    ),
    "audience_keys": ["elderly"],
}
DRAFT = {
    "title": "【デモ】小手指地区の民生委員を紹介します",
    "body": "小手指地区では、民生委員・児童委員が見守り活動をしています。困りごとはご相談ください。",
}


def load_notices(tenants: dict) -> None:
    from sasaeai.notices import selectors, services

    tenant = tenants.get(CITY)
    if tenant is None:
        return
    actor = Actor(user_id=None, username="demo-loader", tenant_id=tenant.pk, membership_id=None,
                  role=Role.SYSTEM_ADMIN, otp_verified=True)  # fmt: skip
    with tenant_context(tenant.pk):
        for surface, reading, note in ENTRIES:
            services.reading_entry_save(
                actor=actor, surface=surface, reading=reading, note=note, is_demo=True
            )
        notice = services.notice_create(actor=actor, is_demo=True, **PUBLISHED)
        review = selectors.readings_review(notice)
        # The demo approves what was proposed, writing the one unknown reading if any.
        readings = {w.surface: w.reading or "よみ" for w in review.words}
        services.readings_approve(
            actor=actor, notice=notice, readings=readings, text_hash=review.text_hash
        )
        services.notice_publish(actor=actor, notice=notice, site_only=True)
        services.notice_create(actor=actor, is_demo=True, **DRAFT)
