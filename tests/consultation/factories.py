"""Build consultation records for tests through the real services."""

import datetime

from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.consultation import services
from sasaeai.consultation.models import AgencyKind


def actor_for(membership: Membership) -> Actor:
    """The actor a signed-in, two-factor-verified member acts as."""
    return Actor(
        user_id=membership.user_id,
        username=membership.user.username,
        tenant_id=membership.tenant_id,
        membership_id=membership.pk,
        role=Role(membership.role),
        area_ids=frozenset(membership.areas.values_list("pk", flat=True)),
        otp_verified=True,
    )


def actor_of(world, role: Role) -> Actor:
    return actor_for(world.members[role])


def admin_actor(tenant) -> Actor:
    """A municipal-staff actor with settings rights, for building fixtures in a tenant."""
    return Actor(user_id=None, username="fixture", tenant_id=tenant.pk, membership_id=None,
                 role=Role.MUNICIPAL_STAFF, otp_verified=True)  # fmt: skip


def make_person(
    actor: Actor, name="山田太郎", kana="ヤマダタロウ", birth=datetime.date(1944, 5, 1), **extra
):
    return services.person_save(
        actor=actor,
        data=services.PersonInput(name=name, name_kana=kana, birth_date=birth, **extra),
    )


def make_agency(
    actor: Actor,
    name="桶川市地域包括支援センター",
    kind=AgencyKind.COMMUNITY_CARE_CENTRE,
    members=(),
):
    services.concern_tags_ensure(actor.tenant_id)
    return services.agency_save(
        actor=admin_actor_in(actor), name=name, kind=kind, member_ids=[m.user_id for m in members]
    )


def admin_actor_in(actor: Actor) -> Actor:
    return Actor(user_id=None, username="fixture", tenant_id=actor.tenant_id, membership_id=None,
                 role=Role.MUNICIPAL_STAFF, otp_verified=True)  # fmt: skip


def make_case(actor: Actor, persons=(), title="8050世帯の相談", **extra):
    services.concern_tags_ensure(actor.tenant_id)
    return services.case_open(actor=actor, title=title, persons=list(persons), **extra)
