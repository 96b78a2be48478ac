"""Public plan progress: no login, the city chosen by its local government code."""

from django.urls import path, reverse

from sasaeai.plans import public_views

app_name = "public_progress"
urlpatterns = [
    path("<str:tenant_code>/", public_views.plan_list, name="plan_list"),
    path("<str:tenant_code>/<slug:plan_code>/", public_views.plan_progress, name="plan"),
    path(
        "<str:tenant_code>/<slug:plan_code>/nodes/<int:node_id>/",
        public_views.node_progress,
        name="node",
    ),
]


def progress_url(tenant) -> str | None:
    """The progress entry in core.public_site: only once a plan of the tenant is published.
    Runs in the tenant's context (one EXISTS query)."""
    from sasaeai.plans.public import published_plans

    if not published_plans(tenant.pk).exists():
        return None
    return reverse("public_progress:plan_list", args=[tenant.code])
