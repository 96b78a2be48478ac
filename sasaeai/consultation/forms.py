"""Forms of the intake, person, household and settings pages. They only parse input; the
services validate and write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.consultation.models import (
    AgencyKind,
    CallAbout,
    Channel,
    ConsentMethod,
    PersonFlag,
    Relationship,
    Sex,
)
from sasaeai.core.models import Area
from sasaeai.core.text import is_kana

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _datetime_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def _clean_kana(value: str) -> str:
    if value and not is_kana(value):
        raise ValidationError(_("Enter the reading in kana."), code="not_kana")
    return value


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ConsultationForm(forms.Form):
    """相談受付・申込票: when and how it came in, who called, how to reach them, what was said;
    then the district and the kinds of difficulty, which may be filled in later."""

    received_at = forms.DateTimeField(label=_("Received at"), widget=_datetime_input())
    channel = forms.ChoiceField(
        label=_("How it came in"),
        choices=[
            (v, label)
            for v, label in Channel.choices
            if v not in (Channel.COMMISSIONER, Channel.AGENCY)
        ],
    )
    caller_name = forms.CharField(label=_("Caller"), max_length=100, required=False)
    caller_relation = forms.CharField(
        label=_("Caller's relation to the person"), max_length=60, required=False
    )
    contact = forms.CharField(label=_("How to reach them"), max_length=200, required=False)
    about = forms.ChoiceField(
        label=_("Whom is the call about?"), required=False,
        choices=[("", _("not asked yet")), *CallAbout.choices],
    )  # fmt: skip
    subject_name = forms.CharField(
        label=_("Their name"), max_length=100, required=False,
        help_text=_("When the call is about someone else: what the caller knows of them."),
    )  # fmt: skip
    subject_name_kana = forms.CharField(
        label=_("Their name (kana)"), max_length=200, required=False
    )
    subject_address = forms.CharField(label=_("Their address"), max_length=300, required=False)
    subject_phone = forms.CharField(label=_("Their telephone"), max_length=40, required=False)
    description = forms.CharField(
        label=_("What was said"), widget=forms.Textarea(attrs={"rows": 6})
    )
    area = AreaChoiceField(label=_("District"), queryset=Area.objects.none(), required=False)
    concerns = forms.MultipleChoiceField(
        label=_("Concerns (optional)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    is_confidential = forms.BooleanField(
        label=_("Confidential (DV, abuse): only the workers named on it may see it"),
        required=False,
    )

    def __init__(self, *args, areas, concern_tags, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "received_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["concerns"].choices = [(t.code, t.name) for t in concern_tags]

    def clean_subject_name_kana(self):
        return _clean_kana(self.cleaned_data["subject_name_kana"])


class ConcernForm(forms.Form):
    """What a welfare commissioner or an agency passes on: as little as possible."""

    description = forms.CharField(
        label=_("What is the concern?"), widget=forms.Textarea(attrs={"rows": 6})
    )
    contact = forms.CharField(
        label=_("How to reach the person or you"), max_length=200, required=False
    )
    area = AreaChoiceField(label=_("District"), queryset=Area.objects.none(), required=False)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


class DuplicateSearchForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    name_kana = forms.CharField(label=_("Name (kana)"), max_length=200, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=_date_input())
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Telephone"), max_length=40, required=False)

    def has_terms(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.fields)


class TakeInForm(forms.Form):
    title = forms.CharField(label=_("Case title"), max_length=200, required=False)
    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    case = forms.ChoiceField(label=_("Existing case"), required=False)

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [("", "—")] + [(str(c.pk), str(c)) for c in cases]


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_kana = forms.CharField(label=_("Name (kana)"), max_length=200, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=_date_input())
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    postal_code = forms.CharField(label=_("Postal code"), max_length=8, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    area = AreaChoiceField(label=_("District"), queryset=Area.objects.none(), required=False)
    phone = forms.CharField(label=_("Telephone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    language = forms.CharField(label=_("Language"), max_length=40, required=False, initial="日本語")
    flags = forms.MultipleChoiceField(
        label=_("Flags"), choices=PersonFlag.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    is_confidential = forms.BooleanField(label=_("Confidential"), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Set when the person is created from an intake page, to return there.
    intake = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas

    def clean_name_kana(self):
        return _clean_kana(self.cleaned_data["name_kana"])

    def person_values(self) -> dict:
        """The cleaned values as PersonInput fields."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("intake", None)
        area = data.pop("area")
        data["area_id"] = area.pk if area else None
        return data


class ConsentForm(forms.Form):
    scope = forms.CharField(
        label=_("What may be shared, with whom"), widget=forms.Textarea(attrs={"rows": 3})
    )
    agency = forms.ModelChoiceField(
        label=_("Agency (blank: the agencies named in the scope)"), queryset=None, required=False
    )
    obtained_on = forms.DateField(label=_("Obtained on"), widget=_date_input())
    method = forms.ChoiceField(label=_("How obtained"), choices=ConsentMethod.choices)
    covers_conferences = forms.BooleanField(
        label=_("Covers multi-layered support meetings"), required=False
    )

    def __init__(self, *args, agencies, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("obtained_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies


class HouseholdForm(forms.Form):
    name = forms.CharField(label=_("Household name"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    area = AreaChoiceField(label=_("District"), queryset=Area.objects.none(), required=False)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


class HouseholdMemberForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=Relationship.choices)
    lives_together = forms.BooleanField(label=_("Lives together"), required=False, initial=True)


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or kana"), max_length=100, required=False)


# ---- settings ------------------------------------------------------------------------------


class SettingsForm(forms.Form):
    retention_years = forms.IntegerField(
        label=_("Years a closed case is kept"), min_value=1, max_value=30
    )
    no_contact_days = forms.IntegerField(
        label=_("Days without contact before a case is listed"), min_value=1, max_value=365
    )


class ConcernTagForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=60)
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class AgencyForm(forms.Form):
    agency = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=AgencyKind.choices)
    phone = forms.CharField(label=_("Telephone"), max_length=40, required=False)
    members = UserMultipleChoiceField(
        label=_("Staff"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, agency_workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = agency_workers


class SupervisionForm(forms.Form):
    supervisor = UserChoiceField(label=_("Supervisor"), queryset=None)
    workers = UserMultipleChoiceField(
        label=_("Workers supervised"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args, supervisors, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisors
        self.fields["workers"].queryset = workers
