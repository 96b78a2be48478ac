"""Pages of the resource directory: the public map and place pages, and the staff screens."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.accounts.middleware import tenant_choice_exempt, two_factor_exempt
from sasaeai.core.forms import add_validation_errors
from sasaeai.core.middleware import content_security_policy
from sasaeai.core.models import Area, AreaKind, Tenant
from sasaeai.core.public_site import public_page
from sasaeai.resources import mapprint, selectors, services
from sasaeai.resources.forms import (
    MapSettingsForm,
    PlaceSearchForm,
    ProposalForm,
    ReviewForm,
    ServiceForm,
)
from sasaeai.resources.models import Audience, Proposal, ProposalKind, ProposalStatus, TileSource

GSI_TILES = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
GSI_ATTRIBUTION = "出典：国土地理院（地理院タイル）"
PAGE_SIZE = 30
# A search shows at most this many places (nearest first, or by name): enough to choose
# from on a phone, and a bound on the work a public page can cause.
MAX_RESULTS = 200
# The printed directory (no query: the whole city) is bounded too, as it is a public page;
# a city's directory is a few hundred places, well below this.
PRINT_MAX_PLACES = 2000


def tile_config(tenant_id: int) -> dict:
    settings_row = selectors.map_settings(tenant_id)
    centre = (
        (settings_row.center_lat, settings_row.center_lon)
        if settings_row.center_lat is not None
        else selectors.area_centre(tenant_id) or (35.86, 139.65)
    )
    if settings_row.tile_source == TileSource.GSI:
        url, attribution = GSI_TILES, settings_row.attribution or GSI_ATTRIBUTION
    elif settings_row.tile_source == TileSource.CUSTOM:
        url, attribution = settings_row.tile_url, settings_row.attribution
    else:
        url, attribution = "", settings_row.attribution
    return {
        "tiles": url,
        "attribution": attribution,
        "max_zoom": settings_row.max_zoom,
        "lat": centre[0],
        "lon": centre[1],
        "zoom": settings_row.zoom,
    }


def _with_tile_origin(response, config: dict):
    """Let the browser fetch this tenant's tiles, and nothing else from outside."""
    parts = urlsplit(config["tiles"])
    if parts.scheme in ("http", "https") and parts.netloc:
        response["Content-Security-Policy"] = content_security_policy(
            (f"{parts.scheme}://{parts.netloc}",)
        )
    return response


def _boundaries(tenant_id: int) -> dict:
    areas = Area.objects.filter(
        tenant_id=tenant_id, kind=AreaKind.DISTRICT, boundary__isnull=False
    ).only("name", "boundary")
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": a.name}, "geometry": a.boundary}
            for a in areas
        ],
    }


def _filters(form: PlaceSearchForm, tenant: Tenant) -> tuple[selectors.PlaceFilters, str]:
    """The search's filters and, when the resident gave a place, how it was understood."""
    data = form.cleaned_data
    near, origin_label = None, ""
    if data.get("lat") is not None and data.get("lon") is not None:
        near, origin_label = (data["lat"], data["lon"]), _("your current position")
    elif data.get("near"):
        located = selectors.locate_address(tenant, data["near"])
        if located is None:
            form.add_error("near", _("We could not find that address in this city."))
        else:
            near = (located.lat, located.lon)
            origin_label = _("near %(place)s (approximate)") % {"place": located.label}
    filters = selectors.PlaceFilters(
        query=data.get("q") or "",
        category=data.get("category") or "",
        area_id=data.get("area"),
        audience=data.get("audience") or "",
        weekday=data.get("weekday"),
        free_only=bool(data.get("free")),
        step_free=bool(data.get("step_free")),
        accessible_toilet=bool(data.get("toilet")),
        open_now=bool(data.get("open_now")),
        near=near,
    )
    return filters, origin_label


