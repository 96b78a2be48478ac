from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.watch.models import ContactKind, ContactResult, WatcherKind, WatchSource

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_kana = forms.CharField(label=_("Name (kana)"), max_length=200, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    area = forms.ModelChoiceField(label=_("District"), queryset=None, required=False)
    phone = forms.CharField(label=_("Telephone"), max_length=40, required=False)
    reason = forms.CharField(
        label=_("Reason for watching over"), widget=forms.Textarea(attrs={"rows": 3})
    )
    frequency_days = forms.IntegerField(
        label=_("Contact at least every (days)"), min_value=1, max_value=365, initial=7
    )
    contact_rules = forms.CharField(
        label=_("Contact rules"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Time of day, how to ring, whom to call if there is no answer."),
    )  # fmt: skip
    emergency_contact = forms.CharField(
        label=_("Emergency contact"), max_length=200, required=False
    )
    source = forms.ChoiceField(label=_("Came from"), choices=WatchSource.choices)
    source_reference = forms.IntegerField(
        label=_("Number in the source"), required=False, min_value=1, max_value=2**62,
        help_text=_("The case or register number, if any."),
    )  # fmt: skip
    started_on = forms.DateField(label=_("Watched since"), widget=DATE)
    accept_duplicate = forms.BooleanField(
        label=_("Add anyway (this is a different person)"), required=False
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["started_on"].initial = timezone.localdate

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("accept_duplicate")
        return data


class EndForm(forms.Form):
    ended_on = forms.DateField(label=_("Ended on"), widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason for ending"), max_length=200)


class WatcherForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=WatcherKind.choices)
    user = forms.ModelChoiceField(label=_("Member"), queryset=None, required=False)
    partner = forms.ModelChoiceField(label=_("Business"), queryset=None, required=False)
    name = forms.CharField(label=_("Name (neighbour)"), max_length=100, required=False)
    phone = forms.CharField(label=_("Telephone"), max_length=40, required=False)
    is_primary = forms.BooleanField(label=_("Main watcher"), required=False)

    def __init__(self, *args, memberships, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = memberships
        self.fields["user"].label_from_instance = lambda m: (
            f"{m.user.display_name or m.user.username} ({m.get_role_display()})"
        )
        self.fields["partner"].queryset = partners

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        membership, partner = data.pop("user"), data.pop("partner")
        data["user_id"] = membership.user_id if membership else None
        data["partner_id"] = partner.pk if partner else None
        return data


class ContactForm(forms.Form):
    """The phone form: the result comes from the big button pressed."""

    result = forms.ChoiceField(label=_("Result"), choices=ContactResult.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=DATE, initial=timezone.localdate)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ContactKind.choices, initial=ContactKind.VISIT
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
