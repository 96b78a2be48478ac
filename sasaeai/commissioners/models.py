"""Welfare commissioners' activity records (民生委員・児童委員活動記録, docs/commissioners.md).

A commissioner writes short daily entries on their phone (`ActivityEntry`: a day, a kind, for a
consultation its 分野 and 内容, a number). The national form is counts only, so an entry holds
no person's name. Each month of a commissioner has a `MonthlyRecord`: submitted by the
commissioner for the 定例会, locked by the 民児協 事務局; a locked month takes corrections
from staff only. The monthly form adds visits recorded elsewhere (core.visits) to 訪問回数.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area, TenantScoped

USER = settings.AUTH_USER_MODEL


class EntryKind(models.TextChoices):
    CONSULTATION = "consultation", _("consultation and support")
    OTHER_ACTIVITY = "other_activity", _("other activity")
    VISIT = "visit", _("visit")
    LIAISON = "liaison", _("liaison")
    DAY = "day", _("activity day only")


class Field(models.TextChoices):
    """分野 of a consultation on the national form."""

    ELDERLY = "elderly", _("matters concerning older people")
    DISABILITY = "disability", _("matters concerning people with disabilities")
    CHILDREN = "children", _("matters concerning children")
    OTHER = "other", _("other")


class Topic(models.TextChoices):
    """内容 of a consultation: the fourteen codes of the national form, in its order."""

    HOME_WELFARE = "home_welfare", _("welfare services at home")
    LONG_TERM_CARE = "long_term_care", _("long-term care insurance")
    HEALTH = "health", _("health and medical care")
    CHILD_REARING = "child_rearing", _("child-rearing and maternal health")
    CHILD_COMMUNITY = "child_community", _("children's life in the community")
    CHILD_SCHOOL = "child_school", _("children's education and school life")
    LIVING_COSTS = "living_costs", _("living costs")
    PENSION = "pension", _("pensions and insurance")
    WORK = "work", _("work")
    FAMILY = "family", _("family relations")
    HOUSING = "housing", _("housing")
    ENVIRONMENT = "environment", _("living environment")
    DAILY_SUPPORT = "daily_support", _("everyday support")
    OTHER = "other", _("other")


class OtherActivity(models.TextChoices):
    """その他の活動 of the national form, in its order."""

    SURVEY = "survey", _("surveys and fact-finding")
    EVENTS = "events", _("taking part in events, programmes and meetings")
    COMMUNITY = "community", _("community welfare and voluntary activities")
    COUNCIL = "council", _("council business and training")
    CERTIFICATES = "certificates", _("certificates")
    CHILD_PROTECTION = "child_protection", _("finding and reporting children in need of care")


class VisitKind(models.TextChoices):
    WATCH = "watch", _("watching over and similar")
    OTHER = "other", _("other")


class LiaisonKind(models.TextChoices):
    COMMISSIONERS = "commissioners", _("with other commissioners")
    AGENCIES = "agencies", _("with other agencies")


class ActivityEntry(TenantScoped):
    """Counts of one kind of activity on one day. `detail` is the sub-row of the form: the
    other activity, the visit kind or the liaison kind (empty for a consultation)."""

    commissioner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("commissioner")
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    field = models.CharField(_("field"), max_length=20, choices=Field.choices, blank=True)
    topic = models.CharField(_("content"), max_length=20, choices=Topic.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=20, blank=True)
    count = models.PositiveIntegerField(_("count"), default=1)
    note = models.CharField(_("note (no names)"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "pk"]
        verbose_name = _("activity entry")
        verbose_name_plural = _("activity entries")
        indexes = [
            # A commissioner's month, and a district's or the city's month and year.
            models.Index(fields=["tenant", "commissioner", "day"]),
            models.Index(fields=["tenant", "day", "area"]),
        ]


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("being written")
    SUBMITTED = "submitted", _("submitted")
    LOCKED = "locked", _("locked")


class MonthlyRecord(TenantScoped):
    """One commissioner's month: its state for the 定例会 (submitted, then locked)."""

    commissioner = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("commissioner")
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("district"),
    )  # fmt: skip
    month = models.DateField(_("month"))  # the first day of the month
    status = models.CharField(
        _("status"), max_length=20, choices=RecordStatus.choices, default=RecordStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted on"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("locked by"),
    )  # fmt: skip

    class Meta:
        ordering = ["-month", "commissioner_id"]
        verbose_name = _("monthly activity record")
        verbose_name_plural = _("monthly activity records")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "commissioner", "month"], name="commissioners_one_record"
            )
        ]
