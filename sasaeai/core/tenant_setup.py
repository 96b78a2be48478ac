"""The registry of what a new tenant starts with: each module's default taxonomies and settings.

Modules register `setup(tenant_id)` from AppConfig.ready(); `golive.services.tenant_create`
runs every function, lowest `order` first, inside its own transaction and the new tenant's
context, so a tenant is created with all its defaults or not at all. Each function must be
idempotent (create only what is missing): it may also run for a tenant that exists already.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TenantSetup:
    key: str  # "<app>.<what>", e.g. "resources.categories"
    setup: Callable[[int], None]
    order: int = 50


_steps: dict[str, TenantSetup] = {}


def register(step: TenantSetup) -> None:
    if step.key in _steps and _steps[step.key] != step:
        raise ValueError(f"Tenant setup {step.key} is already registered differently")
    _steps[step.key] = step


def all_steps() -> list[TenantSetup]:
    return sorted(_steps.values(), key=lambda s: (s.order, s.key))


def run_all(tenant_id: int) -> list[str]:
    """Give the tenant every module's defaults; returns the keys run (for the audit entry)."""
    done = []
    for step in all_steps():
        step.setup(tenant_id)
        done.append(step.key)
    return done
