"""What a new tenant starts with in this module, and its go-live checklist items."""

from django.utils.translation import gettext_lazy as _

from sasaeai.core import checklist, tenant_setup
from sasaeai.core.checklist import DONE, TODO, WARNING, ChecklistItem, ItemState


def setup_tenant(tenant_id: int) -> None:
    """The default taxonomy and the map settings (plain background: nothing leaves the server)."""
    from sasaeai.resources.categories import ensure_default_categories
    from sasaeai.resources.models import MapSettings

    ensure_default_categories(tenant_id)
    MapSettings.objects.get_or_create(tenant_id=tenant_id)


def open_data_state(tenant_id: int) -> ItemState:
    from sasaeai.resources.models import Service
    from sasaeai.resources.opendata import DATASETS

    # Imported places carry the key "<dataset>:…": a range on the (tenant, source_key) index
    # counts each dataset without reading a directory of 100,000 places.
    facts = []
    for code, dataset in DATASETS.items():
        count = Service.objects.filter(
            tenant_id=tenant_id, source_key__gte=f"{code}:", source_key__lt=f"{code};"
        ).count()
        if count:
            facts.append(f"{dataset.title}: {count:,}")
    if not facts:
        return ItemState(TODO, _("Import the city's open data (自治体標準オープンデータセット)."),
                         "resources:import_upload")  # fmt: skip
    return ItemState(DONE, _("Open data is on the resident map."), "resources:import_upload", facts)


def map_tiles_state(tenant_id: int) -> ItemState:
    from sasaeai.resources.models import MapSettings, TileSource

    found = MapSettings.objects.filter(tenant_id=tenant_id).first()
    source = found.tile_source if found else TileSource.NONE
    facts = [str(TileSource(source).label)]
    if source == TileSource.CUSTOM and found.tile_url:
        return ItemState(DONE, _("The map uses the internal tile server."),
                         "resources:map_settings", facts + [found.tile_url])  # fmt: skip
    if source == TileSource.GSI:
        return ItemState(WARNING, _("GSI tiles need the internet: residents' browsers fetch them."),
                         "resources:map_settings", facts)  # fmt: skip
    return ItemState(TODO, _("Choose the map background: an internal tile server, or keep the plain "
                             "background with district boundaries."),
                     "resources:map_settings", facts)  # fmt: skip


def register() -> None:
    tenant_setup.register(tenant_setup.TenantSetup("resources.defaults", setup_tenant, order=20))
    checklist.register(ChecklistItem("resources.open_data", _("Open data"), open_data_state, 40))
    checklist.register(ChecklistItem("resources.map_tiles", _("Map tiles"), map_tiles_state, 50))
