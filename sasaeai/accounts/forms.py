from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from sasaeai.accounts import lockout
from sasaeai.accounts.models import Role


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "The user name or password is wrong. After %(limit)s failures in a row the "
            "account is locked for a while."
        ),
        "inactive": _("This account is disabled. Ask your administrator."),
        "retry_wait": _("The last sign-in failed. Wait %(seconds)s seconds, then try again."),
    }

    def clean(self):
        # Before the password is checked: a try within the wait neither succeeds nor counts.
        username = self.cleaned_data.get("username")
        if username and self.request is not None:
            seconds = lockout.retry_wait_seconds(self.request, username)
            if seconds:
                raise forms.ValidationError(
                    self.error_messages["retry_wait"],
                    code="retry_wait",
                    params={"seconds": seconds},
                )
        return super().clean()

    def get_invalid_login_error(self):
        from django.conf import settings

        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"limit": settings.AXES_FAILURE_LIMIT},
        )


class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
        error_messages={
            "required": _("Enter the 6-digit code."),
            "min_length": _("Enter the 6-digit code."),
            "max_length": _("Enter the 6-digit code."),
        },
    )

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError(_("The code is 6 digits."))
        return token


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )
