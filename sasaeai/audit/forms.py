from django import forms
from django.utils.translation import gettext_lazy as _

from sasaeai.audit.models import Action


class AuditFilterForm(forms.Form):
    subject_type = forms.CharField(label=_("Record type"), required=False)
    subject_id = forms.CharField(label=_("Record id"), required=False)
    username = forms.CharField(label=_("User name"), required=False)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("All actions")), *Action.choices]
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data
