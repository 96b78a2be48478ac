"""Writes of the notices app (docs/notices.md): every one validated, in a transaction, audited."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts import policy
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core import broadcasts
from sasaeai.core.models import Area, Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.notices import ruby, selectors
from sasaeai.notices.models import (
    RUBY_FIELDS,
    Notice,
    NoticeStatus,
    ReadingEntry,
    validate_reading,
)

SOURCE_KEY = "notices.notice"
TEXT_FIELDS = ("title", "body", "easy_title", "easy_body", "title_en", "body_en")


def _clean_target(tenant_id: int, topic_keys, area_ids, audience_keys) -> dict:
    errors: dict[str, list] = {}
    topic_keys = sorted({str(k) for k in topic_keys or ()})
    area_ids = sorted({int(a) for a in area_ids or ()})
    audience_keys = sorted({str(k) for k in audience_keys or ()})
    channel = broadcasts.channel()
    if channel is not None and topic_keys:
        known = {key for key, _label in channel.topics(tenant_id)}
        unknown = [k for k in topic_keys if k not in known]
        if unknown:
            errors["topic_keys"] = [
                ValidationError(_("Unknown topic: %(keys)s") % {"keys": "、".join(unknown)},
                                code="unknown_topic")
            ]  # fmt: skip
    if area_ids:
        found = set(
            Area.objects.filter(tenant_id=tenant_id, pk__in=area_ids).values_list("pk", flat=True)
        )
        if found != set(area_ids):
            errors["area_ids"] = [
                ValidationError(_("Choose areas of this municipality."), code="unknown_area")
            ]
    bad_audiences = [k for k in audience_keys if k not in broadcasts.AUDIENCES]
    if bad_audiences:
        errors["audience_keys"] = [
            ValidationError(_("Unknown audience: %(keys)s") % {"keys": "、".join(bad_audiences)},
                            code="unknown_audience")
        ]  # fmt: skip
    if errors:
        raise ValidationError(errors)
    return {"topic_keys": topic_keys, "area_ids": area_ids, "audience_keys": audience_keys}


def _check_texts(notice: Notice) -> None:
    if bool(notice.title_en.strip()) != bool(notice.body_en.strip()):
        raise ValidationError(
            {"body_en": _("Write both the English title and the English text, or neither.")},
            code="english_incomplete",
        )
    if notice.easy_title.strip() and not notice.easy_body.strip():
        raise ValidationError(
            {"easy_body": _("Write the text in easy Japanese too, or leave its title empty.")},
            code="easy_incomplete",
        )


@transaction.atomic
def notice_create(
    *, actor: Actor, title: str, body: str, easy_title: str = "", easy_body: str = "",
    title_en: str = "", body_en: str = "", topic_keys=(), area_ids=(), audience_keys=(),
    is_demo: bool = False,
) -> Notice:  # fmt: skip
    policy.require(actor, "notices.manage")
    target = _clean_target(actor.tenant_id, topic_keys, area_ids, audience_keys)
    notice = Notice(
        tenant_id=actor.tenant_id, title=title, body=body, easy_title=easy_title,
        easy_body=easy_body, title_en=title_en, body_en=body_en, is_demo=is_demo, **target,
    )  # fmt: skip
    notice.full_clean()
    _check_texts(notice)
    notice.save()
    audit_object(actor, Action.CREATE, notice, detail={"title": notice.title})
    return notice


@transaction.atomic
def notice_update(*, actor: Actor, notice: Notice, **changes) -> Notice:
    """Edit a draft. A change to a text with ruby voids the approved readings."""
    policy.require(actor, "notices.manage", notice)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != NoticeStatus.DRAFT:
        raise ValidationError(
            _("Only a draft can be edited. Withdraw a published notice first."), code="not_draft"
        )
    allowed = set(TEXT_FIELDS) | {"topic_keys", "area_ids", "audience_keys"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")
    target = _clean_target(
        notice.tenant_id,
        changes.pop("topic_keys", notice.topic_keys),
        changes.pop("area_ids", notice.area_ids),
        changes.pop("audience_keys", notice.audience_keys),
    )
    before = notice.text_hash()
    for name, value in {**changes, **target}.items():
        setattr(notice, name, value)
    notice.full_clean()
    _check_texts(notice)
    voided = notice.readings is not None and notice.text_hash() != before
    if voided:
        notice.readings, notice.readings_text_hash = None, ""
        notice.approved_by, notice.approved_at = None, None
    notice.save()
    audit_object(
        actor, Action.UPDATE, notice,
        detail={"fields": sorted(set(changes) | set(target)), "readings_voided": voided},
    )  # fmt: skip
    return notice


@transaction.atomic
def readings_approve(
    *, actor: Actor, notice: Notice, readings: dict[str, str], text_hash: str,
    add_to_dictionary=(),
) -> Notice:  # fmt: skip
    """Approve a reading for every word with kanji of the notice's current texts.

    `text_hash` is the hash of the texts the person reviewed: if the notice changed since, the
    approval is refused. Every word must have a hiragana reading (unknown words included)."""
    policy.require(actor, "notices.manage", notice)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != NoticeStatus.DRAFT:
        raise ValidationError(_("Only a draft's readings can be approved."), code="not_draft")
    if text_hash != notice.text_hash():
        raise ValidationError(
            _("The text changed while you were reviewing. Review the readings again."),
            code="text_changed",
        )
    review = selectors.readings_review(notice)
    missing, invalid = [], []
    for word in review.words:
        value = (readings.get(word.surface) or "").strip()
        if not value:
            missing.append(word.surface)
        elif not ruby.READING.match(value):
            invalid.append(word.surface)
    if missing or invalid:
        errors = {}
        if missing:
            errors["missing"] = ValidationError(
                _("Write a reading for: %(words)s") % {"words": "、".join(missing)},
                code="reading_missing",
            )
        if invalid:
            errors["invalid"] = ValidationError(
                _("Write these readings in hiragana: %(words)s") % {"words": "、".join(invalid)},
                code="not_hiragana",
            )
        raise ValidationError(list(errors.values()))
    approved = {w.surface: readings[w.surface].strip() for w in review.words}
    notice.readings = {
        "fields": {name: ruby.apply_readings(review.fields[name], approved) for name in RUBY_FIELDS},
        "words": [
            {"surface": w.surface, "reading": approved[w.surface], "proposed": w.reading,
             "source": w.source}
            for w in review.words
        ],
    }  # fmt: skip
    notice.readings_text_hash = review.text_hash
    notice.approved_by_id = actor.user_id
    notice.approved_at = timezone.now()
    notice.save()
    corrected = [w.surface for w in review.words if approved[w.surface] != w.reading]
    audit_object(
        actor, Action.UPDATE, notice,
        detail={"event": "readings_approved", "words": len(review.words), "corrected": corrected},
    )  # fmt: skip
    for surface in add_to_dictionary:
        if surface in approved:
            _entry_upsert(actor, surface, approved[surface], _("added while reviewing a notice"))
    return notice


@dataclass(frozen=True)
class PublishResult:
    notice: Notice
    recipients: int | None  # None: no mailing module
    job_id: int | None


@transaction.atomic
def notice_publish(*, actor: Actor, notice: Notice, site_only: bool = False) -> PublishResult:
    """Publish on the public site and mail the target's subscribers (one transaction: the
    mailing job is enqueued in it). Refused while the readings are not approved for the current
    texts, and when the target matches no one unless `site_only` says to publish anyway."""
    policy.require(actor, "notices.manage", notice)
    notice = Notice.objects.select_for_update().select_related("tenant").get(pk=notice.pk)
    if notice.status != NoticeStatus.DRAFT:
        raise ValidationError(_("This notice is not a draft."), code="not_draft")
    if not notice.readings_approved:
        raise ValidationError(
            _("Approve the readings (furigana) of the current text before publishing."),
            code="readings_not_approved",
        )
    channel = broadcasts.channel()
    recipients = job_id = None
    if channel is not None:
        target = notice_target(notice)
        recipients = channel.count(target)
        if recipients == 0 and not site_only:
            raise ValidationError(
                _("No subscriber matches this target: the notice would not be mailed to anyone. "
                  "Change the target, or publish it on the website only."),
                code="no_recipients",
            )  # fmt: skip
        if recipients and not site_only:
            job_id = channel.send(actor, target, SOURCE_KEY, notice.pk)
    notice.status = NoticeStatus.PUBLISHED
    notice.published_at = timezone.now()
    notice.published_by_id = actor.user_id
    notice.mail_job_id = job_id
    notice.save()
    audit_object(
        actor, Action.UPDATE, notice,
        detail={"event": "published", "recipients": recipients, "mail_job_id": job_id,
                "site_only": job_id is None},
    )  # fmt: skip
    return PublishResult(notice, recipients, job_id)


def notice_target(notice: Notice) -> broadcasts.Target:
    return broadcasts.Target(
        tenant_id=notice.tenant_id,
        topic_keys=tuple(notice.topic_keys),
        area_ids=tuple(notice.area_ids),
        audience_keys=tuple(notice.audience_keys),
    )


@transaction.atomic
def notice_withdraw(*, actor: Actor, notice: Notice) -> Notice:
    """Take a published notice off the public site (mail already sent stays sent)."""
    policy.require(actor, "notices.manage", notice)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != NoticeStatus.PUBLISHED:
        raise ValidationError(_("Only a published notice can be withdrawn."), code="not_published")
    notice.status = NoticeStatus.WITHDRAWN
    notice.withdrawn_at = timezone.now()
    notice.save()
    audit_object(actor, Action.UPDATE, notice, detail={"event": "withdrawn"})
    return notice


@transaction.atomic
def notice_delete(*, actor: Actor, notice: Notice) -> None:
    """Delete a draft (a notice that was published stays, withdrawn, for the record)."""
    policy.require(actor, "notices.manage", notice)
    if notice.status != NoticeStatus.DRAFT:
        raise ValidationError(_("Only a draft can be deleted."), code="not_draft")
    audit_object(actor, Action.DELETE, notice, detail={"title": notice.title})
    notice.delete()


def _entry_upsert(actor: Actor, surface: str, reading: str, note: str) -> ReadingEntry:
    entry = ReadingEntry.objects.filter(tenant_id=actor.tenant_id, surface=surface).first()
    created = entry is None
    entry = entry or ReadingEntry(tenant_id=actor.tenant_id, surface=surface)
    entry.reading, entry.note = reading, entry.note or note
    entry.full_clean()
    entry.save()
    audit_object(
        actor, Action.CREATE if created else Action.UPDATE, entry,
        detail={"surface": surface, "reading": reading},
    )  # fmt: skip
    return entry


def _clean_surface(surface: str) -> str:
    surface = (surface or "").strip()
    if not ruby.has_kanji(surface):
        raise ValidationError(
            {"surface": _("Write a word with kanji (for example 椿峰).")}, code="no_kanji"
        )
    return surface


@transaction.atomic
def reading_entry_save(
    *, actor: Actor, surface: str, reading: str, note: str = "", entry: ReadingEntry | None = None,
    is_demo: bool = False,
) -> ReadingEntry:  # fmt: skip
    """Add an entry to the tenant's dictionary, or change one (`entry`)."""
    policy.require(actor, "notices.manage", entry)
    surface = _clean_surface(surface)
    reading = ruby.to_hiragana((reading or "").strip())
    if entry is None:
        entry = ReadingEntry(tenant_id=actor.tenant_id, is_demo=is_demo)
        action = Action.CREATE
    else:
        action = Action.UPDATE
    entry.surface, entry.reading, entry.note = surface, reading, note.strip()
    entry.full_clean()
    entry.save()
    audit_object(actor, action, entry, detail={"surface": surface, "reading": reading})
    return entry


