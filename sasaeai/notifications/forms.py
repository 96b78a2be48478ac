from django import forms

from sasaeai.notifications.models import EmailChoice


class PreferencesForm(forms.Form):
    """One choice per event kind: e-mail at once, in the daily digest, or none."""

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = []
        for kind, choice in kinds:
            name = "kind__" + kind.key.replace(".", "__")
            self.fields[name] = forms.ChoiceField(
                label=kind.label, choices=EmailChoice.choices, initial=choice,
                widget=forms.RadioSelect,
            )  # fmt: skip
            self.keys.append((name, kind.key))

    def choices(self) -> dict[str, str]:
        return {key: self.cleaned_data[name] for name, key in self.keys}
