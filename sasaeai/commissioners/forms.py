"""The phone form of one activity entry."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.commissioners.models import (
    EntryKind,
    Field,
    LiaisonKind,
    OtherActivity,
    Topic,
    VisitKind,
)

BLANK = [("", "---------")]


class EntryForm(forms.Form):
    day = forms.DateField(
        label=_("Date of activity"),
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=timezone.localdate,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=EntryKind.choices, initial=EntryKind.VISIT)
    field = forms.ChoiceField(
        label=_("Field (consultations)"), choices=BLANK + Field.choices, required=False
    )
    topic = forms.ChoiceField(
        label=_("Content (consultations)"), choices=BLANK + Topic.choices, required=False
    )
    # One list for the three kinds that have a sub-row: the values never repeat across them.
    detail = forms.ChoiceField(
        label=_("What (other activities, visits, liaison)"),
        choices=BLANK + [
            (_("Other activities"), OtherActivity.choices),
            (_("Visits"), VisitKind.choices),
            (_("Liaison and coordination"), LiaisonKind.choices),
        ],
        required=False,
    )  # fmt: skip
    count = forms.IntegerField(
        label=_("Number"), min_value=1, max_value=999, initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    note = forms.CharField(
        label=_("Note"), max_length=200, required=False,
        help_text=_("No names: the activity record is counts only."),
    )  # fmt: skip


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("Month"), input_formats=["%Y-%m"], widget=forms.DateInput(attrs={"type": "month"})
    )
