import logging

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.accounts.middleware import tenant_choice_exempt, two_factor_exempt
from sasaeai.core import fiscal, selectors, services
from sasaeai.core.context_processors import LARGE_TEXT_COOKIE
from sasaeai.core.forms import AreaFilterForm, AreaForm, add_validation_errors
from sasaeai.core.http import safe_next_url
from sasaeai.core.models import Area

PAGE_SIZE = 50

logger = logging.getLogger(__name__)


def home(request):
    today = timezone.localdate()
    return render(
        request,
        "core/home.html",
        {
            "today": today,
            "today_wareki": fiscal.wareki_date(today),
            "fiscal_year_label": fiscal.fiscal_year_label(fiscal.fiscal_year_of(today)),
        },
    )


@login_not_required
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # The detail names the host and port: for the operator's log, not for anyone who asks.
        logger.exception("Health check: the database is unavailable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_not_required
@two_factor_exempt
@tenant_choice_exempt
@require_POST
def large_text_toggle(request):
    response = HttpResponseRedirect(safe_next_url(request))
    enabled = request.COOKIES.get(LARGE_TEXT_COOKIE) != "1"
    response.set_cookie(
        LARGE_TEXT_COOKIE, "1" if enabled else "0", max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response


@login_not_required
def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def area_list(request):
    policy.require(request.actor, "core.view_area")
    form = AreaFilterForm(request.GET or None)
    query = kind = ""
    if form.is_valid():
        query, kind = form.cleaned_data["q"], form.cleaned_data["kind"]
    areas = selectors.areas_visible_to(request.actor, query=query, kind=kind)
    page = Paginator(areas, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "core/_area_rows.html" if request.htmx else "core/area_list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "form": form,
            "can_manage": policy.has_permission(request.actor, "core.manage_area"),
            "can_import": policy.has_permission(request.actor, "core.import_area"),
        },
    )


def area_detail(request, pk: int):
    area = get_object_or_404(Area.objects.select_related("parent"), pk=pk)
    policy.require(request.actor, "core.view_area", area)
    children = selectors.areas_visible_to(request.actor).filter(parent=area)
    return render(request, "core/area_detail.html", {"area": area, "children": children})


def area_create(request):
    policy.require(request.actor, "core.manage_area")
    form = AreaForm(request.POST or None, tenant_id=request.actor.tenant_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area = services.area_create(
                actor=request.actor,
                tenant_id=request.actor.tenant_id,
                kind=data["kind"],
                name=data["name"],
                name_kana=data["name_kana"],
                code=data["code"],
                parent_id=data["parent"].pk if data["parent"] else None,
                boundary=data["boundary"],
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            return HttpResponseRedirect(reverse("core:area_detail", args=[area.pk]))
    return render(request, "core/area_form.html", {"form": form}, status=_form_status(form))


def _form_status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def page_not_found(request, exception=None):
    # Http404's own text can be an English internal message; users get the Japanese page.
    return render(request, "404.html", status=404)
