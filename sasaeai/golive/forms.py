from django import forms
from django.utils.translation import gettext_lazy as _


class TenantCreateForm(forms.Form):
    code = forms.CharField(
        label=_("Local government code (6 digits)"), max_length=12,
        help_text=_("全国地方公共団体コード with its check digit, e.g. 122033 for 市川市."),
    )  # fmt: skip
    name = forms.CharField(label=_("Municipality name"), max_length=100)
    council_name = forms.CharField(
        label=_("Welfare council"), max_length=100, required=False,
        help_text=_("Leave empty for <name>社会福祉協議会."),
    )  # fmt: skip
    admin_username = forms.CharField(label=_("System administrator's user name"), max_length=150)
    admin_email = forms.CharField(label=_("System administrator's e-mail"), max_length=254)
    admin_display_name = forms.CharField(
        label=_("System administrator's name"), max_length=100, required=False
    )
    invite = forms.BooleanField(
        label=_("Send the administrator an invitation by e-mail instead of a one-time password"),
        required=False,
    )
