"""Notices to residents (お知らせ, docs/notices.md) and the tenant's reading dictionary."""

import hashlib
import json
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import TenantScoped

READING_PATTERN = re.compile(r"^[ぁ-ゖー]+$")


def validate_reading(value: str) -> None:
    """A reading is hiragana (and the long-vowel mark ー), nothing else."""
    if not READING_PATTERN.match(value or ""):
        raise ValidationError(
            _("Write the reading in hiragana (for example つばきみね)."), code="not_hiragana"
        )


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class NoticeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=NoticeStatus.PUBLISHED)


# The texts that get ruby; their hash is what an approval of readings covers.
RUBY_FIELDS = ("title", "body", "easy_title", "easy_body")


class Notice(TenantScoped):
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    easy_title = models.CharField(_("title in easy Japanese"), max_length=200, blank=True)
    easy_body = models.TextField(_("text in easy Japanese"), blank=True)
    title_en = models.CharField(_("title in English"), max_length=200, blank=True)
    body_en = models.TextField(_("text in English"), blank=True)
    # The target: subscribers of any of these topics, narrowed by areas and audiences.
    topic_keys = models.JSONField(_("topics"), default=list, blank=True)
    area_ids = models.JSONField(_("areas"), default=list, blank=True)
    audience_keys = models.JSONField(_("audiences"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("published by"),
    )  # fmt: skip
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    mail_job_id = models.BigIntegerField(_("mailing job"), null=True, blank=True)
    # Approved ruby: {"fields": {field: [[text, reading or null], ...]}, "words": [...]}.
    readings = models.JSONField(_("approved readings"), null=True, blank=True)
    readings_text_hash = models.CharField(max_length=64, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("readings approved by"),
    )  # fmt: skip
    approved_at = models.DateTimeField(_("readings approved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["tenant", "status", "-published_at"], name="notice_public")]

    def __str__(self):
        return self.title

    def text_hash(self) -> str:
        texts = [getattr(self, name) or "" for name in RUBY_FIELDS]
        return hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()

    @property
    def readings_approved(self) -> bool:
        """True only while the texts are exactly the ones whose readings were approved."""
        return (
            self.approved_at is not None
            and self.readings is not None
            and self.readings_text_hash == self.text_hash()
        )

    @property
    def has_easy(self) -> bool:
        return bool(self.easy_body.strip())

    @property
    def has_english(self) -> bool:
        return bool(self.title_en.strip() and self.body_en.strip())

    @property
    def public_path(self) -> str:
        return f"/notices/{self.tenant.code}/{self.pk}/"


class ReadingEntry(TenantScoped):
    """The tenant's own readings of place and person names (applied before the analyser)."""

    surface = models.CharField(_("written form"), max_length=50)
    reading = models.CharField(_("reading"), max_length=100, validators=[validate_reading])
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["reading", "surface"]
        verbose_name = _("reading dictionary entry")
        verbose_name_plural = _("reading dictionary entries")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "surface"], name="notices_one_reading")
        ]

    def __str__(self):
        return f"{self.surface}（{self.reading}）"
