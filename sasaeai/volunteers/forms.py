import re
from datetime import time

from django import forms
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area, AreaKind
from sasaeai.volunteers.models import (
    Helper,
    InsurancePlan,
    Mobility,
    Recurrence,
    Registry,
    RequestStatus,
    Skill,
)

WEEKDAYS = "月火水木金土日"
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _districts(tenant_id):
    return Area.objects.filter(tenant_id=tenant_id, kind=AreaKind.DISTRICT).order_by("code", "name")


class HelperForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    name_kana = forms.CharField(label=_("Name (kana)"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    area = forms.ModelChoiceField(label=_("District"), queryset=Area.objects.none(), required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills"), queryset=Skill.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    qualifications = forms.CharField(label=_("Qualifications"), max_length=300, required=False)
    languages = forms.CharField(label=_("Languages"), max_length=200, required=False)
    mobility = forms.ChoiceField(label=_("Mobility"), choices=Mobility.choices)
    max_distance_km = forms.FloatField(
        label=_("Maximum distance (km)"), required=False, min_value=0
    )
    capacity = forms.IntegerField(label=_("Activities at a time"), min_value=1, initial=1)
    consent_to_contact = forms.BooleanField(label=_("Consents to be contacted"), required=False)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, tenant_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _districts(tenant_id)
        self.fields["skills"].queryset = Skill.objects.filter(tenant_id=tenant_id)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("skills")
        return data


class AvailabilityForm(forms.Form):
    slots = forms.CharField(
        label=_("Weekly availability"), required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One slot a line, such as 「月 9:00-12:00」."),
    )  # fmt: skip

    LINE = re.compile(
        r"^\s*([月火水木金土日0-6])\s+(\d{1,2}):(\d{2})\s*[-–〜~]\s*(\d{1,2}):(\d{2})\s*$"
    )

    def clean_slots(self):
        slots = []
        for number, line in enumerate(self.cleaned_data["slots"].splitlines(), start=1):
            if not line.strip():
                continue
            match = self.LINE.match(line)
            if not match:
                raise forms.ValidationError(
                    _("Line %(n)s is not like 「月 9:00-12:00」.") % {"n": number}
                )
            day, h1, m1, h2, m2 = match.groups()
            weekday = int(day) if day.isdigit() else WEEKDAYS.index(day)
            try:
                slots.append((weekday, time(int(h1), int(m1)), time(int(h2), int(m2))))
            except ValueError as error:
                raise forms.ValidationError(
                    _("Line %(n)s has an impossible time.") % {"n": number}
                ) from error
        return slots

    @staticmethod
    def initial_text(helper) -> str:
        return "\n".join(
            f"{WEEKDAYS[a.weekday]} {a.starts:%H:%M}-{a.ends:%H:%M}"
            for a in helper.availability.all()
        )


class ExceptionForm(forms.Form):
    day = forms.DateField(label=_("Unavailable day"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class InsuranceForm(forms.Form):
    fiscal_year = forms.IntegerField(label=_("Fiscal year"), min_value=2000, max_value=2100)
    plan = forms.ChoiceField(label=_("Plan"), choices=InsurancePlan.choices)
    enrolled_on = forms.DateField(label=_("Enrolled on"), widget=DATE)


class RegistrationForm(forms.Form):
    registry = forms.ModelChoiceField(label=_("Registry"), queryset=Registry.objects.none())
    joined_on = forms.DateField(label=_("Joined on"), widget=DATE)

    def __init__(self, *args, tenant_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registry"].queryset = Registry.objects.filter(
            tenant_id=tenant_id, is_active=True
        )


class RegistryForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=60)
    name = forms.CharField(label=_("Name"), max_length=100)
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=100)


class SkillForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=60)
    name = forms.CharField(label=_("Name"), max_length=100)


class RequestForm(forms.Form):
    title = forms.CharField(label=_("What help"), max_length=200)
    description = forms.CharField(
        label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    requester_name = forms.CharField(label=_("Requester"), max_length=100)
    requester_phone = forms.CharField(label=_("Requester's phone"), max_length=30, required=False)
    share_phone = forms.BooleanField(
        label=_("Share the phone number with the helper"), required=False
    )
    address = forms.CharField(label=_("Place"), max_length=300, required=False)
    area = forms.ModelChoiceField(label=_("District"), queryset=Area.objects.none(), required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    starts_at = forms.DateTimeField(label=_("From"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Until"), widget=DATETIME)
    recurrence = forms.ChoiceField(label=_("Recurrence"), choices=Recurrence.choices)
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills needed"), queryset=Skill.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    helpers_needed = forms.IntegerField(label=_("Helpers needed"), min_value=1, initial=1)
    fee_per_hour = forms.IntegerField(label=_("Fee per hour (yen)"), min_value=0, required=False)
    is_fsc = forms.BooleanField(label=_("Family support center activity"), required=False)
    case_id = forms.IntegerField(label=_("Consultation case number"), required=False, min_value=1)

    def __init__(self, *args, tenant_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _districts(tenant_id)
        self.fields["skills"].queryset = Skill.objects.filter(tenant_id=tenant_id)

    def request_input(self, **overrides):
        from sasaeai.volunteers.services import RequestInput

        data = self.cleaned_data
        values = {
            "title": data["title"], "description": data.get("description", ""),
            "requester_name": data["requester_name"],
            "requester_phone": data.get("requester_phone", ""),
            "share_phone": data.get("share_phone", False), "address": data.get("address", ""),
            "area_id": data["area"].pk if data.get("area") else None,
            "latitude": data.get("latitude"), "longitude": data.get("longitude"),
            "starts_at": data["starts_at"], "ends_at": data["ends_at"],
            "recurrence": data.get("recurrence") or Recurrence.ONE_OFF,
            "helpers_needed": data.get("helpers_needed") or 1,
            "fee_per_hour": data.get("fee_per_hour"), "is_fsc": data.get("is_fsc", False),
            "case_id": data.get("case_id"),
            "skill_ids": tuple(s.pk for s in data.get("skills") or ()),
        }  # fmt: skip
        values.update(overrides)
        return RequestInput(**values)


class ResidentRequestForm(RequestForm):
    """A signed-in resident asks for help: no case number, no fee, no FSC flag."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("case_id", "fee_per_hour", "is_fsc", "latitude", "longitude"):
            del self.fields[name]
        self.fields["requester_name"].label = _("Your name")
        self.fields["requester_phone"].label = _("Your phone")


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=RequestStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ReportForm(forms.Form):
    day = forms.DateField(label=_("Day of the activity"), widget=DATE)
    hours = forms.CharField(
        label=_("Hours"), required=False,
        widget=forms.NumberInput(attrs={"step": "0.25", "min": "0", "data-testid": "report-hours"}),
    )  # fmt: skip
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    representative = forms.CharField(label=_("Representative"), max_length=100, required=False)
    members = forms.ModelMultipleChoiceField(
        label=_("Members"), queryset=Helper.objects.none(), required=False
    )

    def __init__(self, *args, tenant_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = Helper.objects.filter(tenant_id=tenant_id, is_active=True)


class TermsForm(forms.Form):
    is_fsc = forms.BooleanField(label=_("Family support center activity"), required=False)
    fee_per_hour = forms.IntegerField(label=_("Fee per hour (yen)"), min_value=0, required=False)
