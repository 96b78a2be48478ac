from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from sasaeai.accounts.middleware import tenant_choice_exempt, two_factor_exempt
from sasaeai.api import api
from sasaeai.core.views import healthz

handler404 = "sasaeai.core.views.page_not_found"
handler500 = "sasaeai.api.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(
        "i18n/setlang/",
        login_not_required(two_factor_exempt(tenant_choice_exempt(set_language))),
        name="set_language",
    ),
    path("accounts/", include("sasaeai.accounts.urls")),
    path("audit/", include("sasaeai.audit.urls")),
    path("plans/", include("sasaeai.plans.urls")),
    path("resources/", include("sasaeai.resources.urls")),
    path("map/", include("sasaeai.resources.public_urls")),
    path("progress/", include("sasaeai.plans.public_urls")),
    path("p/", include("sasaeai.core.public_urls")),
    path("consultation/", include("sasaeai.consultation.urls")),
    path("jobs/", include("sasaeai.jobs.urls")),
    path("tokens/", include("sasaeai.tokens.urls")),
    path("notifications/", include("sasaeai.notifications.urls")),
    path("notices/", include("sasaeai.notices.urls")),
    path("surveys/", include("sasaeai.surveys.urls")),
    path("courses/", include("sasaeai.courses.urls")),
    path("volunteers/", include("sasaeai.volunteers.urls")),
    path("watch/", include("sasaeai.watch.urls")),
    path("commissioners/", include("sasaeai.commissioners.urls")),
    path("disaster/", include("sasaeai.disaster.urls")),
    path("subscriptions/", include("sasaeai.subscriptions.urls")),
    path("mail/", include("sasaeai.subscriptions.public_urls")),
    path("golive/", include("sasaeai.golive.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("sasaeai.core.urls")),
]
