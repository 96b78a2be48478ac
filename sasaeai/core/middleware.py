from django.conf import settings


def content_security_policy(extra_img_src: tuple[str, ...] = ()) -> str:
    """The one policy; a page may add image origins (a tenant's map tile server)."""
    img_src = " ".join(
        ["'self'", "data:", *getattr(settings, "CSP_EXTRA_IMG_SRC", []), *extra_img_src]
    )
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {img_src}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy everywhere, and no caching of signed-in pages.

    No inline script or style is allowed, and nothing is loaded from other hosts: every
    asset is served by the app itself (closed municipal networks). Map pages add their
    tenant's tile server (resources.views), and CSP_EXTRA_IMG_SRC adds hosts everywhere.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            # Personal data must not linger in shared terminals' caches.
            response["Cache-Control"] = "no-store"
            response.setdefault("Pragma", "no-cache")
        return response
