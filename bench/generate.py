"""Synthetic tenants, areas and users at three sizes (town, city, prefecture).

Later modules add their own generators (persons, cases, resources) beside this one, keyed by
the same sizes. Rows are bulk-inserted; the audit log is not written for synthetic data.
"""

import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from sasaeai.accounts.models import Membership, Role, User
from sasaeai.core.models import Area, AreaKind, Tenant
from sasaeai.core.text import normalize_for_search


@dataclass(frozen=True)
class Size:
    name: str
    tenants: int
    residents_per_tenant: int
    # Persons known to the consultation desks in all (bench.consultation: two cases each).
    consultation_persons: int = 0

    @property
    def residents(self) -> int:
        return self.tenants * self.residents_per_tenant


SIZES = {
    # Town holds one 63rd of the prefecture's consultation records, city scales by population.
    "town": Size("town", 1, 30_000, consultation_persons=15_873),
    "city": Size("city", 1, 340_000, consultation_persons=46_524),
    # 7.3 million across 63 municipalities.
    "prefecture": Size("prefecture", 63, 116_000, consultation_persons=1_000_000),
}


def _areas_for(residents: int) -> dict[str, int]:
    """Roughly as Japanese municipalities divide themselves, scaled by population."""
    return {
        AreaKind.DISTRICT: max(3, residents // 30_000),
        AreaKind.ELEMENTARY_SCHOOL_DISTRICT: max(3, residents // 10_000),
        AreaKind.JUNIOR_HIGH_SCHOOL_DISTRICT: max(2, residents // 25_000),
        AreaKind.DAILY_LIFE_AREA: max(2, residents // 25_000),
        AreaKind.COMMISSIONER_DISTRICT: max(10, residents // 600),  # one per ~270 households
    }


def _users_for(residents: int) -> dict[Role, int]:
    return {
        Role.SYSTEM_ADMIN: 2,
        Role.MUNICIPAL_STAFF: max(10, residents // 3_000),
        Role.WELFARE_COUNCIL_STAFF: max(5, residents // 10_000),
        Role.COMMUNITY_SOCIAL_WORKER: max(2, residents // 30_000),
        Role.VOLUNTEER_COORDINATOR: max(1, residents // 50_000),
        Role.WELFARE_COMMISSIONER: max(10, residents // 600),
        Role.PLAN_COMMITTEE_MEMBER: 15,
        Role.VOLUNTEER: max(20, residents // 500),
        Role.RESIDENT: max(20, residents // 1_000),
    }


def generate(size: Size, *, seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    password = make_password("bench-password-123", hasher="md5")
    counts = {"tenants": 0, "areas": 0, "users": 0}
    for t in range(size.tenants):
        tenant = Tenant.objects.create(
            code=f"9{t:05d}", name=f"ベンチ市{t}", prefecture="埼玉県", name_kana=f"べんちし{t}"
        )
        counts["tenants"] += 1
        areas = []
        for kind, count in _areas_for(size.residents_per_tenant).items():
            for i in range(count):
                lat, lon = 35.8 + rng.random() * 0.3, 139.3 + rng.random() * 0.4
                name = f"{kind[:3]}{i}"
                areas.append(
                    Area(
                        tenant=tenant,
                        kind=kind,
                        name=name,
                        name_kana=f"えりあ{i}",
                        centroid_lat=lat,
                        centroid_lon=lon,
                        search_text=normalize_for_search(name),
                    )  # fmt: skip
                )
        Area.objects.bulk_create(areas, batch_size=2000)
        counts["areas"] += len(areas)
        users, roles = [], []
        for role, count in _users_for(size.residents_per_tenant).items():
            for i in range(count):
                users.append(
                    User(username=f"t{t}-{role.value}-{i}", password=password,
                         display_name=f"利用者{t}-{i}")
                )  # fmt: skip
                roles.append(role)
        User.objects.bulk_create(users, batch_size=2000)
        users = list(User.objects.filter(username__startswith=f"t{t}-").order_by("id"))
        roles_by_name = dict(zip([u.username for u in users], roles, strict=False))
        memberships = [
            Membership(
                user=user,
                tenant=tenant,
                role=roles_by_name[user.username],
                search_text=normalize_for_search(f"{user.username} {user.display_name}"),
            )  # fmt: skip
            for user in users
        ]
        Membership.objects.bulk_create(memberships, batch_size=2000)
        counts["users"] += len(users)
    return counts
