from django import forms
from django.utils.translation import gettext_lazy as _

from sasaeai.core import broadcasts


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}))
    easy_title = forms.CharField(label=_("Title in easy Japanese"), max_length=200, required=False)
    easy_body = forms.CharField(
        label=_("Text in easy Japanese"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    title_en = forms.CharField(label=_("Title in English"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("Text in English"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    topic_keys = forms.MultipleChoiceField(
        label=_("Topics"), required=False, widget=forms.CheckboxSelectMultiple
    )
    area_ids = forms.TypedMultipleChoiceField(
        label=_("Areas"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: the whole municipality."),
    )  # fmt: skip
    audience_keys = forms.MultipleChoiceField(
        label=_("Audiences"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(broadcasts.AUDIENCES.items()),
        help_text=_("None chosen: everyone."),
    )  # fmt: skip

    def __init__(self, *args, topics, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic_keys"].choices = topics
        self.fields["area_ids"].choices = [(a.pk, a.name) for a in areas]
        for name in ("title_en", "body_en"):
            self.fields[name].widget.attrs["lang"] = "en"


class PublishForm(forms.Form):
    site_only = forms.BooleanField(
        label=_("Publish on the website only (no e-mail)"), required=False
    )


class ReadingEntryForm(forms.Form):
    surface = forms.CharField(label=_("Written form"), max_length=50)
    reading = forms.CharField(label=_("Reading (hiragana)"), max_length=100)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class DictionaryImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: written form, reading, note (UTF-8 or Shift_JIS; a header row is skipped)."),
    )  # fmt: skip
