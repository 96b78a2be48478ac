"""Screens of the volunteers app: coordinators (helpers, requests, matching), a volunteer's own
pages, a resident's request. Every view starts with its policy check."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.forms import add_validation_errors
from sasaeai.core.models import Tenant
from sasaeai.volunteers import selectors, services
from sasaeai.volunteers.forms import (
    AvailabilityForm,
    ExceptionForm,
    GroupForm,
    HelperForm,
    InsuranceForm,
    ReasonForm,
    RegistrationForm,
    RegistryForm,
    ReportForm,
    RequestForm,
    ResidentRequestForm,
    SkillForm,
    TermsForm,
    TransitionForm,
)
from sasaeai.volunteers.models import (
    OfferStatus,
    RequestStatus,
)

PAGE_SIZE = 30


class TwoEndedPaginator(Paginator):
    """Pages past the middle are read from the far end in reverse order, so the last page of
    200,000 helpers skips 30 rows of an index instead of 199,970 (docs/volunteers.md)."""

    def page(self, number):
        number = self.validate_number(number)
        if number <= (self.num_pages + 1) // 2 or self.orphans:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        rows = list(self.object_list.reverse()[self.count - top : self.count - bottom])
        rows.reverse()
        return self._get_page(rows, number, self)


def home(request):
    actor = request.actor
    policy.require(actor, "volunteers.view")
    if actor.role == Role.VOLUNTEER:
        return redirect("volunteers:my_home")
    if actor.role == Role.RESIDENT:
        return redirect("volunteers:my_requests")
    return redirect("volunteers:request_list")


# ---- helpers (coordinators) -----------------------------------------------------------------


def helper_list(request):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    query = request.GET.get("q", "").strip()
    registry = request.GET.get("registry", "")
    skill = _int_or_none(request.GET.get("skill"))
    area = _int_or_none(request.GET.get("area"))
    rows = selectors.helpers_visible_to(
        actor, query=query, registry=registry, skill_id=skill, area_id=area
    )
    page = TwoEndedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_reads(actor, list(page.object_list))
    return render(
        request, "volunteers/helper_list.html",
        {"page": page, "q": query, "registry": registry, "skill": skill, "area": area,
         "registries": selectors.registries_of(actor.tenant_id),
         "skills": selectors.skills_of(actor.tenant_id),
         "districts": selectors.districts_of(actor.tenant_id)},
    )  # fmt: skip


def _int_or_none(value) -> int | None:
    return int(value) if value and value.isdigit() else None


def helper_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    helper = selectors.helper_for(actor, pk)
    audit_object(actor, Action.READ, helper)
    today = timezone.localdate()
    forms_ = {
        "availability_form": AvailabilityForm(
            initial={"slots": AvailabilityForm.initial_text(helper)}
        ),
        "exception_form": ExceptionForm(),
        "insurance_form": InsuranceForm(
            initial={"fiscal_year": fiscal_year_of(today), "enrolled_on": today}
        ),
        "registration_form": RegistrationForm(
            tenant_id=actor.tenant_id, initial={"joined_on": today}
        ),
    }
    if request.method == "POST":
        kind = request.POST.get("form")
        try:
            if kind == "availability":
                form = forms_["availability_form"] = AvailabilityForm(request.POST)
                if form.is_valid():
                    services.availability_set(
                        actor=actor, helper=helper, slots=form.cleaned_data["slots"]
                    )
                    messages.success(request, _("Availability saved."))
                    return redirect("volunteers:helper_detail", pk=pk)
            elif kind == "exception":
                form = forms_["exception_form"] = ExceptionForm(request.POST)
                if form.is_valid():
                    services.availability_exception_add(
                        actor=actor, helper=helper, **form.cleaned_data
                    )
                    return redirect("volunteers:helper_detail", pk=pk)
            elif kind == "insurance":
                form = forms_["insurance_form"] = InsuranceForm(request.POST)
                if form.is_valid():
                    services.insurance_record(actor=actor, helper=helper, **form.cleaned_data)
                    messages.success(request, _("Insurance recorded."))
                    return redirect("volunteers:helper_detail", pk=pk)
            elif kind == "registration":
                form = forms_["registration_form"] = RegistrationForm(
                    request.POST, tenant_id=actor.tenant_id
                )
                if form.is_valid():
                    services.registration_add(actor=actor, helper=helper, **form.cleaned_data)
                    return redirect("volunteers:helper_detail", pk=pk)
            else:
                raise Http404
        except ValidationError as error:
            add_validation_errors(form, error)
    insured = services.is_insured(helper, today)
    return render(
        request, "volunteers/helper_detail.html",
        {"helper": helper, "insured": insured,
         "registrations": helper.registrations.select_related("registry"),
         "insurances": helper.insurances.all(), "exceptions": helper.exceptions.all(),
         "offers": helper.offers.select_related("request").order_by("-starts_at")[:20],
         **forms_},
    )  # fmt: skip


def helper_edit(request, pk: int | None = None):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    helper = selectors.helper_for(actor, pk) if pk else None
    initial = {}
    if helper:
        initial = {f: getattr(helper, f) for f in services.HELPER_FIELDS if f != "is_active"}
        initial["skills"] = list(helper.skills.all())
    form = HelperForm(request.POST or None, tenant_id=actor.tenant_id, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            helper = services.helper_save(
                actor=actor, helper=helper, skill_ids=[s.pk for s in form.cleaned_data["skills"]],
                **form.service_fields(),
            )  # fmt: skip
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Helper saved."))
            return redirect("volunteers:helper_detail", pk=helper.pk)
    return render(request, "volunteers/helper_form.html", {"form": form, "helper": helper})


def registry_list(request):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    registry_form = RegistryForm(request.POST if request.POST.get("form") == "registry" else None)
    skill_form = SkillForm(request.POST if request.POST.get("form") == "skill" else None)
    group_form = GroupForm(
        request.POST if request.POST.get("form") == "group" else None, tenant_id=actor.tenant_id
    )
    if request.method == "POST":
        form = {"registry": registry_form, "group": group_form}.get(
            request.POST.get("form"), skill_form
        )
        if form.is_valid():
            try:
                if form is registry_form:
                    services.registry_save(actor=actor, **form.cleaned_data)
                elif form is group_form:
                    data = dict(form.cleaned_data)
                    members = data.pop("members")
                    services.group_save(actor=actor, member_ids=[h.pk for h in members], **data)
                else:
                    services.skill_save(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("volunteers:registry_list")
    return render(
        request, "volunteers/registry_list.html",
        {"registries": selectors.registries_of(actor.tenant_id),
         "skills": selectors.skills_of(actor.tenant_id),
         "groups": selectors.groups_visible_to(actor),
         "registry_form": registry_form, "skill_form": skill_form, "group_form": group_form},
    )  # fmt: skip


# ---- requests (coordinators) -----------------------------------------------------------------


def request_list(request):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    status = request.GET.get("status", "")
    if status and status not in RequestStatus.values:
        status = ""
    rows = selectors.requests_visible_to(actor, status=status)
    page = TwoEndedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "volunteers/request_list.html",
        {"page": page, "status": status, "statuses": RequestStatus.choices},
    )  # fmt: skip


def request_create(request):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    form = RequestForm(request.POST or None, tenant_id=actor.tenant_id)
    if request.method == "POST" and form.is_valid():
        try:
            help_request = services.request_create(actor=actor, data=form.request_input())
        except ValidationError as error:
            add_validation_errors(form, error, rename={"area_id": "area"})
        else:
            messages.success(request, _("Request saved."))
            return redirect("volunteers:request_detail", pk=help_request.pk)
    return render(request, "volunteers/request_form.html", {"form": form})


def request_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    help_request = selectors.request_for(actor, pk)
    audit_object(actor, Action.READ, help_request)
    terms_form = TermsForm(
        request.POST if request.POST.get("form") == "terms" else None,
        initial={"is_fsc": help_request.is_fsc, "fee_per_hour": help_request.fee_per_hour},
    )
    if terms_form.is_bound and terms_form.is_valid():
        try:
            services.request_set_terms(actor=actor, request=help_request, **terms_form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(terms_form, error)
        else:
            messages.success(request, _("Request saved."))
            return redirect("volunteers:request_detail", pk=pk)
    form = TransitionForm(
        request.POST if request.method == "POST" and not terms_form.is_bound else None,
        initial={"version": help_request.version},
    )
    if form.is_bound and form.is_valid():
        try:
            services.request_transition(
                actor=actor, request=help_request, to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"], version=form.cleaned_data["version"],
            )  # fmt: skip
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Status changed."))
            return redirect("volunteers:request_detail", pk=pk)
    allowed = services.TRANSITIONS.get(help_request.status, ())
    form.fields["to_status"].choices = [(s, RequestStatus(s).label) for s in allowed]
    offers = list(selectors.offers_of_request(actor, help_request))
    uninsured = selectors.uninsured_helpers(
        [o.helper for o in offers], timezone.localdate(help_request.starts_at)
    )
    return render(
        request, "volunteers/request_detail.html",
        {"req": help_request, "form": form, "terms_form": terms_form, "offers": offers, "uninsured": uninsured,
         "changes": help_request.changes.all(), "can_match": help_request.is_open},
    )  # fmt: skip


@require_POST
def offer_withdraw(request, pk: int):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    offer = selectors.offer_for(actor, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for this change."))
    else:
        try:
            services.offer_withdraw(actor=actor, offer=offer, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect("volunteers:request_detail", pk=offer.request_id)


@require_POST
def report_sign_off(request, pk: int):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    report = selectors.report_for(actor, pk)
    try:
        services.report_sign_off(
            actor=actor, report=report, approve=request.POST.get("approve") == "1"
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("volunteers:request_detail", pk=report.offer.request_id)


# ---- a volunteer's own pages -----------------------------------------------------------------


def _own_helper_or_404(actor):
    helper = selectors.own_helper(actor)
    if helper is None:
        raise Http404
    return helper


def my_home(request):
    actor = request.actor
    policy.require(actor, "volunteers.respond_offer")
    helper = selectors.own_helper(actor)
    offers = list(selectors.offers_of_helper(actor).order_by("-starts_at")[:50])
    return render(
        request, "volunteers/my_home.html",
        {"helper": helper,
         "waiting": [o for o in offers if o.status == OfferStatus.OFFERED],
         "accepted": [o for o in offers if o.status == OfferStatus.ACCEPTED],
         "past": [o for o in offers if o.status not in (OfferStatus.OFFERED, OfferStatus.ACCEPTED)],
         "insured": services.is_insured(helper, timezone.localdate()) if helper else False},
    )  # fmt: skip


def my_profile(request):
    """Self-service registration and profile of a signed-in volunteer."""
    actor = request.actor
    policy.require(actor, "volunteers.respond_offer")
    helper = selectors.own_helper(actor)
    initial = {}
    if helper:
        initial = {f: getattr(helper, f) for f in services.HELPER_FIELDS if f != "is_active"}
        initial["skills"] = list(helper.skills.all())
    form = HelperForm(request.POST or None, tenant_id=actor.tenant_id, initial=initial)
    availability = AvailabilityForm(
        request.POST or None,
        initial={"slots": AvailabilityForm.initial_text(helper) if helper else ""},
    )
    if request.method == "POST" and form.is_valid() and availability.is_valid():
        try:
            helper = services.helper_save(
                actor=actor, helper=helper, skill_ids=[s.pk for s in form.cleaned_data["skills"]],
                **form.service_fields(),
            )  # fmt: skip
            services.availability_set(
                actor=actor, helper=helper, slots=availability.cleaned_data["slots"]
            )
        except ValidationError as error:
            add_validation_errors(availability if "availability" in getattr(
                error, "error_dict", {}) else form, error)  # fmt: skip
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("volunteers:my_home")
    return render(
        request,
        "volunteers/my_profile.html",
        {"form": form, "availability_form": availability, "helper": helper},
    )


def my_offer(request, pk: int):
    actor = request.actor
    policy.require(actor, "volunteers.respond_offer")
    offer = selectors.offer_for(actor, pk)
    if request.method == "POST":
        accept = request.POST.get("answer") == "accept"
        try:
            services.offer_respond(
                actor=actor, offer=offer, accept=accept, note=request.POST.get("note", "")
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("You accepted the offer.") if accept else _("You declined the offer.")
            )
        return redirect("volunteers:my_offer", pk=pk)
    req = offer.request
    audit_object(actor, Action.READ, req)
    # The requester's data reaches the helper only as far as the request shares it, and only
    # once the helper has accepted.
    shares = offer.status == OfferStatus.ACCEPTED
    return render(
        request, "volunteers/my_offer.html",
        {"offer": offer, "req": req, "shares": shares,
         "reports": offer.reports.all(), "report_form": ReportForm(
             initial={"day": timezone.localdate()})},
    )  # fmt: skip


def my_report(request, pk: int):
    actor = request.actor
    policy.require(actor, "volunteers.report_activity")
    offer = selectors.offer_for(actor, pk)
    form = ReportForm(request.POST or None, initial={"day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.report_submit(actor=actor, offer=offer, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Your activity report was sent."))
            return redirect("volunteers:my_offer", pk=pk)
    return render(request, "volunteers/my_report.html", {"offer": offer, "form": form})


def certificate(request, pk: int):
    """活動証明書: a PDF of one helper's signed-off activities (the helper's own, or staff)."""
    actor = request.actor
    policy.require(actor, "volunteers.view")
    if actor.role == Role.RESIDENT:
        raise Http404
    helper = selectors.helper_for(actor, pk)
    from sasaeai.volunteers.certificate import certificate_pdf

    year = request.GET.get("fy")
    fiscal_year = int(year) if year and year.isdigit() else fiscal_year_of(timezone.localdate())
    body = certificate_pdf(helper, fiscal_year, tenant=Tenant.objects.get(pk=actor.tenant_id))
    audit_object(actor, Action.EXPORT, helper, detail={"certificate": fiscal_year})
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="certificate-{helper.pk}-{fiscal_year}.pdf"'
    )
    return response


# ---- a resident's requests -------------------------------------------------------------------


def help_request_new(request):
    actor = request.actor
    policy.require(actor, "volunteers.request_help")
    form = ResidentRequestForm(request.POST or None, tenant_id=actor.tenant_id)
    if request.method == "POST" and form.is_valid():
        try:
            help_request = services.request_create(actor=actor, data=form.request_input())
        except ValidationError as error:
            add_validation_errors(form, error, rename={"area_id": "area"})
        else:
            messages.success(
                request, _("Your request was sent. The volunteer center will contact you.")
            )
            return redirect("volunteers:my_request", pk=help_request.pk)
    return render(request, "volunteers/help_request_form.html", {"form": form})


def my_requests(request):
    actor = request.actor
    policy.require(actor, "volunteers.request_help")
    rows = selectors.requests_visible_to(actor).order_by("-starts_at")
    return render(request, "volunteers/my_requests.html", {"rows": rows})


def my_request(request, pk: int):
    actor = request.actor
    policy.require(actor, "volunteers.request_help")
    help_request = selectors.request_for(actor, pk)
    return render(
        request, "volunteers/my_request.html",
        {"req": help_request, "offers_accepted": help_request.offers.filter(
            status=OfferStatus.ACCEPTED).count()},
    )  # fmt: skip
