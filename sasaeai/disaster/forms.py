"""Forms of the register pages; they check input, the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area
from sasaeai.disaster.models import (
    ConsentEvent,
    ConsentModel,
    CopyFormat,
    ExtractKind,
    MemberDuty,
    OrganisationKind,
)

DATE = forms.DateInput(attrs={"type": "date"})
MAX_UPLOAD = 50 * 1024 * 1024


class SettingsForm(forms.Form):
    consent_model = forms.ChoiceField(label=_("consent model"), choices=ConsentModel.choices)
    presumed_after_days = forms.IntegerField(
        label=_("days before no reply counts"), min_value=1, max_value=365, initial=30
    )
    ordinance_name = forms.CharField(label=_("ordinance"), max_length=200, required=False)


class ConsentForm(forms.Form):
    event = forms.ChoiceField(label=_("event"), choices=ConsentEvent.choices)
    on = forms.DateField(label=_("date"), widget=DATE, initial=timezone.localdate)
    method = forms.CharField(label=_("method"), max_length=100, required=False)
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConsentByNumberForm(ConsentForm):
    """A commissioner records the 同意書 of a person by the number printed on it."""

    entry = forms.IntegerField(label=_("register number"), min_value=1, max_value=2**62)
    field_order = ["entry", "event", "on", "method", "note"]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("extract"), choices=ExtractKind.choices)
    file = forms.FileField(label=_("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=OrganisationKind.choices)
    areas = forms.ModelMultipleChoiceField(label=_("areas covered"), queryset=Area.objects.none())
    agreement_on = forms.DateField(label=_("agreement signed on"), widget=DATE, required=False)
    agreement_ends_on = forms.DateField(label=_("agreement ends on"), widget=DATE, required=False)
    agreement_reference = forms.CharField(
        label=_("agreement reference"), max_length=100, required=False
    )
    handling_rules = forms.CharField(
        label=_("how the copy is kept"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, tenant_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = Area.objects.filter(tenant_id=tenant_id).order_by(
            "kind", "code", "name"
        )

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["area_ids"] = [a.pk for a in data.pop("areas")]
        return data


class MemberForm(forms.Form):
    user = forms.TypedChoiceField(label=_("member"), coerce=int, choices=())
    duty = forms.ChoiceField(label=_("duty"), choices=MemberDuty.choices)

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [
            (m.user_id, f"{m.user.display_name or m.user.username}（{m.get_role_display()}）")
            for m in memberships
        ]


class CopyForm(forms.Form):
    format = forms.ChoiceField(
        label=_("format"), choices=[(CopyFormat.EXCEL, "Excel"), (CopyFormat.PDF, "PDF")]
    )
    received_by = forms.CharField(label=_("received by"), max_length=100)
    due_back_on = forms.DateField(label=_("to be returned by"), widget=DATE, required=False)


class CopyCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("what happened"),
        choices=[("returned", _("returned")), ("destroyed", _("destroyed"))],
    )
    on = forms.DateField(label=_("date"), widget=DATE, initial=timezone.localdate)
    note = forms.CharField(label=_("note"), required=False)
