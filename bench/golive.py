"""Onboarding benchmarks: `tenant_create` for real municipalities not in the database yet
(tenant, first system admin, every module's defaults, audit entries, one transaction), and
the go-live checklist page of a tenant as its system admin.

Password hashing follows the settings in use: the benchmark runs with SASAEAI_ENV=test, whose
MD5 hasher makes the admin's password nearly free; production's PBKDF2 adds its own cost
(a fixed few hundred ms per tenant, independent of anything here).
"""

from collections.abc import Iterator

from sasaeai.accounts.policy import Actor
from sasaeai.core.models import Tenant
from sasaeai.golive import municipalities, services

OPERATOR = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)


def _free_municipalities() -> Iterator[municipalities.Municipality]:
    taken = set(Tenant.objects.values_list("code", flat=True))
    for municipality in municipalities.municipalities().values():
        if not municipality.city and municipality.code not in taken:
            yield municipality


def onboarding_benchmarks(client, get, timed, repeat: int) -> list[tuple[str, float]]:
    municipalities.municipalities()  # read the bundled list once, outside the timing
    free = _free_municipalities()

    def create_one():
        municipality = next(free)
        result = services.tenant_create(
            actor=OPERATOR, code=municipality.code, name=municipality.name,
            admin_username=f"bench-admin-{municipality.code}",
            admin_email=f"admin-{municipality.code}@bench.example",
        )  # fmt: skip
        assert result.created

    return [
        ("onboarding: tenant_create (tenant, admin, defaults, audit)", timed(create_one, repeat)),
        ("onboarding: go-live checklist (GET /golive/)", timed(get(client, "/golive/"), repeat)),
    ]
