"""Staff pages of courses and events (/courses/): courses, sessions, registrations with
attendance, head counts, participant exports and statistics. Registrations are personal
data: every page or file that shows them is audited."""

import openpyxl
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_reads
from sasaeai.core.csvio import write_csv
from sasaeai.core.fiscal import fiscal_year_label, fiscal_year_of
from sasaeai.core.forms import add_validation_errors
from sasaeai.core.models import Area, AreaKind, Tenant
from sasaeai.core.spreadsheet import workbook_bytes
from sasaeai.courses import selectors, services
from sasaeai.courses.forms import (
    CourseForm,
    HeadCountForm,
    OutreachDecisionForm,
    RegistrationForm,
    SessionForm,
    StatisticsForm,
)
from sasaeai.courses.models import Course, Registration, RegistrationStatus, SessionStatus
from sasaeai.courses.qr import qr_svg_uri

MANAGE = services.MANAGE
PAGE_SIZE = 50


def _course(actor, pk: int) -> Course:
    course = selectors.courses_visible_to(actor).filter(pk=pk).first()
    if course is None:
        policy.require(actor, MANAGE)  # 403 without the permission, 404 otherwise
        raise Http404
    return course


def _session(actor, pk: int):
    session = selectors.sessions_visible_to(actor).filter(pk=pk).first()
    if session is None:
        policy.require(actor, MANAGE)
        raise Http404
    return session


def _areas(actor):
    return Area.objects.filter(
        tenant_id=actor.tenant_id, kind__in=[AreaKind.DISTRICT, AreaKind.DAILY_LIFE_AREA]
    ).order_by("kind", "code", "name")


def course_list(request):
    actor = request.actor
    policy.require(actor, MANAGE)
    upcoming = selectors.sessions_visible_to(actor).filter(
        status=SessionStatus.SCHEDULED, starts_at__gte=timezone.now()
    )
    page = Paginator(upcoming, PAGE_SIZE).get_page(request.GET.get("page"))
    for session in page.object_list:
        session.remaining = selectors.remaining_places(session)
    return render(
        request,
        "courses/course_list.html",
        {
            "courses": selectors.courses_visible_to(actor),
            "page": page,
            "public_code": Tenant.objects.filter(pk=actor.tenant_id)
            .values_list("code", flat=True)
            .first(),
        },
    )


def course_form(request, pk: int | None = None):
    actor = request.actor
    policy.require(actor, MANAGE)
    course = _course(actor, pk) if pk else None
    staff = selectors.course_staff(actor.tenant_id)
    if course:
        form = CourseForm.for_course(course, request.POST or None, staff=staff)
    else:
        form = CourseForm(request.POST or None, staff=staff)
    if request.method == "POST" and form.is_valid():
        try:
            if course:
                course = services.course_update(actor=actor, course=course, **form.values())
            else:
                course = services.course_create(actor=actor, **form.values())
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The course was saved."))
            return redirect("courses:course_detail", pk=course.pk)
    return render(request, "courses/course_form.html", {"form": form, "course": course})


def course_detail(request, pk: int):
    actor = request.actor
    course = _course(actor, pk)
    sessions = selectors.sessions_visible_to(actor).filter(course=course).order_by("-starts_at")
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    for session in page.object_list:
        session.remaining = selectors.remaining_places(session)
    return render(request, "courses/course_detail.html", {"course": course, "page": page})


def session_form(request, course_pk: int | None = None, pk: int | None = None):
    actor = request.actor
    policy.require(actor, MANAGE)
    session = _session(actor, pk) if pk else None
    course = session.course if session else _course(actor, course_pk)
    areas = _areas(actor)
    if session:
        form = SessionForm.for_session(session, request.POST or None, areas=areas)
    else:
        form = SessionForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            if session:
                session = services.session_update(actor=actor, session=session, **values)
            else:
                session = services.session_create(actor=actor, course=course, **values)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The session was saved."))
            return redirect("courses:session_detail", pk=session.pk)
    return render(
        request, "courses/session_form.html", {"form": form, "course": course, "session": session}
    )


def session_detail(request, pk: int):
    """The registrations with attendance checkboxes (a phone in hand at the door)."""
    actor = request.actor
    session = _session(actor, pk)
    rows = list(selectors.session_registrations(actor, session))
    audit_reads(actor, rows)
    position = 0
    for row in rows:
        if row.status == RegistrationStatus.WAITLISTED:
            position += 1
            row.position = position
    return render(
        request,
        "courses/session_detail.html",
        {
            "session": session,
            "course": session.course,
            "rows": rows,
            "remaining": selectors.remaining_places(session),
            "register_form": RegistrationForm(),
            "head_count_form": HeadCountForm(initial={"head_count": session.head_count}),
            "started": session.starts_at <= timezone.now(),
        },
    )


