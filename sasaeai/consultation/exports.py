"""The disclosure export (開示請求): everything recorded about one person, as an Excel workbook.

A person may ask what the municipality holds about them (個人情報保護法 第76条). A supervisor
exports it; before it is handed over they review it for what may be withheld (第78条:
information about third parties, such as who reported a concern), which is why the export
includes it rather than deciding alone. Every export is audited with the person as subject.

What is included: the person; the households they belong to (household name, address and
their own relationship: not the other members); consultations about them, and those of their
cases that name no one; their cases, with status history, plan goals and support record;
referrals about them (or of their cases naming no one) with the agencies' reports; their
consents; the conferences where their cases were discussed; the tasks of their cases.
Staff appear by display name.

The export follows the same row rules as the pages (`policy.scope`, rules.py): a supervisor
exports the person only if they may open the person's page, and only the cases they may open,
with what hangs off them. A confidential case they are not named on, or another team's case,
is left out whole; the cover sheet and the confirmation page say how many records were
withheld (never what), so that a colleague named on those cases completes the disclosure.
"""

import datetime
import io

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sasaeai.accounts import policy
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.consultation.models import (
    Activity,
    Case,
    CaseStatus,
    CaseStatusChange,
    Conference,
    Consent,
    Consultation,
    Goal,
    HouseholdMember,
    Person,
    PersonFlag,
    Referral,
    ReferralReport,
    Task,
)
from sasaeai.core.models import Tenant

PERMISSION = "consultation.export_disclosure"


def disclosure_person(actor: Actor, pk: int) -> Person:
    """The person to export, 404 unless the actor may export them."""
    person = get_object_or_404(Person.objects.filter(tenant_id=actor.tenant_id), pk=pk)
    policy.require(actor, PERMISSION, person)
    return person


def _staff(user) -> str:
    if user is None:
        return ""
    return user.display_name or user.username


