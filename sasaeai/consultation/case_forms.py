"""Forms of the case page, referrals, conferences and the agency side.

Forms only collect and shape input; the services decide what is allowed. Choice lists are
limited to the actor's tenant (and, for cases, to what the actor may manage) so that a
tampered POST cannot even name a row of another team or municipality.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sasaeai.accounts import policy
from sasaeai.consultation.models import (
    ActivityKind,
    Agency,
    CaseStatus,
    ConcernTag,
    ConferenceKind,
    Consent,
    HouseholdMember,
    Person,
    TeamRole,
    Urgency,
)
from sasaeai.consultation.rules import DESK_ROLES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TEXT = forms.Textarea(attrs={"rows": 4})
SHORT_TEXT = forms.Textarea(attrs={"rows": 2})


def desk_users(tenant_id: int):
    """Active desk staff of the tenant: who can be on a team, attend, or be given a task."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__tenant_id=tenant_id,
            memberships__is_active=True,
            memberships__role__in=[role.value for role in DESK_ROLES],
        )
        .distinct()
        .order_by("display_name_kana", "username")
    )


def tenant_users(tenant_id: int):
    """Every member of the tenant, for removing someone whose role has since changed."""
    return (
        get_user_model()
        .objects.filter(memberships__tenant_id=tenant_id)
        .distinct()
        .order_by("username")
    )


def active_agencies(tenant_id: int):
    return Agency.objects.filter(tenant_id=tenant_id, is_active=True)


def now_to_the_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class CaseForm(forms.Form):
    """A form about one case, built with the actor and the case it is shown for."""

    def __init__(self, *args, actor, case, **kwargs):
        # Several of these forms share the case page: give each its own element ids.
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)
        self.actor, self.case = actor, case
        self.setup()

    def setup(self):
        pass


# ---- the case list ------------------------------------------------------------------------


