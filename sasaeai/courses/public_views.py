"""Public pages (no login) per tenant code: upcoming sessions with remaining places, the
registration form and the registrant's own confirmation page (by a signed link). No page
shows anyone's name or contact: only counts and the registrant's own status."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from sasaeai.core.forms import add_validation_errors
from sasaeai.core.public_site import public_page
from sasaeai.courses import selectors, services
from sasaeai.courses.forms import OutreachRequestForm, RegistrationForm
from sasaeai.courses.models import RegistrationStatus, Session

PUBLIC_LIMIT = 200  # a public page's work stays bounded


@public_page
def public_sessions(request, tenant):
    sessions = list(selectors.public_sessions(tenant.pk)[:PUBLIC_LIMIT])
    for session in sessions:
        session.remaining = selectors.remaining_places(session)
    return render(request, "courses/public_sessions.html", {"tenant": tenant, "sessions": sessions})


def _open_session(tenant, session_id: int) -> Session:
    session = (
        selectors.public_sessions(tenant.pk).filter(pk=session_id, capacity__isnull=False).first()
    )
    if session is None:
        raise Http404
    return session


@public_page
def public_register(request, tenant, session_id: int):
    session = _open_session(tenant, session_id)
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.registration_create(
                actor=None, session=session, ip_address=request.META.get("REMOTE_ADDR"),
                **form.cleaned_data,
            )  # fmt: skip
        except ValidationError as error:
            add_validation_errors(form, error, rename={"session": None})
        else:
            token = services.registration_token(registration)
            return redirect("courses:public_registered", tenant_code=tenant.code, token=token)
    return render(
        request,
        "courses/public_register.html",
        {
            "tenant": tenant,
            "session": session,
            "form": form,
            "remaining": selectors.remaining_places(session),
        },
    )


@public_page
def public_registered(request, tenant, token: str):
    """The registrant's own page: their status (and place on the waiting list), and a
    button to cancel. The signed link is the only key; it shows no name or contact."""
    registration = services.registration_for_token(tenant.pk, token)
    if registration is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            services.registration_cancel(
                actor=None, registration=registration, ip_address=request.META.get("REMOTE_ADDR")
            )
        except ValidationError as failure:
            error = " ".join(failure.messages)
        registration.refresh_from_db()
    session = registration.session
    can_cancel = (
        registration.status != RegistrationStatus.CANCELLED
        and not registration.attended
        and session.starts_at > timezone.now()
    )
    return render(
        request,
        "courses/public_registered.html",
        {
            "tenant": tenant,
            "session": session,
            "course": session.course,
            "status": registration.get_status_display(),
            "message": services.registration_message(registration),
            "can_cancel": can_cancel,
            "error": error,
        },
    )


@public_page
def public_outreach_request(request, tenant):
    """A group asks for a 出前講座; the answer comes from the council by phone or mail."""
    courses = {c.pk: c for c in selectors.outreach_courses(tenant.pk)}
    form = OutreachRequestForm(request.POST or None, courses=courses.values())
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["course"] = courses.get(data["course"])
        try:
            services.outreach_request_submit(
                tenant_id=tenant.pk, ip_address=request.META.get("REMOTE_ADDR"), **data
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            return render(request, "courses/public_outreach_thanks.html", {"tenant": tenant})
    return render(request, "courses/public_outreach.html", {"tenant": tenant, "form": form})