def _search_form(request, tenant: Tenant) -> PlaceSearchForm:
    areas = Area.objects.filter(tenant_id=tenant.pk, kind=AreaKind.DISTRICT).only("name")
    # Always bound: no parameters at all is a valid search for everything.
    return PlaceSearchForm(request.GET, categories=selectors.categories_of(tenant.pk), areas=areas)


def _marker(place: selectors.Place, tenant: Tenant) -> dict:
    category = place.category_list[0] if place.category_list else None
    return {
        "n": place.number,
        "name": place.service.name,
        "lat": place.location.latitude,
        "lon": place.location.longitude,
        "colour": category.colour if category else "#555555",
        "category": category.name if category else "",
        "address": place.location.address,
        "url": f"/map/{tenant.code}/places/{place.service.uid}/",
    }


@public_page
def directory(request, tenant):
    """Every place at first load, by name and paged; a search narrows or sorts by distance."""
    form = _search_form(request, tenant)
    # Input that cannot be read is reported on the form; the list then stays unfiltered.
    filters, origin_label = (
        _filters(form, tenant) if form.is_valid() else (selectors.PlaceFilters(), "")
    )
    origin, capped = filters.near, False
    if origin is None and not filters.open_now:
        page = selectors.places_page(tenant.pk, filters, request.GET.get("page"), PAGE_SIZE)
        total = page.paginator.count
    else:
        # By distance or by what is open now: ordered in Python, so bounded.
        places = selectors.search_places(tenant.pk, filters, limit=MAX_RESULTS)
        page = Paginator(places, PAGE_SIZE).get_page(request.GET.get("page"))
        total, capped = len(places), len(places) >= MAX_RESULTS
    query = request.GET.copy()
    query.pop("page", None)
    config = tile_config(tenant.pk)
    response = render(
        request,
        "resources/directory.html",
        {
            "tenant": tenant,
            "form": form,
            "searched": any(request.GET.get(name) for name in form.fields),
            "page": page,
            "total": total,
            "capped": capped,
            "origin_label": origin_label,
            "query_string": query.urlencode(),
            "map_data": {
                "config": config,
                "origin": list(origin) if origin else None,
                "origin_label": str(origin_label),
                "places": [_marker(p, tenant) for p in page if p.has_position],
                "boundaries": _boundaries(tenant.pk),
            },
            "audiences": dict(Audience.choices),
        },
    )
    return _with_tile_origin(response, config)


@public_page
def place_detail(request, tenant, service_uid):
    service = selectors.public_place(tenant.pk, service_uid)
    if service is None:
        raise Http404
    locations = [at.location for at in service.at_locations.all()]
    config = tile_config(tenant.pk)
    markers = [
        {"n": index, "name": loc.name, "lat": loc.latitude, "lon": loc.longitude,
         "colour": "#b3261e", "category": "", "address": loc.address, "url": ""}
        for index, loc in enumerate(locations, start=1) if loc.has_position
    ]  # fmt: skip
    response = render(
        request,
        "resources/place_detail.html",
        {
            "tenant": tenant,
            "service": service,
            "locations": locations,
            "hours": selectors.next_meetings(service),
            "roles": selectors.roles_of(tenant.pk, service),
            "audiences": [
                label for value, label in Audience.choices if value in service.audience_list()
            ],
            "printable": request.GET.get("print") == "1",
            "map_data": {
                "config": config,
                "origin": None,
                "places": markers,
                "boundaries": _boundaries(tenant.pk),
            },  # fmt: skip
        },
    )
    return _with_tile_origin(response, config)