def _when(value: datetime.datetime | None):
    """Excel cannot hold time zones: local wall-clock time, as the office reads it."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def excel_value(value):
    """Translated labels are lazy strings, which openpyxl does not take."""
    return str(value) if isinstance(value, Promise) else value


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


# Which permission each part is read under: the same row rules as the pages that show it.
VIEW_CASE, VIEW_PERSON = "consultation.view_case", "consultation.view_person"
PART_PERMISSIONS = {
    "households": VIEW_PERSON,
    "consultations": "consultation.record_consultation",
    "cases": VIEW_CASE,
    "status_changes": VIEW_CASE,
    "goals": VIEW_CASE,
    "activities": VIEW_CASE,
    "referrals": "consultation.view_referral",
    "reports": "consultation.view_referral",
    "consents": VIEW_PERSON,
    "conferences": VIEW_CASE,
    "tasks": "consultation.view_task",
}


def _parts(person: Person, case_ids: list[int]) -> dict[str, QuerySet]:
    """Every part of the record about `person`, with `case_ids` as their cases (unscoped)."""
    of_cases = Q(case_id__in=case_ids)
    referrals = Referral.objects.filter(Q(person=person) | (of_cases & Q(person__isnull=True)))
    return {
        "households": HouseholdMember.objects.filter(person=person),
        "consultations": Consultation.objects.filter(
            Q(person=person) | (of_cases & Q(person__isnull=True))
        ),
        "cases": Case.objects.filter(pk__in=case_ids),
        "status_changes": CaseStatusChange.objects.filter(of_cases),
        "goals": Goal.objects.filter(of_cases),
        "activities": Activity.objects.filter(of_cases),
        "referrals": referrals,
        "reports": ReferralReport.objects.filter(referral__in=referrals),
        "consents": Consent.objects.filter(person=person),
        "conferences": Conference.objects.filter(cases__in=case_ids).distinct(),
        "tasks": Task.objects.filter(of_cases),
    }


def _count(parts: dict[str, QuerySet]) -> int:
    return sum(queryset.count() for queryset in parts.values())


class Records:
    """What the export holds about one person, gathered once for the workbook and the page.

    Only what the actor may see under the row rules, part by part, as on the pages: a case
    the actor cannot open (a confidential case they are not named on, another team's case)
    is left out with everything hanging off it. `withheld` counts what was left out, so the
    cover sheet can say that someone else must complete the export, without saying what.
    """

    def __init__(self, actor: Actor, person: Person):
        self.person = person
        all_cases = Case.objects.filter(tenant_id=person.tenant_id, person_links__person=person)
        all_case_ids = list(all_cases.values_list("pk", flat=True).distinct())
        case_ids = list(
            policy.scope(actor, VIEW_CASE, all_cases).values_list("pk", flat=True).distinct()
        )
        parts = {
            key: policy.scope(actor, PART_PERMISSIONS[key], queryset)
            for key, queryset in _parts(person, case_ids).items()
        }
        self.withheld_cases = len(set(all_case_ids) - set(case_ids))
        self.withheld = _count(_parts(person, all_case_ids)) - _count(parts)
        self.cases = list(parts["cases"].prefetch_related("concerns").order_by("opened_on", "pk"))
        self.households = parts["households"].select_related("household__area")
        self.consultations = (
            parts["consultations"]
            .select_related("received_by", "area", "referred_by_agency")
            .prefetch_related("concerns")
            .order_by("received_at", "pk")
        )
        self.status_changes = parts["status_changes"].select_related("changed_by")
        self.goals = parts["goals"].order_by("case_id", "order", "pk")
        self.activities = parts["activities"].select_related("author").order_by("occurred_at", "pk")
        self.referrals = (
            parts["referrals"]
            .select_related("agency", "sent_by", "override_by")
            .order_by("sent_at", "pk")
        )
        self.reports = parts["reports"].select_related("referral__agency", "author")
        self.consents = parts["consents"].select_related("agency", "recorded_by")
        self.conferences = (
            parts["conferences"]
            .prefetch_related("cases", "agencies", "attendees").select_related("recorded_by")
            .order_by("held_at", "pk")
        )  # fmt: skip
        self.tasks = parts["tasks"].select_related("assignee", "assignee_agency", "done_by")

    def counts(self) -> list[tuple[str, str, int]]:
        """(key, label, count) of each part, for the confirmation page and the audit entry."""
        return [
            ("households", _("Households"), self.households.count()),
            ("consultations", _("Consultations"), self.consultations.count()),
            ("cases", _("Cases"), len(self.cases)),
            ("activities", _("Support record entries"), self.activities.count()),
            ("referrals", _("Referrals"), self.referrals.count()),
            ("consents", _("Consents"), self.consents.count()),
            ("conferences", _("Case conferences"), self.conferences.count()),
            ("tasks", _("Tasks"), self.tasks.count()),
        ]


def _person_rows(person: Person) -> list[list]:
    flags = dict(PersonFlag.choices)
    return [
        [_("Name"), person.name],
        [_("Name (kana)"), person.name_kana],
        [_("Date of birth"), person.birth_date],
        [_("Sex"), person.get_sex_display()],
        [_("Postal code"), person.postal_code],
        [_("Address"), person.address],
        [_("District"), person.area.name if person.area else ""],
        [_("Telephone"), person.phone],
        [_("Email"), person.email],
        [_("Language"), person.language],
        [_("Flags"), ", ".join(str(flags.get(f, f)) for f in person.flags)],
        [_("Note"), person.note],
        [_("Confidential"), _yes(person.is_confidential)],
        [_("Recorded on"), _when(person.created_at)],
        [_("Last changed"), _when(person.updated_at)],
    ]


def _sheets(records: Records) -> list[tuple[str, list[str], list[list]]]:
    """(sheet title, headers, rows) for every part of the export."""
    statuses = dict(CaseStatus.choices)
    return [
        (_("Person"), [_("Item"), _("Recorded")], _person_rows(records.person)),
        (_("Households"), [_("Household"), _("Address"), _("District"), _("Relationship"), _("Lives together")], [
            [h.household.name, h.household.address, h.household.area.name if h.household.area else "",
             h.get_relationship_display(), _yes(h.lives_together)]
            for h in records.households
        ]),
        (_("Consultations"), [_("Received at"), _("Channel"), _("What was said"), _("Caller"), _("Caller's relation"),
                              _("How to reach them"), _("Whom is the call about?"), _("Their name"),
                              _("Their address"), _("Their telephone"), _("Concerns"), _("District"),
                              _("Passed on by"), _("Status"), _("Case"), _("Received by"), _("Confidential")], [
            [_when(c.received_at), c.get_channel_display(), c.description, c.caller_name, c.caller_relation,
             c.contact, c.get_about_display(), " ".join(filter(None, [c.subject_name, c.subject_name_kana])),
             c.subject_address, c.subject_phone, ", ".join(t.name for t in c.concerns.all()), c.area.name if c.area else "",
             c.referred_by_agency.name if c.referred_by_agency else "", c.get_status_display(),
             f"#{c.case_id}" if c.case_id else "", _staff(c.received_by), _yes(c.is_confidential)]
            for c in records.consultations
        ]),
        (_("Cases"), [_("Case"), _("Title"), _("Status"), _("Urgency"), _("Concerns"), _("Opened on"),
                      _("Closed on"), _("Reason for closing"), pgettext("case", "Assessment"), _("Next review"),
                      _("Outreach case"), _("Confidential")], [
            [f"#{c.pk}", c.title, c.get_status_display(), c.get_urgency_display(),
             ", ".join(t.name for t in c.concerns.all()), c.opened_on, c.closed_on, c.close_reason,
             c.assessment, c.next_review_on, _yes(c.is_outreach), _yes(c.is_confidential)]
            for c in records.cases
        ]),
        (_("Status history"), [_("Case"), _("When"), _("From"), _("To"), _("By"), _("Note")], [
            [f"#{s.case_id}", _when(s.changed_at), statuses.get(s.from_status, ""), statuses.get(s.to_status, ""),
             _staff(s.changed_by), s.note]
            for s in records.status_changes
        ]),
        (_("Support plan goals"), [_("Case"), _("Goal"), _("Achieved")], [
            [f"#{g.case_id}", g.text, _yes(g.is_achieved)] for g in records.goals
        ]),
        (_("Support record"), [_("Case"), _("When"), _("Kind"), _("Minutes"), _("Summary"), _("Outreach"), _("By")], [
            [f"#{a.case_id}", _when(a.occurred_at), a.get_kind_display(), a.minutes, a.summary,
             _yes(a.is_outreach), _staff(a.author)]
            for a in records.activities
        ]),
        (_("Referrals"), [_("Case"), _("Agency"), _("Sent at"), _("What is asked"), _("What is shared"),
                          _("Shares name and contact"), _("Reason for sharing without consent"), _("Status"),
                          _("Reason for declining"), _("Sent by")], [
            [f"#{r.case_id}", r.agency.name, _when(r.sent_at), r.request, r.shared_summary,
             _yes(r.shares_personal_data), r.override_reason, r.get_status_display(), r.decline_reason,
             _staff(r.sent_by)]
            for r in records.referrals
        ]),
        (_("Agency reports"), [_("Case"), _("Agency"), _("Reported at"), _("Report"), _("By")], [
            [f"#{r.referral.case_id}", r.referral.agency.name, _when(r.reported_at), r.body, _staff(r.author)]
            for r in records.reports
        ]),
        (_("Consents"), [_("Obtained on"), _("How obtained"), _("Agency"), _("What may be shared"),
                         _("Covers support meetings"), _("Withdrawn on"), _("Recorded by")], [
            [c.obtained_on, c.get_method_display(), c.agency.name if c.agency else "", c.scope,
             _yes(c.covers_conferences), c.withdrawn_on, _staff(c.recorded_by)]
            for c in records.consents
        ]),
        (_("Case conferences"), [_("Held at"), _("Kind"), _("Place"), _("Cases discussed"), _("Members"),
                                 _("Agencies"), _("Other members"), _("Summary"), _("Decisions")], [
            [_when(c.held_at), c.get_kind_display(), c.place,
             ", ".join(f"#{case.pk}" for case in c.cases.all() if case.pk in {x.pk for x in records.cases}),
             ", ".join(_staff(u) for u in c.attendees.all()), ", ".join(a.name for a in c.agencies.all()),
             c.external_members, c.summary, c.decisions]
            for c in records.conferences
        ]),
        (_("Tasks"), [_("Case"), _("What"), _("Who"), _("By when"), _("Status"), _("Done at"), _("Done by")], [
            [f"#{t.case_id}", t.title, _staff(t.assignee) or (t.assignee_agency.name if t.assignee_agency else ""),
             t.due_on, t.get_status_display(), _when(t.done_at), _staff(t.done_by)]
            for t in records.tasks
        ]),
    ]  # fmt: skip


def _cover_rows(actor: Actor, records: Records) -> list[list]:
    person = records.person
    tenant = Tenant.objects.get(pk=person.tenant_id)
    rows = [
        [_("Disclosure export of personal information")],
        [],
        [_("Municipality"), tenant.name],
        [_("Person"), person.name],
        [_("Exported at"), _when(timezone.now())],
        [_("Exported by"), actor.username],
        [],
        [_("Before handing this over, check it for information about other people (callers, "
           "family members, other cases discussed at the same meeting) that may be withheld.")],
    ]  # fmt: skip
    if records.withheld:
        rows += [
            [],
            [_("Cases withheld"), records.withheld_cases],
            [_("Records withheld"), records.withheld],
            [_("Some records about this person are not in this export because you may not see "
               "them (a confidential case, or another team's case). Ask a colleague who is named "
               "on those cases to complete the disclosure.")],
        ]  # fmt: skip
    return rows


def disclosure_workbook(actor: Actor, person: Person) -> bytes:
    """The workbook; checks the permission again and audits the export against the person."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from sasaeai.consultation.statistics import sheet_title
    from sasaeai.core.spreadsheet import protect_workbook

    policy.require(actor, PERMISSION, person)
    records = Records(actor, person)
    book = Workbook()
    cover = book.active
    used: set[str] = set()
    cover.title = sheet_title(_("About this export"), used)
    for row in _cover_rows(actor, records):
        cover.append(row)
    cover["A1"].font = Font(bold=True, size=12)
    cover.column_dimensions["A"].width = 24
    cover.column_dimensions["B"].width = 40
    for title, headers, rows in _sheets(records):
        sheet = book.create_sheet(sheet_title(title, used))
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([excel_value(value) for value in row])
        sheet.freeze_panes = "A2"
        for index in range(1, len(headers) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 20
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    protect_workbook(book)
    buffer = io.BytesIO()
    book.save(buffer)
    audit_object(actor, Action.EXPORT, person, detail={
        "disclosure": True, "cases": [c.pk for c in records.cases],
        "counts": {key: n for key, _label, n in records.counts()}, "withheld": records.withheld,
    })  # fmt: skip
    return buffer.getvalue()
