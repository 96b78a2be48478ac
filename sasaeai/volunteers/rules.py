"""Row rules of the volunteers app, registered into accounts.policy.

Staff with the permission see the tenant's rows. A volunteer sees their own helper record,
their own offers and reports, and the requests offered to them; a resident sees the requests
they made, nothing else.
"""

from django.db.models import Q

from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.volunteers.models import (
    ACTIVE_OFFER_STATUSES,
    ActivityReport,
    Availability,
    AvailabilityException,
    Helper,
    HelpRequest,
    Insurance,
    Offer,
    OfferStatus,
    RegistryMembership,
)

# What the helper's own pages may show of a request: offered, accepted, and finished ones.
HELPER_SEES = (*ACTIVE_OFFER_STATUSES,)


def _helper_rule(actor, permission, queryset):
    if actor.role == Role.VOLUNTEER:
        return queryset.filter(user_id=actor.user_id)
    if actor.role == Role.RESIDENT:
        return queryset.none()
    return queryset


def _helper_child_rule(actor, permission, queryset):
    if actor.role == Role.VOLUNTEER:
        return queryset.filter(helper__user_id=actor.user_id)
    if actor.role == Role.RESIDENT:
        return queryset.none()
    return queryset


def _request_rule(actor, permission, queryset):
    if actor.role == Role.RESIDENT:
        return queryset.filter(requester_user_id=actor.user_id)
    if actor.role == Role.VOLUNTEER:
        offered = Offer.objects.filter(
            tenant_id=actor.tenant_id, helper__user_id=actor.user_id, status__in=HELPER_SEES
        ).values("request_id")
        return queryset.filter(pk__in=offered)
    return queryset


def _offer_rule(actor, permission, queryset):
    if actor.role == Role.VOLUNTEER:
        return queryset.filter(helper__user_id=actor.user_id).exclude(status=OfferStatus.PROPOSED)
    if actor.role == Role.RESIDENT:
        return queryset.none()
    return queryset


def _report_rule(actor, permission, queryset):
    if actor.role == Role.VOLUNTEER:
        return queryset.filter(offer__helper__user_id=actor.user_id)
    if actor.role == Role.RESIDENT:
        return queryset.filter(Q(offer__request__requester_user_id=actor.user_id))
    return queryset


def register() -> None:
    policy.register_row_rule(Helper, _helper_rule)
    for model in (Availability, AvailabilityException, Insurance, RegistryMembership):
        policy.register_row_rule(model, _helper_child_rule)
    policy.register_row_rule(HelpRequest, _request_rule)
    policy.register_row_rule(Offer, _offer_rule)
    policy.register_row_rule(ActivityReport, _report_rule)
