"""The dependency rule (docs/architecture.md): domain apps never import one another; they meet
through the core registries. Platform apps (core, accounts, audit, jobs, notifications, tokens,
golive) are what every domain app may use."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "sasaeai"
DOMAIN_APPS = ["plans", "resources", "consultation", "notices", "subscriptions", "surveys",
               "courses", "volunteers", "watch", "commissioners", "disaster"]  # fmt: skip


def imported_apps(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name.split(".")[1] for name in names if name.startswith("sasaeai.") and "." in name}


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_a_domain_app_imports_no_other_domain_app(app):
    crossings = {
        str(path.relative_to(PACKAGE)): sorted(imported_apps(path) & (set(DOMAIN_APPS) - {app}))
        for path in (PACKAGE / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {path: apps for path, apps in crossings.items() if apps} == {}


def test_core_imports_no_domain_app():
    """core finds the domain apps through its registries only."""
    crossings = {
        str(path.relative_to(PACKAGE)): sorted(imported_apps(path) & set(DOMAIN_APPS))
        for path in (PACKAGE / "core").rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {path: apps for path, apps in crossings.items() if apps} == {}
