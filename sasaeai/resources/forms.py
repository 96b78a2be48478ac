from django import forms
from django.utils.translation import gettext_lazy as _

from sasaeai.resources.models import Audience, MapSettings, ProposalKind, ServiceStatus

WEEKDAYS = [
    ("", _("any day")),
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]


class PlaceSearchForm(forms.Form):
    """The resident's search: one box and optional filters, all in the URL (GET)."""

    q = forms.CharField(label=_("What are you looking for?"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False)
    area = forms.TypedChoiceField(label=_("Area"), required=False, coerce=int, empty_value=None)
    audience = forms.ChoiceField(
        label=_("For"), required=False, choices=[("", _("anyone"))] + Audience.choices
    )
    weekday = forms.TypedChoiceField(
        label=_("Day"), required=False, choices=WEEKDAYS, coerce=int, empty_value=None
    )
    free = forms.BooleanField(label=_("Free of charge"), required=False)
    step_free = forms.BooleanField(label=_("Step-free access"), required=False)
    toilet = forms.BooleanField(label=_("Accessible toilet"), required=False)
    open_now = forms.BooleanField(label=_("Open now"), required=False)
    near = forms.CharField(
        label=_("Near an address or postal code"), required=False, max_length=200
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=20, max_value=46)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=122, max_value=154)

    def __init__(self, *args, categories=(), areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("all categories"))] + [
            (c.code, c.name) for c in categories
        ]
        self.fields["area"].choices = [("", _("the whole city"))] + [(a.pk, a.name) for a in areas]


class ServiceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    alternate_name = forms.CharField(label=_("Name (kana)"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    audiences = forms.MultipleChoiceField(
        label=_("For"), choices=Audience.choices, widget=forms.CheckboxSelectMultiple,
        initial=["everyone"],
    )  # fmt: skip
    schedule_text = forms.CharField(
        label=_("Opening hours"),
        required=False,
        help_text=_("As residents would read it, e.g. 毎月第2・第4水曜日 10:00〜12:00"),
    )
    is_free = forms.BooleanField(label=_("Free of charge"), required=False)
    fees_description = forms.CharField(label=_("Cost"), required=False)
    phone = forms.CharField(label=_("Telephone"), max_length=30, required=False)
    url = forms.URLField(label=_("Web page"), required=False, assume_scheme="https")
    email = forms.EmailField(label=_("Email"), required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=8, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False)
    longitude = forms.FloatField(label=_("Longitude"), required=False)
    transportation = forms.CharField(
        label=_("How to get there"), widget=forms.Textarea, required=False
    )
    accessibility = forms.CharField(label=_("Accessibility"), required=False)
    step_free = forms.BooleanField(label=_("Step-free access"), required=False)
    accessible_toilet = forms.BooleanField(label=_("Accessible toilet"), required=False)
    parking = forms.BooleanField(label=_("Parking"), required=False)
    languages = forms.CharField(label=_("Languages"), required=False, initial="日本語")
    eligibility_description = forms.CharField(label=_("Who may use it"), required=False)
    application_process = forms.CharField(label=_("How to use it"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=ServiceStatus.choices)
    is_published = forms.BooleanField(label=_("Published"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = categories


class ProposalForm(forms.Form):
    place_name = forms.CharField(label=_("Name of the place"), max_length=200, required=False)
    body = forms.CharField(
        label=_("What should be added or corrected?"), widget=forms.Textarea, max_length=4000
    )
    proposer_name = forms.CharField(label=_("Your name or group"), max_length=100, required=False)
    proposer_contact = forms.CharField(
        label=_("How we can reach you (optional)"), max_length=200, required=False
    )
    kind = forms.ChoiceField(choices=ProposalKind.choices, widget=forms.HiddenInput)


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea, required=False)


class MapSettingsForm(forms.ModelForm):
    class Meta:
        model = MapSettings
        fields = ["tile_source", "tile_url", "attribution", "max_zoom", "center_lat",
                  "center_lon", "zoom"]  # fmt: skip
