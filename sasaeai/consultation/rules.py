"""Who sees which consultation rows: the policy's row rules for this module.

Registered into `accounts.policy` (`register_row_rule`), so every list, page, API and export
asks `policy.scope` as everywhere else; the rules themselves read:

- Desk roles (municipal and council staff, community social workers) see a case while they
  are on its current team or supervise someone who is. A confidential case (DV, abuse) is
  seen only by the users named on it, whatever their team or rank.
- What hangs off a case (activities, goals, tasks, referrals, consents…) follows the case.
- Consultations not yet taken in as a case are the desk's shared intake queue.
- An agency worker sees a referral to their agency, and the person it names if it shares
  personal data, only while the referral is open; tasks given to their agency likewise.
- Whoever passes a concern on (a welfare commissioner, an agency) sees that consultation,
  and the pages show them only that it was received.
- Persons not linked to any case yet are visible to the desk (they were just taken in), and
  the duplicate search (`search_person`) looks over every non-confidential person.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor, register_row_rule

DESK_ROLES = frozenset(
    {Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF, Role.COMMUNITY_SOCIAL_WORKER}
)


def visible_cases(actor: Actor) -> QuerySet:
    from sasaeai.consultation.models import Case, CaseAccessGrant, CaseAssignment, Supervision

    cases = Case.objects.filter(tenant_id=actor.tenant_id)
    if actor.role not in DESK_ROLES or actor.user_id is None:
        return cases.none()
    workers = Supervision.objects.filter(tenant_id=actor.tenant_id, supervisor_id=actor.user_id)
    # The team's user ids as a literal list (one tiny query): the (user, ended_at) index then
    # drives the lookup, where a correlated EXISTS or an OR of subqueries makes SQLite scan
    # every assignment of every tenant (12 s for one case page at prefecture size).
    team_users = [actor.user_id, *workers.values_list("worker_id", flat=True)]
    team = CaseAssignment.objects.filter(user_id__in=team_users, ended_at__isnull=True)
    named = CaseAccessGrant.objects.filter(user_id=actor.user_id)
    return cases.filter(
        Q(is_confidential=False, pk__in=team.values("case_id"))
        | Q(is_confidential=True, pk__in=named.values("case_id"))
    )


def _agency_ids(actor: Actor) -> QuerySet:
    from sasaeai.consultation.models import Agency

    return Agency.objects.filter(tenant_id=actor.tenant_id, members=actor.user_id).values("pk")


def _open_referrals(actor: Actor) -> QuerySet:
    from sasaeai.consultation.models import OPEN_REFERRAL_STATUSES, Referral

    return Referral.objects.filter(
        tenant_id=actor.tenant_id,
        agency_id__in=_agency_ids(actor),
        status__in=OPEN_REFERRAL_STATUSES,
    )


def case_rule(actor, permission, queryset):
    return queryset.filter(pk__in=visible_cases(actor).values("pk"))


def follows_case(actor, permission, queryset):
    return queryset.filter(case_id__in=visible_cases(actor).values("pk"))


def referral_rule(actor, permission, queryset):
    if actor.role == Role.AGENCY_WORKER:
        return queryset.filter(pk__in=_open_referrals(actor).values("pk"))
    return follows_case(actor, permission, queryset)


def referral_report_rule(actor, permission, queryset):
    from sasaeai.consultation.models import Referral

    referrals = referral_rule(actor, permission, Referral.objects.filter(tenant_id=actor.tenant_id))
    return queryset.filter(referral_id__in=referrals.values("pk"))


def task_rule(actor, permission, queryset):
    if actor.role == Role.AGENCY_WORKER:
        open_for_agency = _open_referrals(actor).filter(
            case_id=OuterRef("case_id"), agency_id=OuterRef("assignee_agency_id")
        )
        return queryset.filter(Exists(open_for_agency))
    return follows_case(actor, permission, queryset)


def person_rule(actor, permission, queryset):
    from sasaeai.consultation.models import CasePerson

    if actor.role == Role.AGENCY_WORKER:
        shared = _open_referrals(actor).filter(shares_personal_data=True)
        return queryset.filter(pk__in=shared.values("person_id"))
    if actor.role not in DESK_ROLES:
        return queryset.none()
    if permission == "consultation.search_person":
        return queryset.filter(is_confidential=False)
    # Non-correlated: computed once, not once per person (SQLite re-runs a list subquery
    # nested in a correlated one for every outer row).
    on_case = CasePerson.objects.filter(case_id__in=visible_cases(actor).values("pk"))
    on_visible_case = Q(pk__in=on_case.values("person_id"))
    not_on_a_case = ~Exists(CasePerson.objects.filter(person=OuterRef("pk"))) & Q(
        is_confidential=False
    )
    return queryset.filter(on_visible_case | not_on_a_case)


def follows_person(actor, permission, queryset):
    from sasaeai.consultation.models import Person

    persons = person_rule(actor, permission, Person.objects.filter(tenant_id=actor.tenant_id))
    return queryset.filter(person_id__in=persons.values("pk"))


def household_rule(actor, permission, queryset):
    from sasaeai.consultation.models import Case

    if actor.role not in DESK_ROLES:
        return queryset.none()
    cases = Case.objects.filter(household=OuterRef("pk"))
    return queryset.filter(
        Exists(cases.filter(pk__in=visible_cases(actor).values("pk"))) | ~Exists(cases)
    )


def household_member_rule(actor, permission, queryset):
    from sasaeai.consultation.models import Household

    households = household_rule(
        actor, permission, Household.objects.filter(tenant_id=actor.tenant_id)
    )
    return queryset.filter(household_id__in=households.values("pk"))


def consultation_rule(actor, permission, queryset):
    if actor.role not in DESK_ROLES:
        return queryset.filter(received_by_id=actor.user_id)
    intake_queue = Q(case__isnull=True, is_confidential=False)
    # A confidential intake stays with whoever recorded it until it is taken in as a case.
    own_confidential = Q(case__isnull=True, is_confidential=True, received_by_id=actor.user_id)
    return queryset.filter(
        intake_queue | own_confidential | Q(case_id__in=visible_cases(actor).values("pk"))
    )


def conference_rule(actor, permission, queryset):
    from sasaeai.consultation.models import Conference

    if actor.role not in DESK_ROLES:
        return queryset.none()
    discussed = Conference.cases.through.objects.filter(
        conference_id=OuterRef("pk"), case_id__in=visible_cases(actor).values("pk")
    )
    return queryset.filter(Exists(discussed) | Q(recorded_by_id=actor.user_id))


def register_rules() -> None:
    from sasaeai.consultation import models as m

    register_row_rule(m.Case, case_rule)
    for model in (m.Activity, m.Goal, m.CaseAssignment, m.CaseStatusChange, m.CasePerson,
                  m.CaseAccessGrant):  # fmt: skip
        register_row_rule(model, follows_case)
    register_row_rule(m.Referral, referral_rule)
    register_row_rule(m.ReferralReport, referral_report_rule)
    register_row_rule(m.Task, task_rule)
    register_row_rule(m.Person, person_rule)
    register_row_rule(m.Consent, follows_person)
    register_row_rule(m.Household, household_rule)
    register_row_rule(m.HouseholdMember, household_member_rule)
    register_row_rule(m.Consultation, consultation_rule)
    register_row_rule(m.Conference, conference_rule)
