from ninja import Router, Schema

from sasaeai.accounts import selectors

router = Router(tags=["accounts"])


class MembershipOut(Schema):
    tenant_id: int
    tenant_name: str
    role: str
    role_label: str
    current: bool


class MeOut(Schema):
    username: str
    display_name: str
    tenant_id: int | None
    role: str | None
    memberships: list[MembershipOut]


@router.get("/me", response=MeOut)
def me(request):
    actor = request.actor
    return MeOut(
        username=request.user.username,
        display_name=request.user.display_name,
        tenant_id=actor.tenant_id,
        role=actor.role.value if actor.role else None,
        memberships=[
            MembershipOut(
                tenant_id=m.tenant_id,
                tenant_name=m.tenant.name,
                role=m.role,
                role_label=str(m.get_role_display()),
                current=m.tenant_id == actor.tenant_id,
            )
            for m in selectors.memberships_of(request.user)
        ],
    )
