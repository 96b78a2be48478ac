"""What a new tenant starts with in this module: the concern list and the module's settings."""

from sasaeai.core import tenant_setup


def setup_tenant(tenant_id: int) -> None:
    from sasaeai.consultation.services import concern_tags_ensure, settings_for

    concern_tags_ensure(tenant_id)
    settings_for(tenant_id)


def register() -> None:
    tenant_setup.register(tenant_setup.TenantSetup("consultation.defaults", setup_tenant, order=30))
