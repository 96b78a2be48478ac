from django import forms
from django.utils.translation import gettext_lazy as _

from sasaeai.core.broadcasts import AUDIENCES
from sasaeai.core.models import Area, AreaKind
from sasaeai.subscriptions.models import Language, Topic
from sasaeai.subscriptions.services import Choices


def area_choices(tenant_id: int) -> list[tuple[int, str]]:
    """The districts residents choose from (the finer areas of a notice match them too)."""
    areas = Area.objects.filter(tenant_id=tenant_id, kind=AreaKind.DISTRICT).order_by(
        "name_kana", "name"
    )
    return list(areas.values_list("pk", "name"))


class ChoicesForm(forms.Form):
    topics = forms.MultipleChoiceField(
        label=_("Topics"), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one topic.")},
    )  # fmt: skip
    areas = forms.TypedMultipleChoiceField(
        label=_("Areas (leave empty to hear about the whole city)"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    audiences = forms.MultipleChoiceField(
        label=_("Of interest to me (leave empty for everything)"), required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(AUDIENCES.items()),
    )  # fmt: skip
    language = forms.ChoiceField(
        label=_("Language of the mails"), choices=Language.choices, initial=Language.JA,
        widget=forms.RadioSelect,
    )  # fmt: skip

    def __init__(self, *args, tenant_id: int, topics: list[Topic], language: str = "ja", **kw):
        super().__init__(*args, **kw)
        self.fields["topics"].choices = [(t.key, t.label(language)) for t in topics]
        self.fields["areas"].choices = area_choices(tenant_id)
        if not self.fields["areas"].choices:
            del self.fields["areas"]

    def choices(self) -> Choices:
        data = self.cleaned_data
        return Choices(
            topic_keys=list(data["topics"]), area_ids=list(data.get("areas") or []),
            audience_keys=list(data["audiences"]), language=data["language"],
        )  # fmt: skip


class SubscribeForm(ChoicesForm):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    field_order = ["email", "topics", "areas", "audiences", "language"]


class TopicForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"), max_length=50,
        help_text=_("Letters, digits, - and _; used in indicator bindings. Cannot be changed later."),
    )  # fmt: skip
    name = forms.CharField(label=_("Name"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea
    )
    active = forms.BooleanField(label=_("Open to subscribers"), required=False, initial=True)
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=0)

    def __init__(self, *args, editing: bool = False, **kw):
        super().__init__(*args, **kw)
        if editing:
            self.fields["key"].disabled = True


class SearchForm(forms.Form):
    q = forms.CharField(label=_("E-mail address (at least 3 characters)"), max_length=254,
                        required=False)  # fmt: skip
