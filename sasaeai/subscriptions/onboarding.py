"""What a new tenant starts with: one general topic (お知らせメール)."""

from sasaeai.core import tenant_setup


def setup_tenant(tenant_id: int) -> None:
    from sasaeai.subscriptions.services import ensure_general_topic

    ensure_general_topic(tenant_id)


def register() -> None:
    tenant_setup.register(
        tenant_setup.TenantSetup("subscriptions.general_topic", setup_tenant, order=40)
    )
