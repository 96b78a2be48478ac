from django.db.models import OuterRef, QuerySet, Subquery

from sasaeai.accounts import policy
from sasaeai.accounts.models import Invitation, Membership, User
from sasaeai.core.models import Area
from sasaeai.core.tenancy import tenant_context
from sasaeai.core.text import normalize_for_search


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.active().filter(user=user).select_related("tenant")


def membership_for(*, user_id: int, tenant_id: int) -> Membership | None:
    return (
        Membership.objects.active()
        .filter(user_id=user_id, tenant_id=tenant_id)
        .select_related("tenant", "user")
        .first()
    )


def district_area_ids(membership: Membership) -> frozenset[int]:
    """The membership's districts and every area beneath them (one query for the tree).

    Read in the membership's tenant: the actor is built before the request's tenant is set,
    and row-level security hides areas when no tenant is set.
    """
    with tenant_context(membership.tenant_id):
        roots = set(membership.areas.values_list("id", flat=True))
        if not roots:
            return frozenset()
        rows = list(
            Area.objects.filter(tenant_id=membership.tenant_id).values_list("id", "parent_id")
        )
    children: dict[int, list[int]] = {}
    for area_id, parent_id in rows:
        children.setdefault(parent_id, []).append(area_id)
    found, stack = set(), list(roots)
    while stack:
        area_id = stack.pop()
        if area_id not in found:
            found.add(area_id)
            stack.extend(children.get(area_id, []))
    return frozenset(found)


def members_visible_to(actor: policy.Actor, *, query: str = "", role: str = "") -> QuerySet:
    members = policy.scope(actor, "accounts.view_member", Membership.objects.all())
    if query:
        members = members.filter(search_text__contains=normalize_for_search(query))
    if role:
        members = members.filter(role=role)
    return with_invitation_state(
        members.select_related("user", "tenant")
        .prefetch_related("areas")
        .order_by("role", "user__username")
    )


def with_invitation_state(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    """Annotate each membership with its latest invitation (Membership.invitation_state)."""
    latest = Invitation.objects.filter(
        user_id=OuterRef("user_id"), tenant_id=OuterRef("tenant_id")
    ).order_by("-created_at", "-id")
    return memberships.annotate(
        invitation_expires_at=Subquery(latest.values("expires_at")[:1]),
        invitation_accepted_at=Subquery(latest.values("accepted_at")[:1]),
        invitation_revoked_at=Subquery(latest.values("revoked_at")[:1]),
    )
