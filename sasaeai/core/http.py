from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, default: str | None = None) -> str:
    """The `next` the form or link carried, if it stays on this site; else the default."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default or reverse("core:home")
