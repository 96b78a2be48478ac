from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core import geo
from sasaeai.core.models import Area, AreaKind

AREA_FIELDS = ("kind", "code", "name", "name_kana", "parent_id", "boundary")


def _prepare_area(area: Area) -> None:
    if area.parent_id is not None:
        parent = Area.objects.filter(pk=area.parent_id).values("tenant_id").first()
        if parent is None or parent["tenant_id"] != area.tenant_id:
            raise ValidationError({"parent": _("The parent area must belong to the same tenant.")})
        if area.pk is not None and area.parent_id == area.pk:
            raise ValidationError({"parent": _("An area cannot be its own parent.")})
    if area.boundary:
        geo.validate_boundary(area.boundary)
        area.min_lat, area.max_lat, area.min_lon, area.max_lon = geo.bbox(area.boundary)
        if area.centroid_lat is None or area.centroid_lon is None:
            area.centroid_lat, area.centroid_lon = geo.centroid(area.boundary)
    else:
        area.min_lat = area.max_lat = area.min_lon = area.max_lon = None
    area.refresh_search_text()
    area.full_clean()


@transaction.atomic
def area_create(
    *,
    actor: Actor,
    tenant_id: int,
    kind: AreaKind | str,
    name: str,
    name_kana: str = "",
    code: str = "",
    parent_id: int | None = None,
    boundary: dict | None = None,
    centroid_lat: float | None = None,
    centroid_lon: float | None = None,
) -> Area:
    area = Area(
        tenant_id=tenant_id,
        kind=kind,
        name=name,
        name_kana=name_kana,
        code=code,
        parent_id=parent_id,
        boundary=boundary,
        centroid_lat=centroid_lat,
        centroid_lon=centroid_lon,
    )
    _prepare_area(area)
    area.save()
    audit_object(actor, Action.CREATE, area)
    return area


@transaction.atomic
def area_update(*, actor: Actor, area: Area, **changes) -> Area:
    unknown = set(changes) - set(AREA_FIELDS) - {"centroid_lat", "centroid_lon"}
    if unknown:
        raise ValueError(f"Unknown area fields: {sorted(unknown)}")
    before = {name: getattr(area, name) for name in changes}
    for name, value in changes.items():
        setattr(area, name, value)
    if "boundary" in changes and not {"centroid_lat", "centroid_lon"} & set(changes):
        area.centroid_lat = area.centroid_lon = None
    _prepare_area(area)
    area.save()
    changed = {k: [str(before[k]), str(v)] for k, v in changes.items() if before[k] != v}
    audit_object(actor, Action.UPDATE, area, detail={"changes": changed})
    return area


@transaction.atomic
def area_delete(*, actor: Actor, area: Area) -> None:
    if area.children.exists():
        raise ValidationError(_("This area has sub-areas; move or delete them first."))
    audit_object(actor, Action.DELETE, area)
    area.delete()