@require_POST
def session_attendance(request, pk: int):
    actor = request.actor
    session = _session(actor, pk)
    try:
        attended = {int(v) for v in request.POST.getlist("attended")}
        completed = {int(v) for v in request.POST.getlist("completed")}
    except ValueError:
        attended = completed = None
    try:
        if attended is None:
            raise ValidationError(
                _("Some of the people ticked are not registered in this session.")
            )
        services.attendance_set(
            actor=actor, session=session, attended_ids=attended, completed_ids=completed
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Attendance was saved."))
    return redirect("courses:session_detail", pk=session.pk)


@require_POST
def session_head_count(request, pk: int):
    actor = request.actor
    session = _session(actor, pk)
    form = HeadCountForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a number of people, 0 or more."))
    else:
        try:
            services.head_count_set(
                actor=actor, session=session, head_count=form.cleaned_data["head_count"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The head count was saved."))
    return redirect("courses:session_detail", pk=session.pk)


@require_POST
def session_register(request, pk: int):
    """Staff register someone who phoned in."""
    actor = request.actor
    session = _session(actor, pk)
    form = RegistrationForm(request.POST)
    if form.is_valid():
        try:
            registration = services.registration_create(
                actor=actor, session=session, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, services.registration_message(registration))
    else:
        messages.error(request, _("Check the name, phone and e-mail."))
    return redirect("courses:session_detail", pk=session.pk)


@require_POST
def registration_cancel(request, pk: int):
    actor = request.actor
    registration = selectors.registrations_visible_to(actor).filter(pk=pk).first()
    if registration is None:
        policy.require(actor, MANAGE)
        raise Http404
    try:
        moved = services.registration_cancel(actor=actor, registration=registration)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = _("The registration was cancelled.")
        if moved:
            text += " " + _("%(count)d people moved up from the waiting list.") % {
                "count": len(moved)
            }
        messages.success(request, text)
    return redirect("courses:session_detail", pk=registration.session_id)


EXPORT_HEADER = ("No.", "氏名", "電話", "メール", "状態", "出席", "修了", "申込日時")


def _export_rows(rows: list[Registration]):
    labels = dict(RegistrationStatus.choices)
    for number, row in enumerate(rows, start=1):
        yield (
            number, row.name, row.phone, row.email, str(labels.get(row.status, row.status)),
            "○" if row.attended else "", "○" if row.completed else "",
            timezone.localtime(row.registered_at).strftime("%Y-%m-%d %H:%M"),
        )  # fmt: skip


def session_export(request, pk: int, fmt: str):
    """The participant list as CSV or Excel, formula-safe (core.spreadsheet); audited."""
    actor = request.actor
    session = _session(actor, pk)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = list(selectors.session_registrations(actor, session))
    audit_reads(actor, rows, action=Action.EXPORT, detail={"format": fmt})
    stamp = timezone.localtime(session.starts_at).strftime("%Y%m%d")
    if fmt == "csv":
        response = HttpResponse(
            write_csv(EXPORT_HEADER, _export_rows(rows)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="participants-{stamp}.csv"'
        return response
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "参加者"
    sheet.append([session.course.title, stamp, session.place])
    sheet.append(list(EXPORT_HEADER))
    for values in _export_rows(rows):
        sheet.append(list(values))
    response = HttpResponse(
        workbook_bytes(book),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="participants-{stamp}.xlsx"'
    return response


def session_sheet(request, pk: int):
    """The printable attendance sheet, with the questionnaire's link and QR code."""
    actor = request.actor
    session = _session(actor, pk)
    rows = [
        r
        for r in selectors.session_registrations(actor, session)
        if r.status == RegistrationStatus.REGISTERED
    ]
    audit_reads(actor, rows, detail={"purpose": "attendance_sheet"})
    url = session.course.questionnaire_url
    return render(
        request,
        "courses/session_sheet.html",
        {"session": session, "rows": rows, "qr": qr_svg_uri(url) if url else None},
    )


@require_POST
def session_thank_you(request, pk: int):
    actor = request.actor
    session = _session(actor, pk)
    try:
        sent = services.thank_you_send(actor=actor, session=session)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Thank-you mails sent: %(count)d") % {"count": sent})
    return redirect("courses:session_detail", pk=session.pk)


def statistics(request):
    actor = request.actor
    policy.require(actor, MANAGE)
    current = fiscal_year_of(timezone.localdate())
    form = StatisticsForm(request.GET or None, initial={"fiscal_year": current})
    year = form.cleaned_data["fiscal_year"] if form.is_valid() else current
    rows = selectors.monthly_statistics(actor, year)
    totals = {}
    for row in rows:
        total = totals.setdefault(
            row["kind"], {"kind_label": row["kind_label"], "sessions": 0, "participants": 0}
        )
        total["sessions"] += row["sessions"]
        total["participants"] += row["participants"]
    return render(
        request,
        "courses/statistics.html",
        {"form": form, "rows": rows, "totals": totals.values(), "year_label":
         fiscal_year_label(year)},
    )  # fmt: skip


def outreach_list(request):
    """出前講座 requests: open ones first, each with its decision form; reads audited."""
    actor = request.actor
    policy.require(actor, MANAGE)
    page = Paginator(selectors.outreach_requests_visible_to(actor), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    audit_reads(actor, list(page.object_list))
    courses = list(selectors.outreach_courses(actor.tenant_id))
    for row in page.object_list:
        row.form = OutreachDecisionForm(
            courses=courses, prefix=f"r{row.pk}", initial={"course": row.course_id}
        )
    return render(request, "courses/outreach_list.html", {"page": page})


@require_POST
def outreach_decide(request, pk: int):
    actor = request.actor
    row = selectors.outreach_requests_visible_to(actor).filter(pk=pk).first()
    if row is None:
        policy.require(actor, MANAGE)
        raise Http404
    courses = {c.pk: c for c in selectors.outreach_courses(actor.tenant_id)}
    form = OutreachDecisionForm(request.POST, courses=courses.values(), prefix=f"r{row.pk}")
    if not form.is_valid():
        messages.error(request, _("Check the decision, the course and the date."))
        return redirect("courses:outreach_list")
    data = form.cleaned_data
    try:
        services.outreach_request_decide(
            actor=actor, request=row, accept=data["accept"], course=courses.get(data["course"]),
            starts_at=data["starts_at"], ends_at=data["ends_at"], place=data["place"],
            note=data["note"],
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The request was answered."))
    return redirect("courses:outreach_list")
