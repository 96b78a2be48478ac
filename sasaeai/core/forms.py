import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import Area, AreaKind
from sasaeai.core.text import is_kana


def add_validation_errors(
    form: forms.Form, error: ValidationError, rename: dict | None = None
) -> None:
    """Show a service's ValidationError on the form: by field where the form has it.

    The errors keep their `code`, so pages and tests can tell a refusal's kind (conflict,
    consent_required …) whatever the language. `rename` maps a service's field name to the
    form's where they differ.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    rename = rename or {}
    for name, errors in error.error_dict.items():
        name = rename.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


class AreaFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *AreaKind.choices]
    )


class AreaForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AreaKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    name_kana = forms.CharField(label=_("Name (kana)"), max_length=200, required=False)
    code = forms.CharField(label=_("Code"), max_length=40, required=False)
    parent = forms.ModelChoiceField(
        label=_("Parent area"), queryset=Area.objects.none(), required=False
    )
    boundary = forms.CharField(
        label=_("Boundary (GeoJSON)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, tenant_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Area.objects.filter(tenant_id=tenant_id).defer("boundary")

    def clean_name_kana(self):
        value = self.cleaned_data["name_kana"]
        if value and not is_kana(value):
            raise ValidationError(_("Enter the reading in kana."))
        return value

    def clean_boundary(self):
        value = self.cleaned_data["boundary"].strip()
        if not value:
            return None
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            raise ValidationError(_("The boundary is not valid GeoJSON.")) from None
        if not isinstance(data, dict):
            raise ValidationError(_("The boundary is not valid GeoJSON."))
        return data
