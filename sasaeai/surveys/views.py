"""Staff pages under /surveys/ and the public answering pages (no login)."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object
from sasaeai.core import public_site
from sasaeai.core.fiscal import fiscal_year_label, fiscal_year_of
from sasaeai.core.forms import add_validation_errors
from sasaeai.surveys import exports, selectors, services
from sasaeai.surveys.charts import bar_chart
from sasaeai.surveys.forms import InvitationForm, QuestionForm, SurveyForm
from sasaeai.surveys.models import CHOICE_KINDS, Question, SurveyMode, SurveyStatus

VIEW, MANAGE = selectors.VIEW, selectors.MANAGE


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


# --- staff ----------------------------------------------------------------------------------


def survey_list(request):
    actor = request.actor
    policy.require(actor, VIEW)
    surveys = list(selectors.surveys_visible_to(actor))
    for survey in surveys:
        survey.year_label = fiscal_year_label(survey.fiscal_year)
    return render(
        request, "surveys/survey_list.html",
        {"surveys": surveys, "can_manage": policy.can(actor, MANAGE)},
    )  # fmt: skip


def survey_create(request):
    actor = request.actor
    policy.require(actor, MANAGE)
    from django.utils import timezone

    initial = {"fiscal_year": fiscal_year_of(timezone.localdate()), "mode": SurveyMode.ANONYMOUS}
    form = SurveyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The survey was created. Add its questions."))
            return redirect("surveys:survey_detail", pk=survey.pk)
    return render(request, "surveys/survey_form.html", {"form": form, "survey": None})


def survey_edit(request, pk: int):
    actor = request.actor
    survey = selectors.survey_for(actor, pk, MANAGE)
    initial = {name: getattr(survey, name) for name in SurveyForm.base_fields}
    form = SurveyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(actor=actor, survey=survey, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The survey was saved."))
            return redirect("surveys:survey_detail", pk=survey.pk)
    return render(request, "surveys/survey_form.html", {"form": form, "survey": survey})


def survey_detail(request, pk: int):
    actor = request.actor
    survey = selectors.survey_for(actor, pk, VIEW)
    total, used = selectors.invitation_counts(survey)
    return render(
        request, "surveys/survey_detail.html",
        {"survey": survey, "questions": selectors.questions_of(survey),
         "responses": selectors.response_count(survey), "can_manage": policy.can(actor, MANAGE),
         "public_url": exports.public_url(survey), "qr": exports.qr_svg(exports.public_url(survey)),
         "year_label": fiscal_year_label(survey.fiscal_year),
         "invitations_total": total, "invitations_used": used,
         "invitation_form": InvitationForm() if survey.mode == SurveyMode.SIGNED else None},
    )  # fmt: skip


@require_POST
def survey_status(request, pk: int):
    actor = request.actor
    survey = selectors.survey_for(actor, pk, MANAGE)
    status = request.POST.get("status", "")
    if status not in SurveyStatus.values:
        raise Http404
    try:
        services.survey_set_status(actor=actor, survey=survey, status=status)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The survey's status was changed."))
    return redirect("surveys:survey_detail", pk=survey.pk)


def survey_qr(request, pk: int):
    survey = selectors.survey_for(request.actor, pk, MANAGE)
    png = exports.qr_png(exports.public_url(survey))
    return _download(png, "image/png", f"survey-{survey.pk}-qr.png")


def _question_form_initial(question: Question | None) -> dict:
    if question is None:
        return {}
    return {
        "kind": question.kind, "text": question.text, "required": question.required,
        "choices": "\n".join(f"{c.key}|{c.label}" for c in question.choices.all()),
        "metric_slug": question.metric_slug, "counted_keys": ", ".join(question.counted_keys),
        "is_breakdown": question.is_breakdown,
    }  # fmt: skip


def question_edit(request, pk: int, order: int | None = None):
    actor = request.actor
    survey = selectors.survey_for(actor, pk, MANAGE)
    question = None
    if order is not None:
        question = survey.questions.filter(order=order).first()
        if question is None:
            raise Http404
    form = QuestionForm(request.POST or None, initial=_question_form_initial(question))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.question_save(
                actor=actor, survey=survey, question=question, kind=data["kind"],
                text=data["text"], required=data["required"],
                choices=services.parse_choices(data["choices"]) if data["kind"] in CHOICE_KINDS else None,
                metric_slug=data["metric_slug"], counted_keys=form.counted(),
                is_breakdown=data["is_breakdown"],
            )  # fmt: skip
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The question was saved."))
            return redirect("surveys:survey_detail", pk=survey.pk)
    return render(
        request, "surveys/question_form.html",
        {"form": form, "survey": survey, "question": question,
         "answered": services.has_responses(survey)},
    )  # fmt: skip


@require_POST
def question_delete(request, pk: int, order: int):
    actor = request.actor
    survey = selectors.survey_for(actor, pk, MANAGE)
    question = survey.questions.filter(order=order).first()
    if question is None:
        raise Http404
    try:
        services.question_delete(actor=actor, question=question)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The question was removed."))
    return redirect("surveys:survey_detail", pk=survey.pk)


@require_POST
def invitations_create(request, pk: int):
    """Make the links and hand them over at once: only their hashes are kept."""
    actor = request.actor
    survey = selectors.survey_for(actor, pk, MANAGE)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            made = services.invitations_create(
                actor=actor, survey=survey, count=form.cleaned_data["count"],
                label=form.cleaned_data["label"],
            )  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if form.cleaned_data["format"] == "csv":
                content = exports.invitations_csv(survey, made)
                return _download(
                    content, "text/csv; charset=utf-8", f"survey-{survey.pk}-links.csv"
                )
            content = exports.invitations_pdf(survey, made)
            return _download(content, "application/pdf", f"survey-{survey.pk}-links.pdf")
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("surveys:survey_detail", pk=survey.pk)


def survey_results(request, pk: int):
    actor = request.actor
    survey = selectors.survey_for(actor, pk, VIEW)
    staff = policy.can(actor, MANAGE)  # free text is for staff, not the committee
    breakdowns = selectors.breakdown_questions(survey)
    by = None
    results, tables = [], []
    by_order = request.GET.get("by", "")
    if by_order.isdigit():  # the cross-tabs only
        by = next((q for q in breakdowns if q.order == int(by_order)), None)
        if by is None:
            raise Http404
        crossed = [
            q for q in selectors.questions_of(survey) if q.kind in CHOICE_KINDS and q.pk != by.pk
        ]
        tables = selectors.crosstabs(survey, crossed, by)
    else:
        results = selectors.question_results(survey, with_texts=staff)
        for result in results:
            result.chart = bar_chart(result)
    audit_object(actor, Action.READ, survey, detail={"page": "results", "by": by_order or None})
    return render(
        request, "surveys/survey_results.html",
        {"survey": survey, "results": results, "breakdowns": breakdowns, "by": by,
         "tables": tables, "staff": staff, "responses": selectors.response_count(survey),
         "small_group": selectors.SMALL_GROUP},
    )  # fmt: skip


def survey_export(request, pk: int, fmt: str):
    actor = request.actor
    survey = selectors.survey_for(actor, pk, MANAGE)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    audit_object(actor, Action.EXPORT, survey, detail={"format": fmt})
    if fmt == "csv":
        return _download(
            exports.results_csv(survey), "text/csv; charset=utf-8", f"survey-{survey.pk}.csv"
        )
    content = exports.results_xlsx(survey, selectors.question_results(survey))
    return _download(
        content,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"survey-{survey.pk}.xlsx",
    )


# --- public ---------------------------------------------------------------------------------


def public_page(view):
    """A public page of one survey (core.public_site.public_page): unknown survey → 404."""

    @wraps(view)
    def with_survey(request, tenant, code, *args, **kwargs):
        survey = selectors.public_survey(tenant.pk, code)
        if survey is None:
            raise Http404
        return view(request, tenant, survey, *args, **kwargs)

    return public_site.public_page(with_survey)


def _notice(request, tenant, survey, template: str, status: int = 200):
    return render(
        request, f"surveys/public/{template}", {"tenant": tenant, "survey": survey}, status=status
    )


def _raw_answers(request, questions) -> dict[int, list[str]]:
    return {q.order: request.POST.getlist(f"q{q.order}") for q in questions}


@public_page
def answer(request, tenant, survey, token: str | None = None):
    token = token or request.GET.get("t") or request.POST.get("t") or None
    if not survey.accepts_answers():
        return _notice(request, tenant, survey, "closed.html")
    actor = request.actor
    if survey.mode == SurveyMode.SIGNED:
        if token:
            invitation = services.invitation_for_token(survey, token)
            if invitation is None:
                raise Http404
            if invitation.used_at is not None:
                return _notice(request, tenant, survey, "used.html", status=409)
        elif not (actor.is_member and actor.tenant_id == survey.tenant_id):
            return _notice(request, tenant, survey, "needs_link.html", status=403)
        elif selectors.Response.objects.filter(survey=survey, user_id=actor.user_id).exists():
            return _notice(request, tenant, survey, "already.html", status=409)
    questions = selectors.questions_of(survey)
    raw: dict[int, list[str]] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        raw = _raw_answers(request, questions)
        try:
            services.response_submit(
                survey=survey, raw=raw, token=token,
                actor=actor if survey.mode == SurveyMode.SIGNED else None,
            )  # fmt: skip
        except ValidationError as error:
            errors = error.message_dict
        except services.AlreadyAnswered:
            template = "used.html" if token else "already.html"
            return _notice(request, tenant, survey, template, status=409)
        except services.NotAccepting:
            return _notice(request, tenant, survey, "closed.html")
        except PermissionDenied:
            return _notice(request, tenant, survey, "needs_link.html", status=403)
        else:
            return redirect("surveys:thanks", tenant_code=tenant.code, code=survey.code)
    for question in questions:
        question.values = raw.get(question.order, [])
        question.errors = errors.get(f"q{question.order}", [])
        question.free_value = question.values[0] if question.values else ""
    return render(
        request, "surveys/public/answer.html",
        {"tenant": tenant, "survey": survey, "questions": questions, "token": token or "",
         "has_errors": bool(errors)},
        status=400 if errors else 200,
    )  # fmt: skip


@public_page
def thanks(request, tenant, survey):
    return _notice(request, tenant, survey, "thanks.html")