@transaction.atomic
def reading_entry_delete(*, actor: Actor, entry: ReadingEntry) -> None:
    policy.require(actor, "notices.manage", entry)
    audit_object(actor, Action.DELETE, entry, detail={"surface": entry.surface})
    entry.delete()


@transaction.atomic
def reading_entries_import(*, actor: Actor, rows: list[tuple[str, str, str]]) -> int:
    """Rows of (written form, reading, note): all validated first, then saved all or nothing.
    An existing written form gets the new reading."""
    policy.require(actor, "notices.manage")
    problems = []
    for number, (surface, reading, _note) in enumerate(rows, start=1):
        if not ruby.has_kanji(surface.strip()):
            problems.append(_("Line %(n)s: no kanji in %(word)s") % {"n": number, "word": surface})
            continue
        try:
            validate_reading(ruby.to_hiragana(reading.strip()))
        except ValidationError:
            problems.append(
                _("Line %(n)s: the reading of %(word)s is not hiragana") % {"n": number, "word": surface}
            )  # fmt: skip
    if problems:
        raise ValidationError(problems, code="invalid_rows")
    for surface, reading, note in rows:
        _entry_upsert(actor, surface.strip(), ruby.to_hiragana(reading.strip()), note.strip())
    return len(rows)


def render_broadcast(tenant_id: int, object_id: int, language: str) -> broadcasts.Content:
    """The mail of a notice (core.broadcasts source "notices.notice"): English when asked for and
    written, Japanese otherwise."""
    # The mailing job may call this outside any tenant: read in the notice's own tenant.
    with tenant_context(tenant_id):
        notice = Notice.objects.filter(tenant_id=tenant_id, pk=object_id).first()
        tenant = Tenant.objects.get(pk=tenant_id)
    # Withdrawn while its mailing was still running: the rest of the subscribers get nothing.
    if notice is None or notice.status != NoticeStatus.PUBLISHED:
        raise broadcasts.Withdrawn(object_id)
    path = f"/notices/{tenant.code}/{notice.pk}/"
    if language == "en" and notice.has_english:
        return broadcasts.Content(subject=notice.title_en, text=notice.body_en, path=path)
    return broadcasts.Content(subject=notice.title, text=notice.body, path=path)
