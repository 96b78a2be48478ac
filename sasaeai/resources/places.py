"""The directory's side of core.places: a tenant's places in one category, for other modules.

A place is a location where a published, active service of that category is held (the 福祉避難所
list of the disaster module reads category `welfare_shelter` this way). Subcategories count
for their parent, as they do on the resources map.
"""

from sasaeai.core.places import Place
from sasaeai.resources.models import Category, Location, Phone, PhoneKind, ServiceStatus


def _category_ids(tenant_id: int, category_key: str) -> list[int]:
    ids = list(
        Category.objects.filter(tenant_id=tenant_id, code=category_key).values_list("pk", flat=True)
    )
    frontier = ids
    while frontier:  # a taxonomy is a few levels deep: one query per level
        frontier = list(
            Category.objects.filter(tenant_id=tenant_id, parent_id__in=frontier).values_list(
                "pk", flat=True
            )
        )
        ids += frontier
    return ids


def _phones(tenant_id: int, location_ids: list[int], categories: list[int]) -> dict[int, str]:
    """The location's own telephone, else the telephone of its service in the category."""
    phones: dict[int, str] = {}
    own = Phone.objects.filter(
        tenant_id=tenant_id, location_id__in=location_ids, kind=PhoneKind.VOICE
    ).order_by("pk")
    for location_id, number in own.values_list("location_id", "number"):
        phones.setdefault(location_id, number)
    of_service = Phone.objects.filter(
        tenant_id=tenant_id, kind=PhoneKind.VOICE,
        service__at_locations__location_id__in=location_ids,
        service__categories__in=categories,
    ).order_by("pk")  # fmt: skip
    for location_id, number in of_service.values_list(
        "service__at_locations__location_id", "number"
    ):
        phones.setdefault(location_id, number)
    return phones


def places(tenant_id: int, category_key: str) -> list[Place]:
    """`core.places` source: published, active services' locations in the category, by name."""
    categories = _category_ids(tenant_id, category_key)
    if not categories:
        return []
    locations = (
        Location.objects.filter(
            tenant_id=tenant_id,
            services_at__service__is_published=True,
            services_at__service__status=ServiceStatus.ACTIVE,
            services_at__service__categories__in=categories,
        )
        .distinct()
        .order_by("name", "pk")
    )
    rows = list(locations.values("pk", "name", "address", "latitude", "longitude"))
    phones = _phones(tenant_id, [row["pk"] for row in rows], categories)
    return [
        Place(
            id=row["pk"],
            name=row["name"],
            address=row["address"],
            phone=phones.get(row["pk"], ""),
            latitude=row["latitude"],
            longitude=row["longitude"],
        )  # fmt: skip
        for row in rows
    ]
