"""Small display helpers for the consultation pages: ages, flags, links to other pages."""

import datetime

from django import template
from django.utils import timezone

from sasaeai.consultation.models import PersonFlag

register = template.Library()


def age_on(birth_date: datetime.date | None, today: datetime.date) -> int | None:
    """Age in completed years (満年齢) by ordinary birthday arithmetic."""
    if birth_date is None:
        return None
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


@register.filter
def age(birth_date: datetime.date | None) -> int | None:
    return age_on(birth_date, timezone.localdate())


@register.filter
def flag_labels(flags) -> list[str]:
    labels = dict(PersonFlag.choices)
    return [str(labels.get(flag, flag)) for flag in flags or []]
