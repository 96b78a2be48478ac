"""Scopes: `<module>:read` or `<module>:write` (write includes read) per API module.

The modules are those of the API's routers that need a sign-in (sasaeai.api.token_modules);
an operation of a router mounted without a module accepts no token at all.
"""

from django.utils.translation import gettext_lazy as _

READ = "read"
WRITE = "write"
LEVELS = (READ, WRITE)

# Labels of the known modules; a router added later shows its key until it gets one.
MODULE_LABELS = {
    "core": _("Areas, fiscal years and postal codes"),
    "accounts": _("Own account"),
    "audit": _("Audit log"),
    "plans": _("Plans"),
    "consultation": _("Consultation"),
    "jobs": _("Background jobs"),
    "notifications": _("Notifications"),
    "notices": _("Notices to residents"),
    "surveys": _("Surveys"),
    "courses": _("Courses and events"),
    "volunteers": _("Volunteers"),
    "subscriptions": _("E-mail subscriptions"),
    "watch": _("Watch-over"),
    "commissioners": _("Welfare commissioners' activity records"),
    "disaster": _("Disaster safety"),
}

# Service tokens act as no person: no account of their own, and read only (writes record who
# did them; a statistics system reads).
SERVICE_EXCLUDED_MODULES = frozenset({"accounts"})


def modules() -> list[str]:
    from sasaeai.api import token_modules

    return token_modules()


def all_scopes(*, service: bool = False) -> list[str]:
    found = []
    for module in modules():
        if service and module in SERVICE_EXCLUDED_MODULES:
            continue
        found.append(f"{module}:{READ}")
        if not service:
            found.append(f"{module}:{WRITE}")
    return found


def scope_choices(*, service: bool = False) -> list[tuple[str, str]]:
    names = {READ: _("read"), WRITE: _("read and write")}
    choices = []
    for scope in all_scopes(service=service):
        module, level = scope.split(":")
        label = MODULE_LABELS.get(module, module)
        choices.append((scope, f"{label}: {names[level]} ({scope})"))
    return choices


def allows(scopes: list[str], module: str | None, method: str) -> bool:
    """Whether a token with `scopes` may run an operation of `module` with HTTP `method`."""
    if module is None:
        return False
    if method in ("GET", "HEAD", "OPTIONS"):
        return f"{module}:{READ}" in scopes or f"{module}:{WRITE}" in scopes
    return f"{module}:{WRITE}" in scopes
