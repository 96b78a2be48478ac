from sasaeai.accounts import policy
from sasaeai.core import modules

LARGE_TEXT_COOKIE = "sasaeai_large_text"


def shell(request):
    """What the page shell shows on every page: modules, tenant, user, role, text size."""
    actor = getattr(request, "actor", policy.ANONYMOUS)
    membership = getattr(request, "membership", None)
    return {
        "nav_modules": [
            m
            for m in modules.all_modules()
            if actor.is_member
            and not actor.needs_two_factor
            and (m.permission is None or policy.has_permission(actor, m.permission))
        ],
        "current_membership": membership,
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
    }