@public_page
def propose(request, tenant, service_uid=None):
    service = None
    if service_uid is not None:
        service = selectors.public_place(tenant.pk, service_uid)
        if service is None:
            raise Http404
    kind = ProposalKind.CORRECTION if service else ProposalKind.NEW_PLACE
    form = ProposalForm(request.POST or None, initial={"kind": kind})
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_submit(
                tenant_id=tenant.pk,
                kind=kind,
                service=service,
                place_name=form.cleaned_data["place_name"] or (service.name if service else ""),
                body=form.cleaned_data["body"],
                proposer_name=form.cleaned_data["proposer_name"],
                proposer_contact=form.cleaned_data["proposer_contact"],
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            return render(request, "resources/propose_thanks.html", {"tenant": tenant})
    return render(
        request, "resources/propose.html", {"tenant": tenant, "form": form, "service": service}
    )


@public_page
def print_map(request, tenant):
    """An A4 PDF: the map of an area (or the search) with its numbered list."""
    form = _search_form(request, tenant)
    if not form.is_valid():
        raise Http404
    filters, _origin = _filters(form, tenant)
    places = selectors.search_places(tenant.pk, filters, limit=PRINT_MAX_PLACES)
    area = None
    if filters.area_id:
        area = Area.objects.filter(tenant_id=tenant.pk, pk=filters.area_id).first()
    boundaries = [area.boundary] if area and area.boundary else []
    context = [f["geometry"] for f in _boundaries(tenant.pk)["features"]]
    printed = [
        mapprint.PrintPlace(
            number=p.number, name=p.service.name,
            category=p.category_list[0].name if p.category_list else "",
            colour=p.category_list[0].colour if p.category_list else "#555555",
            address=p.location.address,
            phone=next((ph.number for ph in p.service.phones.all()), ""),
            hours="　".join(selectors.schedules.describe(s) for s in p.service.schedules.all()),
            lat=p.location.latitude, lon=p.location.longitude,
        )
        for p in places
    ]  # fmt: skip
    subtitle_parts = [tenant.name, area.name if area else _("whole city")]
    if filters.category:
        subtitle_parts.append(dict(form.fields["category"].choices).get(filters.category, ""))
    pdf = mapprint.render_area_map_pdf(
        title=_("Community resource map"),
        subtitle="　".join(str(p) for p in subtitle_parts if p),
        places=printed,
        boundaries=boundaries,
        context_boundaries=context if not boundaries else [],
        attribution=_("Background: district boundaries of %(city)s") % {"city": tenant.name},
        printed_on=timezone.localdate(),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="map-{tenant.code}.pdf"'
    return response


@login_not_required
@two_factor_exempt
@tenant_choice_exempt
def choose_city(request):
    return render(
        request, "resources/choose_city.html", {"tenants": Tenant.objects.filter(is_active=True)}
    )


# -- Staff -------------------------------------------------------------------------------


def _require_member(request, permission: str) -> policy.Actor:
    policy.require(request.actor, permission)
    return request.actor


def staff_list(request):
    actor = _require_member(request, "resources.view_resource")
    query = request.GET.get("q", "")
    category = request.GET.get("category", "")
    records = selectors.services_for_staff(actor, query=query, category=category)
    page = Paginator(records.order_by("alternate_name", "name"), 50).get_page(
        request.GET.get("page")
    )
    tenant = Tenant.objects.get(pk=actor.tenant_id)
    return render(
        request,
        "resources/staff_list.html",
        {
            "page": page,
            "query": query,
            "category": category,
            "categories": selectors.categories_of(actor.tenant_id),
            "tenant": tenant,
            "stale_count": selectors.stale_services(actor).count(),
            "pending_count": Proposal.objects.filter(
                tenant_id=actor.tenant_id, status=ProposalStatus.PENDING
            ).count(),
            "can_manage": policy.can(actor, "resources.manage_resource"),
            "can_import": policy.can(actor, "resources.import_resource"),
            "can_map": policy.can(actor, "resources.manage_map"),
        },
    )


def stale_list(request):
    actor = _require_member(request, "resources.view_resource")
    page = Paginator(selectors.stale_services(actor), 50).get_page(request.GET.get("page"))
    return render(request, "resources/stale_list.html", {"page": page})


def _initial_from(service) -> dict:
    location = service.at_locations.select_related("location").order_by("id").first()
    location = location.location if location else None
    initial = {
        name: getattr(service, name)
        for name in ("name", "alternate_name", "description", "is_free", "fees_description",
                     "url", "email", "languages", "eligibility_description",
                     "application_process", "status", "is_published", "version")
    }  # fmt: skip
    initial["categories"] = list(service.categories.all())
    initial["audiences"] = service.audience_list()
    initial["phone"] = next((p.number for p in service.phones.filter(kind="voice")), "")
    initial["schedule_text"] = "、".join(
        selectors.schedules.describe(s) for s in service.schedules.all()
    )
    if location:
        for name in ("postal_code", "address", "latitude", "longitude", "transportation",
                     "accessibility", "step_free", "accessible_toilet", "parking"):  # fmt: skip
            initial[name] = getattr(location, name)
    return initial


def service_edit(request, service_id=None):
    actor = _require_member(request, "resources.manage_resource")
    service = None
    if service_id is not None:
        service = selectors.service_for_staff(actor, service_id, "resources.manage_resource")
    categories = selectors.categories_of(actor.tenant_id)
    form = ServiceForm(
        request.POST or None,
        categories=categories,
        initial=_initial_from(service) if service else {"status": "active"},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        data["categories"] = tuple(data["categories"])
        data["audiences"] = tuple(data["audiences"])
        try:
            saved = services.service_save(
                actor=actor, data=services.ServiceInput(**data), service=service, version=version
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("resources:staff_detail", service_id=saved.pk)
    return render(request, "resources/service_form.html", {"form": form, "service": service})


def staff_detail(request, service_id):
    actor = _require_member(request, "resources.view_resource")
    service = selectors.service_for_staff(actor, service_id, "resources.view_resource")
    tenant = Tenant.objects.get(pk=actor.tenant_id)
    return render(
        request,
        "resources/staff_detail.html",
        {
            "service": service,
            "tenant": tenant,
            "hours": selectors.next_meetings(service),
            "locations": [at.location for at in service.at_locations.select_related("location")],
            "proposals": service.proposals.all()[:20],
            "can_manage": policy.can(actor, "resources.manage_resource"),
        },
    )


@require_POST
def service_confirm(request, service_id):
    actor = _require_member(request, "resources.manage_resource")
    service = selectors.service_for_staff(actor, service_id, "resources.manage_resource")
    services.service_confirm(actor=actor, service=service)
    messages.success(request, _("Marked as confirmed today."))
    return redirect(request.POST.get("next") or "resources:staff_detail", service_id=service.pk)


def proposal_list(request):
    actor = _require_member(request, "resources.review_proposal")
    status = request.GET.get("status", ProposalStatus.PENDING)
    proposals = policy.scope(actor, "resources.review_proposal", Proposal.objects.all())
    if status in ProposalStatus.values:
        proposals = proposals.filter(status=status)
    page = Paginator(proposals.select_related("service"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "resources/proposal_list.html",
        {"page": page, "status": status, "statuses": ProposalStatus.choices},
    )


def proposal_review(request, proposal_id):
    actor = _require_member(request, "resources.review_proposal")
    proposal = get_object_or_404(
        policy.scope(actor, "resources.review_proposal", Proposal.objects.all()), pk=proposal_id
    )
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_review(
                actor=actor,
                proposal=proposal,
                accept=request.POST.get("decision") == "accept",
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The proposal was reviewed."))
            if proposal.service_id and proposal.status == ProposalStatus.ACCEPTED:
                return redirect("resources:service_edit", service_id=proposal.service_id)
            return redirect("resources:proposal_list")
    return render(request, "resources/proposal_review.html", {"proposal": proposal, "form": form})


def map_settings(request):
    actor = _require_member(request, "resources.manage_map")
    current = selectors.map_settings(actor.tenant_id)
    form = MapSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.map_settings_save(actor=actor, **values)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("resources:map_settings")
    return render(request, "resources/map_settings.html", {"form": form})
