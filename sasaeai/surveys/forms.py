from django import forms
from django.utils.translation import gettext_lazy as _

from sasaeai.surveys.models import QuestionKind, SurveyKind, SurveyMode


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("kind"), choices=SurveyKind.choices)
    fiscal_year = forms.IntegerField(label=_("fiscal year"), min_value=2000, max_value=2100)
    mode = forms.ChoiceField(label=_("mode"), choices=SurveyMode.choices)
    opens_at = forms.DateTimeField(
        label=_("opens at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    closes_at = forms.DateTimeField(
        label=_("closes at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )  # fmt: skip


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("question"), max_length=500)
    required = forms.BooleanField(label=_("required"), required=False)
    choices = forms.CharField(
        label=_("choices"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One per line, as key|label (or just the label). A five-point scale left "
                    "empty gets 満足 / やや満足 / どちらともいえない / やや不満 / 不満."),
    )  # fmt: skip
    metric_slug = forms.SlugField(
        label=_("indicator key"), required=False, max_length=60,
        help_text=_("A plan indicator bound to surveys.share:<key> reads this question."),
    )  # fmt: skip
    counted_keys = forms.CharField(
        label=_("counted choices"), required=False, max_length=400,
        help_text=_("Choice keys the indicator counts, separated by commas."),
    )  # fmt: skip
    is_breakdown = forms.BooleanField(label=_("breakdown question"), required=False)

    def counted(self) -> list[str]:
        return [k.strip() for k in self.cleaned_data["counted_keys"].split(",") if k.strip()]


class InvitationForm(forms.Form):
    count = forms.IntegerField(label=_("number of links"), min_value=1, max_value=2000, initial=30)
    label = forms.CharField(label=_("label prefix"), required=False, max_length=80)
    format = forms.ChoiceField(
        label=_("format"),
        choices=(("pdf", _("A4 PDF of QR slips")), ("csv", _("CSV of links"))),
        widget=forms.RadioSelect, initial="pdf",
    )  # fmt: skip
