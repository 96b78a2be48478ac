"""Public plan progress: no login, the city chosen by its local government code."""

from django.urls import path

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
