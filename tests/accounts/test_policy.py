import pytest

from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.core.models import Area


def actor_for(world, role):
    m = world.members[role]
    from sasaeai.accounts.selectors import district_area_ids

    return policy.Actor(
        user_id=m.user_id, username=m.user.username, tenant_id=m.tenant_id, membership_id=m.pk,
        role=Role(m.role), area_ids=district_area_ids(m), otp_verified=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.SYSTEM_ADMIN, True),
        (Role.MUNICIPAL_STAFF, True),
        (Role.WELFARE_COUNCIL_STAFF, False),
        (Role.PLAN_COMMITTEE_MEMBER, False),
        (Role.RESIDENT, False),
    ],
)
def test_only_municipal_roles_manage_areas(world, role, allowed):
    assert policy.has_permission(actor_for(world, role), "core.manage_area") is allowed


def test_unverified_staff_has_no_permission_at_all(world):
    actor = actor_for(world, Role.SYSTEM_ADMIN)
    unverified = policy.Actor(**{**actor.__dict__, "otp_verified": False})
    assert not policy.has_permission(unverified, "core.view_area")


def test_scope_filters_in_sql_by_tenant_and_district(world):
    staff = policy.scope(
        actor_for(world, Role.MUNICIPAL_STAFF), "core.view_area", Area.objects.all()
    )
    assert "tenant_id" in str(staff.query)
    assert set(staff.values_list("name", flat=True)) == {"桶川地区", "桶川第1区", "加納地区"}
    commissioner = policy.scope(
        actor_for(world, Role.WELFARE_COMMISSIONER), "core.view_area", Area.objects.all()
    )
    assert set(commissioner.values_list("name", flat=True)) == {"桶川地区", "桶川第1区"}


def test_require_hides_other_tenants_objects_as_404(world):
    from django.http import Http404

    with pytest.raises(Http404):
        policy.require(actor_for(world, Role.SYSTEM_ADMIN), "core.view_area", world.area_b)


def test_modules_register_their_own_permissions(world):
    policy.register_permissions({"example.view_thing": [Role.VOLUNTEER]})
    assert policy.has_permission(actor_for(world, Role.VOLUNTEER), "example.view_thing")
    assert not policy.has_permission(actor_for(world, Role.RESIDENT), "example.view_thing")
    with pytest.raises(ValueError):
        policy.register_permissions({"example.view_thing": [Role.RESIDENT]})


def test_admin_is_behind_the_same_rules(world):
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert staff.get("/admin/").status_code == 302
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    assert admin.get("/admin/").status_code == 200
    listing = admin.get("/admin/core/area/").content.decode()
    assert "桶川地区" in listing and "並木地区" not in listing
    assert admin.get(f"/admin/core/area/{world.area_b.pk}/change/").status_code in {302, 404}
