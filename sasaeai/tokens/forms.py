from django import forms
from django.utils.translation import gettext_lazy as _

from sasaeai.tokens import scopes as token_scopes
from sasaeai.tokens.models import SERVICE_ROLES
from sasaeai.tokens.services import DEFAULT_LIFETIME_DAYS

LIFETIME_CHOICES = [
    (7, _("7 days")),
    (30, _("30 days")),
    (90, _("90 days")),
    (180, _("180 days")),
    (365, _("1 year")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the script or system using it."),
        error_messages={"required": _("Enter a name.")},
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one scope.")},
    )
    lifetime_days = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=LIFETIME_CHOICES,
        coerce=int,
        initial=DEFAULT_LIFETIME_DAYS,
    )

    service = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = token_scopes.scope_choices(service=self.service)


class ServiceTokenForm(TokenForm):
    service = True
    role = forms.ChoiceField(
        label=_("Acts as role"),
        choices=[(role.value, role.label) for role in SERVICE_ROLES],
        help_text=_("Service tokens read only, with this role's rights in this tenant."),
    )

    field_order = ["name", "role", "scopes", "lifetime_days"]
