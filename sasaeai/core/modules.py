"""The registry of modules shown in the navigation. Each app registers itself in ready()."""

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Module:
    key: str
    label: str | Promise
    url_name: str
    permission: str | None  # None: every signed-in member may open it
    order: int = 50


_modules: dict[str, Module] = {}


def register(module: Module) -> None:
    _modules[module.key] = module


def all_modules() -> list[Module]:
    return sorted(_modules.values(), key=lambda m: (m.order, m.key))
