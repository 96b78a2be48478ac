"""The one policy: may this actor do this action to this object, and which rows may they list.

Every view, API endpoint and admin page asks here. Decisions have three layers:
1. the role's permissions (`PERMISSIONS`, which modules extend with `register_permissions`);
2. the tenant: objects of another tenant do not exist for the actor (404, never 403);
3. the rows: a model may register a row rule (`register_row_rule`: a consultation case is
   seen by its team); otherwise roles in AREA_LIMITED_ROLES see only rows whose model names
   a path to an Area (`policy_area_field`) inside their districts (or their sub-areas), and
   no rows of models without one.
`scope()` applies the same rules as SQL filters, so lists, counts and pages never fetch what
they may not show.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from sasaeai.accounts.models import AREA_LIMITED_ROLES, TWO_FACTOR_ROLES, Role

ALL_ROLES = frozenset(Role)
STAFF = frozenset(
    {
        Role.SYSTEM_ADMIN,
        Role.MUNICIPAL_STAFF,
        Role.WELFARE_COUNCIL_STAFF,
        Role.COMMUNITY_SOCIAL_WORKER,
        Role.VOLUNTEER_COORDINATOR,
    }
)

PERMISSIONS: dict[str, frozenset[Role]] = {
    "core.view_area": STAFF | {Role.WELFARE_COMMISSIONER},
    "core.manage_area": frozenset({Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF}),
    "accounts.view_member": frozenset({Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF}),
    "accounts.manage_member": frozenset({Role.SYSTEM_ADMIN}),
    "audit.view_log": frozenset({Role.SYSTEM_ADMIN}),
    "audit.export_log": frozenset({Role.SYSTEM_ADMIN}),
    "admin.access": frozenset({Role.SYSTEM_ADMIN}),
}


def register_permissions(mapping: dict[str, Iterable[Role]]) -> None:
    """Modules declare their permissions from AppConfig.ready(); names are `<app>.<action>`."""
    for name, roles in mapping.items():
        if name in PERMISSIONS and PERMISSIONS[name] != frozenset(roles):
            raise ValueError(f"Permission {name} is already declared differently")
        PERMISSIONS[name] = frozenset(roles)


@dataclass(frozen=True)
class Actor:
    """Who is acting, in which tenant, as what. Built once per request by ActorMiddleware."""

    user_id: int | None
    username: str
    tenant_id: int | None
    membership_id: int | None
    role: Role | None
    area_ids: frozenset[int] = field(default_factory=frozenset)
    otp_verified: bool = False
    ip_address: str | None = None
    # The API token acting (sasaeai.tokens), recorded in every audit entry it causes.
    token_id: int | None = None

    @property
    def is_member(self) -> bool:
        return self.tenant_id is not None and self.role is not None

    @property
    def needs_two_factor(self) -> bool:
        return self.role in TWO_FACTOR_ROLES and not self.otp_verified

    @property
    def is_area_limited(self) -> bool:
        return self.role in AREA_LIMITED_ROLES


ANONYMOUS = Actor(user_id=None, username="", tenant_id=None, membership_id=None, role=None)


def has_permission(actor: Actor, permission: str) -> bool:
    if not actor.is_member or actor.needs_two_factor:
        return False
    return actor.role in PERMISSIONS.get(permission, frozenset())


# Row rules that modules register for models whose visibility depends on more than the tenant
# and districts (a case is seen by its team). `scope` applies them after the tenant filter.
ROW_RULES: dict[type[Model], Callable] = {}


def register_row_rule(model: type[Model], rule) -> None:
    """`rule(actor, permission, queryset)` narrows a tenant's rows to what the actor may see."""
    ROW_RULES[model] = rule


def _has_field(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def scope(actor: Actor, permission: str, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` the actor may see under `permission`, filtered in SQL."""
    if not has_permission(actor, permission):
        return queryset.none()
    model = queryset.model
    if _has_field(model, "tenant"):
        queryset = queryset.filter(tenant_id=actor.tenant_id)
    rule = ROW_RULES.get(model)
    if rule is not None:
        return rule(actor, permission, queryset)
    if actor.is_area_limited:
        area_field = getattr(model, "policy_area_field", None)
        if area_field is None:
            return queryset.none()
        queryset = queryset.filter(**{f"{area_field}__in": actor.area_ids})
    return queryset


def public_scope(tenant_id: int, queryset: QuerySet) -> QuerySet:
    """Rows anyone may read without signing in: one tenant's rows that the model marks public.

    A model opts in with `policy_public_field`, the path to a boolean that staff set after
    review (resources publish their directory this way). Models without it show nothing.
    """
    public_field = getattr(queryset.model, "policy_public_field", None)
    if public_field is None:
        return queryset.none()
    return queryset.filter(tenant_id=tenant_id, **{public_field: True})


def can(actor: Actor, permission: str, obj: Model | None = None) -> bool:
    if not has_permission(actor, permission):
        return False
    if obj is None:
        return True
    return scope(actor, permission, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def is_visible(actor: Actor, obj: Model) -> bool:
    """Whether the object exists for the actor at all: same tenant, inside their districts."""
    tenant_id = getattr(obj, "tenant_id", None)
    return tenant_id is None or tenant_id == actor.tenant_id


def require(actor: Actor, permission: str, obj: Model | None = None) -> None:
    """Raise 404 for what the actor may not know exists, 403 for what they may not do."""
    if obj is not None and not is_visible(actor, obj):
        raise Http404
    if not can(actor, permission, obj):
        # A row the actor may not see does not exist for them: not even its number leaks.
        if obj is not None and (actor.is_area_limited or type(obj) in ROW_RULES):
            raise Http404
        raise PermissionDenied