class CaseFilterForm(forms.Form):
    OPEN, ALL = "", "all"

    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[(OPEN, _("Open cases")), (ALL, _("All cases")), *CaseStatus.choices],
    )  # fmt: skip
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", _("Any urgency")), *Urgency.choices]
    )
    concern = forms.ChoiceField(label=_("Concern"), required=False)
    mine = forms.BooleanField(label=_("Only cases I am on"), required=False)

    def __init__(self, *args, tenant_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        tags = ConcernTag.objects.filter(tenant_id=tenant_id, is_active=True)
        self.fields["concern"].choices = [("", _("Any concern"))] + [(t.code, t.name) for t in tags]


# ---- the case itself -----------------------------------------------------------------------


class TransitionForm(CaseForm):
    """One form, one button per allowed status; closing needs the note."""

    to_status = forms.ChoiceField(label=_("New status"), choices=CaseStatus.choices)
    note = forms.CharField(label=_("Note (required to close)"), required=False, widget=SHORT_TEXT)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CaseEditForm(CaseForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    concerns = forms.MultipleChoiceField(
        label=_("Concerns"), required=False, widget=forms.CheckboxSelectMultiple
    )
    assessment = forms.CharField(
        label=pgettext_lazy("case", "Assessment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    is_outreach = forms.BooleanField(label=_("Outreach case"), required=False)
    in_programme_since = forms.DateField(
        label=_("In the multi-layered support programme since (support decision)"),
        required=False, widget=DATE,
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput)

    def setup(self):
        tags = ConcernTag.objects.filter(tenant_id=self.case.tenant_id)
        self.fields["concerns"].choices = [
            (t.code, t.name) for t in tags if t.is_active or t in self.case.concerns.all()
        ]

    @staticmethod
    def initial_for(case) -> dict:
        initial = {name: getattr(case, name) for name in
                   ("title", "urgency", "assessment", "is_outreach", "in_programme_since", "version")}  # fmt: skip
        initial["concerns"] = list(case.concerns.values_list("code", flat=True))
        return initial


class CasePersonForm(CaseForm):
    """Add a member of the households of the case's persons to the case (the son of an
    8050 household, found after the mother's case was opened)."""

    person = forms.ModelChoiceField(label=_("Household member to add"), queryset=None)

    def setup(self):
        on_case = self.case.person_links.values("person_id")
        households = HouseholdMember.objects.filter(person_id__in=on_case).values("household_id")
        relatives = Person.objects.filter(memberships__household_id__in=households)
        self.fields["person"].queryset = (
            policy.scope(self.actor, "consultation.view_person", relatives)
            .exclude(pk__in=on_case)
            .distinct()
            .order_by("name_kana", "pk")
        )


class AssignForm(CaseForm):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=None)
    role = forms.ChoiceField(label=_("As"), choices=TeamRole.choices, initial=TeamRole.MEMBER)

    def setup(self):
        self.fields["user"].queryset = desk_users(self.case.tenant_id)


class UnassignForm(CaseForm):
    user = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)

    def setup(self):
        self.fields["user"].queryset = tenant_users(self.case.tenant_id)


class ConfidentialForm(CaseForm):
    confidential = forms.BooleanField(label=_("Confidential case"), required=False)
    named = forms.ModelMultipleChoiceField(
        label=_("Who may see it (you are always included)"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def setup(self):
        self.fields["named"].queryset = desk_users(self.case.tenant_id)


class ActivityForm(CaseForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    occurred_at = forms.DateTimeField(label=_("When"), widget=DATETIME)
    minutes = forms.IntegerField(
        label=_("Time spent (minutes)"), min_value=0, max_value=1440, initial=0
    )
    summary = forms.CharField(label=_("Summary"), widget=TEXT)
    is_outreach = forms.BooleanField(label=_("Outreach"), required=False)

    def setup(self):
        self.fields["occurred_at"].initial = now_to_the_minute


class GoalRowForm(forms.Form):
    text = forms.CharField(label=_("Goal"), required=False, widget=SHORT_TEXT)
    is_achieved = forms.BooleanField(label=_("Achieved"), required=False)


GoalFormSet = forms.formset_factory(GoalRowForm, extra=3)


class ReviewForm(forms.Form):
    next_review_on = forms.DateField(label=_("Next review"), required=False, widget=DATE)


class TaskForm(CaseForm):
    title = forms.CharField(label=_("What"), max_length=300)
    assignee = forms.ModelChoiceField(label=_("Who (staff)"), queryset=None, required=False)
    assignee_agency = forms.ModelChoiceField(label=_("Who (agency)"), queryset=None, required=False)
    due_on = forms.DateField(label=_("By when"), widget=DATE)

    def setup(self):
        self.fields["assignee"].queryset = desk_users(self.case.tenant_id)
        self.fields["assignee_agency"].queryset = active_agencies(self.case.tenant_id)


# ---- referrals -----------------------------------------------------------------------------


def consent_label(consent: Consent) -> str:
    agency = consent.agency.name if consent.agency else _("the agencies named in the scope")
    return f"{consent.person.name}: {agency} ({consent.obtained_on:%Y-%m-%d}) {consent.scope[:40]}"


class ReferralForm(CaseForm):
    person = forms.ModelChoiceField(label=_("About whom"), queryset=None, required=False)
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=None)
    request = forms.CharField(label=_("What is asked"), widget=TEXT)
    shared_summary = forms.CharField(
        label=_("What is shared with the agency"), required=False, widget=TEXT,
        help_text=_("The agency sees only this text and, if shared, the person's name and contact."),
    )  # fmt: skip
    shares_personal_data = forms.BooleanField(
        label=_("Share the person's name and contact"), required=False, initial=True
    )
    consent = forms.ModelChoiceField(
        label=_("Consent relied on"), queryset=None, required=False,
        empty_label=_("The person's consent covering this agency"),
    )  # fmt: skip
    override_reason = forms.CharField(
        label=_("Reason to share without consent"), required=False, widget=SHORT_TEXT,
        help_text=_("Only when consent cannot be obtained and sharing protects the person; recorded in the audit log."),
    )  # fmt: skip

    def setup(self):
        self.fields["person"].queryset = Person.objects.filter(case_links__case=self.case)
        self.fields["agency"].queryset = active_agencies(self.case.tenant_id)
        consents = Consent.objects.filter(
            person__case_links__case=self.case, withdrawn_on__isnull=True
        ).select_related("person", "agency")
        self.fields["consent"].queryset = policy.scope(
            self.actor, "consultation.view_person", consents
        )
        self.fields["consent"].label_from_instance = consent_label
        if not policy.has_permission(self.actor, "consultation.override_consent"):
            # Sharing without consent is a supervisor's judgement: others are not offered it.
            del self.fields["override_reason"]


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


# ---- conferences ---------------------------------------------------------------------------


def case_label(case) -> str:
    """Shows which cases may go to a multi-layered support meeting."""
    if case.in_programme_since is None:
        return str(case)
    in_programme = _("in the programme")
    return f"{case} ({in_programme})"


class ConferenceForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of meeting"), choices=ConferenceKind.choices, widget=forms.RadioSelect
    )
    held_at = forms.DateTimeField(label=_("Held at"), widget=DATETIME)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    cases = forms.ModelMultipleChoiceField(
        label=_("Cases discussed"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    attendees = forms.ModelMultipleChoiceField(
        label=_("Members (staff)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    agencies = forms.ModelMultipleChoiceField(
        label=_("Agencies"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    external_members = forms.CharField(label=_("Other members"), required=False, widget=SHORT_TEXT)
    confidentiality_confirmed = forms.BooleanField(
        label=_("Every member confirmed the duty of confidentiality"), required=False
    )
    summary = forms.CharField(label=_("Summary"), required=False, widget=TEXT)
    decisions = forms.CharField(label=_("Decisions"), required=False, widget=TEXT)

    def __init__(self, *args, tenant_id: int, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_at"].initial = now_to_the_minute
        self.fields["cases"].queryset = cases
        self.fields["cases"].label_from_instance = case_label
        self.fields["attendees"].queryset = desk_users(tenant_id)
        self.fields["agencies"].queryset = active_agencies(tenant_id)


class ConferenceTaskForm(forms.Form):
    """One role assignment: on which case, what, who (staff or agency), by when. Blank rows
    are ignored; a row with anything in it needs the case, what and by when."""

    case = forms.ModelChoiceField(label=_("Case"), queryset=None, required=False)
    title = forms.CharField(label=_("What"), max_length=300, required=False)
    assignee = forms.ModelChoiceField(label=_("Who (staff)"), queryset=None, required=False)
    assignee_agency = forms.ModelChoiceField(label=_("Who (agency)"), queryset=None, required=False)
    due_on = forms.DateField(label=_("By when"), required=False, widget=DATE)

    def __init__(self, *args, tenant_id: int, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases
        self.fields["assignee"].queryset = desk_users(tenant_id)
        self.fields["assignee_agency"].queryset = active_agencies(tenant_id)

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in self.fields)

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in self.fields):
            return data
        for name in ("case", "title", "due_on"):
            if not data.get(name):
                self.add_error(
                    name, forms.ValidationError(_("Required in a filled row."), code="required")
                )
        if not data.get("assignee") and not data.get("assignee_agency"):
            self.add_error("assignee", forms.ValidationError(
                _("Name who does it: a staff member or an agency."), code="required"
            ))  # fmt: skip
        return data


ConferenceTaskFormSet = forms.formset_factory(ConferenceTaskForm, extra=5, max_num=5)


# ---- the agency side -----------------------------------------------------------------------


class RespondForm(forms.Form):
    move = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline")), ("complete", _("Complete"))],
        widget=forms.HiddenInput,
    )  # fmt: skip
    reason = forms.CharField(label=_("Reason for declining"), required=False, widget=SHORT_TEXT)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReportForm(forms.Form):
    body = forms.CharField(label=_("Report to the case team"), widget=TEXT)
