"""Reads of the notices app: staff lists through the policy, public reads of published notices."""

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.core.fiscal import fiscal_year_bounds
from sasaeai.core.models import Area
from sasaeai.notices import ruby
from sasaeai.notices.models import RUBY_FIELDS, Notice, NoticeStatus, ReadingEntry

# A public list reads at most this many notices (newest first) before filtering by area and
# audience in Python: the target lists are JSON, and a city publishes tens of notices a year.
PUBLIC_LIST_LIMIT = 500


def notices_visible_to(actor: policy.Actor) -> QuerySet[Notice]:
    return policy.scope(actor, "notices.manage", Notice.objects.select_related("tenant"))


def notice_for(actor: policy.Actor, notice_id: int) -> Notice:
    """The notice, or 404 for one of another tenant (and for anyone who may not manage them)."""
    policy.require(actor, "notices.manage")
    notice = notices_visible_to(actor).filter(pk=notice_id).first()
    if notice is None:
        raise Http404
    return notice


def reading_entries_of(actor: policy.Actor) -> QuerySet[ReadingEntry]:
    return policy.scope(actor, "notices.manage", ReadingEntry.objects.all())


def tenant_dictionary(tenant_id: int) -> dict[str, str]:
    return dict(ReadingEntry.objects.filter(tenant_id=tenant_id).values_list("surface", "reading"))


def areas_of(tenant_id: int) -> QuerySet[Area]:
    return Area.objects.filter(tenant_id=tenant_id).order_by("kind", "name_kana", "name")


@dataclass(frozen=True)
class ReadingsReview:
    fields: dict[str, list[ruby.Segment]]
    words: list[ruby.Word]
    text_hash: str


def readings_review(notice: Notice) -> ReadingsReview:
    """The analyser's and dictionary's proposal for the notice's current texts."""
    dictionary = tenant_dictionary(notice.tenant_id)
    fields = {name: ruby.analyse(getattr(notice, name) or "", dictionary) for name in RUBY_FIELDS}
    return ReadingsReview(fields, ruby.distinct_words(list(fields.values())), notice.text_hash())


def public_notices(
    tenant_id: int, *, area_id: int | None = None, audience: str | None = None
) -> list[Notice]:
    """Published notices, newest first; a notice for no particular area (or audience) is for all."""
    rows = list(
        Notice.objects.published()
        .filter(tenant_id=tenant_id)
        .order_by("-published_at", "-pk")
        .only("pk", "title", "published_at", "area_ids", "audience_keys", "easy_title",
              "title_en", "tenant_id", "is_demo")[:PUBLIC_LIST_LIMIT]
    )  # fmt: skip
    if area_id is not None:
        rows = [n for n in rows if not n.area_ids or area_id in n.area_ids]
    if audience:
        rows = [n for n in rows if not n.audience_keys or audience in n.audience_keys]
    return rows


def public_notice(tenant_id: int, notice_id: int) -> Notice | None:
    return (
        Notice.objects.published()
        .filter(tenant_id=tenant_id, pk=notice_id)
        .select_related("tenant")
        .first()
    )


def _fiscal_year_range(fiscal_year: int) -> tuple[datetime, datetime]:
    first, last = fiscal_year_bounds(fiscal_year)
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last, time.max, tzinfo=zone),
    )


def count_published(tenant_id: int, fiscal_year: int) -> int:
    """Notices first published in the fiscal year (a later withdrawal does not undo that)."""
    start, end = _fiscal_year_range(fiscal_year)
    return (
        Notice.objects.filter(tenant_id=tenant_id, published_at__range=(start, end))
        .exclude(status=NoticeStatus.DRAFT)
        .count()
    )


def count_mailed(tenant_id: int, fiscal_year: int) -> int:
    start, end = _fiscal_year_range(fiscal_year)
    return Notice.objects.filter(
        tenant_id=tenant_id, published_at__range=(start, end), mail_job_id__isnull=False
    ).count()


def public_notices_url(tenant) -> str | None:
    """The notices' entry in core.public_site: shown once the tenant has published one."""
    if not Notice.objects.published().filter(tenant_id=tenant.pk).exists():
        return None
    return reverse("notices:public_list", args=[tenant.code])
