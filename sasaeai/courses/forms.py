from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.courses.models import Course, CourseKind, SessionStatus


class CourseForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=CourseKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    key = forms.SlugField(
        label=_("key"), max_length=60,
        help_text=_("Letters, digits, - and _: the course's name in indicator bindings."),
    )  # fmt: skip
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)
    organiser = forms.CharField(label=_("organiser"), max_length=200, required=False)
    audience = forms.CharField(label=_("audience"), max_length=200, required=False)
    completes_on_attendance = forms.BooleanField(
        label=_("attending completes the course"), required=False, initial=True
    )
    cumulative = forms.BooleanField(label=_("counted cumulatively"), required=False)
    cumulative_base = forms.IntegerField(
        label=_("count before this system"), min_value=0, required=False
    )
    cumulative_base_year = forms.IntegerField(
        label=_("fiscal year the earlier count runs to"), min_value=1900, max_value=2200,
        required=False,
    )  # fmt: skip
    questionnaire_url = forms.URLField(
        label=_("questionnaire link"), required=False, assume_scheme="https"
    )
    contact_user_id = forms.TypedChoiceField(
        label=_("staff in charge"), coerce=int, required=False, empty_value=None,
        help_text=_("Told of each new registration."),
    )  # fmt: skip

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_user_id"].choices = [("", "—")] + list(staff)

    @classmethod
    def for_course(cls, course: Course, data=None, staff=()):
        initial = {
            name: getattr(course, name)
            for name in ("kind", "title", "key", "description", "organiser", "audience",
                         "completes_on_attendance", "cumulative", "cumulative_base",
                         "cumulative_base_year", "questionnaire_url", "contact_user_id")
        }  # fmt: skip
        return cls(data, initial=initial, staff=staff)

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["cumulative_base"] = data.get("cumulative_base") or 0
        data["description"] = data.get("description") or ""
        return data


class SessionForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    area_id = forms.TypedChoiceField(label=_("area"), coerce=int, required=False, empty_value=None)
    capacity = forms.IntegerField(
        label=_("capacity"), min_value=0, required=False,
        help_text=_("Leave empty for a session without registration (counted by head count)."),
    )  # fmt: skip
    status = forms.ChoiceField(label=_("status"), choices=SessionStatus.choices)
    requesting_group = forms.CharField(label=_("requesting group"), max_length=200, required=False)
    note = forms.CharField(label=_("note"), widget=forms.Textarea, required=False)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area_id"].choices = [("", "—")] + [(a.pk, a.name) for a in areas]

    @classmethod
    def for_session(cls, session, data=None, areas=()):
        initial = {
            "starts_at": timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": timezone.localtime(session.ends_at).strftime("%Y-%m-%dT%H:%M"),
            "place": session.place, "area_id": session.area_id, "capacity": session.capacity,
            "status": session.status, "requesting_group": session.requesting_group,
            "note": session.note,
        }  # fmt: skip
        return cls(data, initial=initial, areas=areas)


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("full name"), max_length=100)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("e-mail address"), required=False)


class HeadCountForm(forms.Form):
    head_count = forms.IntegerField(label=_("head count"), min_value=0, max_value=1_000_000)


class StatisticsForm(forms.Form):
    fiscal_year = forms.IntegerField(label=_("fiscal year"), min_value=1990, max_value=2200)


class OutreachRequestForm(forms.Form):
    group_name = forms.CharField(label=_("requesting group"), max_length=200)
    contact_name = forms.CharField(label=_("contact person"), max_length=100)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("e-mail address"), required=False)
    wanted_date = forms.DateField(
        label=_("date wanted"), widget=forms.DateInput(attrs={"type": "date"})
    )
    topic = forms.CharField(label=_("topic"), max_length=300)
    expected_participants = forms.IntegerField(
        label=_("expected participants"), min_value=1, max_value=100_000, required=False
    )
    course = forms.TypedChoiceField(label=_("course"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].choices = [("", "—")] + [(c.pk, c.title) for c in courses]


class OutreachDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("decision"), coerce=lambda v: v == "1",
        choices=[("1", _("accept")), ("0", _("decline"))],
    )  # fmt: skip
    course = forms.TypedChoiceField(label=_("course"), coerce=int, required=False, empty_value=None)
    starts_at = forms.DateTimeField(
        label=_("starts at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )  # fmt: skip
    ends_at = forms.DateTimeField(
        label=_("ends at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )  # fmt: skip
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    note = forms.CharField(label=_("note"), widget=forms.Textarea, required=False)

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].choices = [("", "—")] + [(c.pk, c.title) for c in courses]
