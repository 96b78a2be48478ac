"""Pages of the notices app: staff screens under /notices/, public pages /notices/<code>/."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.core import broadcasts, public_site
from sasaeai.core.csvio import CsvEncodingError, decode_csv_bytes
from sasaeai.core.forms import add_validation_errors
from sasaeai.core.models import Tenant
from sasaeai.notices import flyer, ruby, selectors, services
from sasaeai.notices.forms import DictionaryImportForm, NoticeForm, PublishForm, ReadingEntryForm
from sasaeai.notices.models import NoticeStatus

PAGE_SIZE = 30
SOURCE_LABELS = {
    ruby.DICTIONARY: gettext_lazy("dictionary"),
    ruby.ANALYSER: gettext_lazy("analyser"),
    ruby.CHECK: gettext_lazy("check"),
    ruby.UNKNOWN: gettext_lazy("unknown"),
}


def _topics(tenant_id: int) -> list[tuple[str, str]]:
    channel = broadcasts.channel()
    return list(channel.topics(tenant_id)) if channel else []


def _form(request, actor, initial=None):
    return NoticeForm(
        request.POST or None,
        initial=initial,
        topics=_topics(actor.tenant_id),
        areas=selectors.areas_of(actor.tenant_id),
    )


def notice_list(request):
    actor = request.actor
    policy.require(actor, "notices.manage")
    rows = selectors.notices_visible_to(actor)
    status = request.GET.get("status")
    if status in NoticeStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/notice_list.html",
        {"page": page, "status": status, "statuses": NoticeStatus.choices,
         "tenant": Tenant.objects.get(pk=actor.tenant_id)},
    )  # fmt: skip


def notice_create(request):
    actor = request.actor
    policy.require(actor, "notices.manage")
    form = _form(request, actor)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_create(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The notice was saved as a draft."))
            return redirect("notices:notice_detail", notice.pk)
    return render(request, "notices/notice_form.html", {"form": form, "notice": None})


def notice_edit(request, pk: int):
    actor = request.actor
    notice = selectors.notice_for(actor, pk)
    if notice.status != NoticeStatus.DRAFT:
        messages.error(request, _("Only a draft can be edited. Withdraw a published notice first."))
        return redirect("notices:notice_detail", notice.pk)
    initial = {name: getattr(notice, name) for name in NoticeForm.base_fields}
    form = _form(request, actor, initial)
    if request.method == "POST" and form.is_valid():
        was_approved = notice.readings_approved
        try:
            notice = services.notice_update(actor=actor, notice=notice, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The notice was saved."))
            if was_approved and not notice.readings_approved:
                messages.warning(
                    request, _("The text changed: approve the readings (furigana) again.")
                )
            return redirect("notices:notice_detail", notice.pk)
    return render(request, "notices/notice_form.html", {"form": form, "notice": notice})


def _detail_context(actor, notice, publish_form=None, publish_error=None) -> dict:
    channel = broadcasts.channel()
    recipients = None
    if channel is not None and notice.status == NoticeStatus.DRAFT:
        recipients = channel.count(services.notice_target(notice))
    topics = dict(_topics(actor.tenant_id))
    areas = dict(selectors.areas_of(actor.tenant_id).values_list("pk", "name"))
    return {
        "notice": notice,
        "has_channel": channel is not None,
        "recipients": recipients,
        "topic_labels": [topics.get(k, k) for k in notice.topic_keys],
        "area_labels": [areas.get(a, a) for a in notice.area_ids],
        "audience_labels": [broadcasts.AUDIENCES.get(k, k) for k in notice.audience_keys],
        "publish_form": publish_form or PublishForm(),
        "publish_error": publish_error,
        "ruby_preview": ruby.to_html(notice.readings["fields"]["body"])
        if notice.readings_approved
        else None,
    }


def notice_detail(request, pk: int):
    actor = request.actor
    notice = selectors.notice_for(actor, pk)
    return render(request, "notices/notice_detail.html", _detail_context(actor, notice))


@require_POST
def notice_publish(request, pk: int):
    actor = request.actor
    notice = selectors.notice_for(actor, pk)
    form = PublishForm(request.POST)
    form.is_valid()
    try:
        result = services.notice_publish(
            actor=actor, notice=notice, site_only=form.cleaned_data.get("site_only", False)
        )
    except ValidationError as error:
        context = _detail_context(actor, notice, form, error)
        context["publish_error_code"] = getattr(error, "code", None)
        return render(request, "notices/notice_detail.html", context, status=400)
    if result.job_id is not None:
        messages.success(
            request,
            _("Published. The e-mail to %(count)s subscribers is being sent.")
            % {"count": result.recipients},
        )
    elif result.recipients is None:
        messages.success(
            request, _("Published on the website. E-mail is not available in this installation.")
        )
    else:
        messages.success(request, _("Published on the website only (no e-mail)."))
    return redirect("notices:notice_detail", notice.pk)


@require_POST
def notice_withdraw(request, pk: int):
    actor = request.actor
    notice = selectors.notice_for(actor, pk)
    try:
        services.notice_withdraw(actor=actor, notice=notice)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The notice was withdrawn from the website."))
    return redirect("notices:notice_detail", notice.pk)


@require_POST
def notice_delete(request, pk: int):
    actor = request.actor
    notice = selectors.notice_for(actor, pk)
    try:
        services.notice_delete(actor=actor, notice=notice)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("notices:notice_detail", notice.pk)
    messages.success(request, _("The draft was deleted."))
    return redirect("notices:notice_list")


def notice_readings(request, pk: int):
    """Every distinct word with kanji, its proposed reading and where it came from; the person
    corrects any of them, writes the unknown ones, and approves."""
    actor = request.actor
    notice = selectors.notice_for(actor, pk)
    review = selectors.readings_review(notice)
    approved = {}
    if notice.readings_approved:
        approved = {w["surface"]: w["reading"] for w in notice.readings["words"]}
    rows = [
        {"index": index, "word": word, "value": approved.get(word.surface, word.reading or ""),
         "source_label": SOURCE_LABELS[word.source], "add": False, "error": False}
        for index, word in enumerate(review.words)
    ]  # fmt: skip
    errors: list[str] = []
    if request.method == "POST":
        submitted_hash = request.POST.get("text_hash", "")
        readings, add = {}, []
        for row in rows:
            index = row["index"]
            if request.POST.get(f"surface-{index}") != row["word"].surface:
                submitted_hash = ""  # the words changed under the form: review again
            value = ruby.to_hiragana(request.POST.get(f"reading-{index}", "").strip())
            row["value"] = value
            row["add"] = request.POST.get(f"dictionary-{index}") == "on"
            row["error"] = not value or not ruby.READING.match(value)
            readings[row["word"].surface] = value
            if row["add"]:
                add.append(row["word"].surface)
        try:
            services.readings_approve(
                actor=actor, notice=notice, readings=readings, text_hash=submitted_hash,
                add_to_dictionary=add,
            )  # fmt: skip
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("The readings were approved. You can publish the notice."))
            return redirect("notices:notice_detail", notice.pk)
    preview_map = {row["word"].surface: row["value"] for row in rows if row["value"]}
    preview = ruby.to_html(ruby.apply_readings(review.fields["body"], preview_map))
    return render(
        request,
        "notices/notice_readings.html",
        {"notice": notice, "rows": rows, "text_hash": review.text_hash, "errors": errors,
         "preview": preview, "unknown_count": sum(1 for r in rows if r["word"].source == ruby.UNKNOWN)},
        status=400 if errors else 200,
    )  # fmt: skip


def notice_flyer(request, pk: int):
    actor = request.actor
    notice = selectors.notice_for(actor, pk)
    response = HttpResponse(flyer.flyer_pdf(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.pk}.pdf"'
    return response


def dictionary(request):
    actor = request.actor
    policy.require(actor, "notices.manage")
    form = ReadingEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reading_entry_save(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The reading was added to the dictionary."))
            return redirect("notices:dictionary")
    page = Paginator(selectors.reading_entries_of(actor), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/dictionary.html",
        {"form": form, "page": page, "import_form": DictionaryImportForm()},
    )


def _entry(actor, pk: int):
    policy.require(actor, "notices.manage")
    entry = selectors.reading_entries_of(actor).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def dictionary_edit(request, pk: int):
    actor = request.actor
    entry = _entry(actor, pk)
    initial = {"surface": entry.surface, "reading": entry.reading, "note": entry.note}
    form = ReadingEntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.reading_entry_save(actor=actor, entry=entry, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The dictionary entry was saved."))
            return redirect("notices:dictionary")
    return render(request, "notices/dictionary_edit.html", {"form": form, "entry": entry})


@require_POST
def dictionary_delete(request, pk: int):
    actor = request.actor
    entry = _entry(actor, pk)
    services.reading_entry_delete(actor=actor, entry=entry)
    messages.success(request, _("The dictionary entry was deleted."))
    return redirect("notices:dictionary")


@require_POST
def dictionary_import(request):
    import csv
    import io

    actor = request.actor
    policy.require(actor, "notices.manage")
    form = DictionaryImportForm(request.POST, request.FILES)
    problems: list[str] = []
    if form.is_valid():
        try:
            text, _encoding = decode_csv_bytes(form.cleaned_data["file"].read())
        except CsvEncodingError as error:
            problems = [str(error)]
        else:
            rows, first = [], True
            for record in csv.reader(io.StringIO(text, newline="")):
                cells = [c.strip() for c in record] + ["", "", ""]
                if not any(cells[:2]) or (first and _is_header(cells)):
                    first = False
                    continue  # blank lines; a header row
                first = False
                rows.append((cells[0], cells[1], cells[2]))
            try:
                count = services.reading_entries_import(actor=actor, rows=rows)
            except ValidationError as error:
                problems = error.messages
            else:
                messages.success(
                    request, _("Dictionary entries imported: %(count)s") % {"count": count}
                )
                return redirect("notices:dictionary")
    else:
        problems = [m for errors in form.errors.values() for m in errors]
    for problem in problems:
        messages.error(request, problem)
    return redirect("notices:dictionary")


DICTIONARY_HEADERS = {"表記", "よみ", "読み", "ふりがな", "surface", "reading", "written form"}


def _is_header(cells: list[str]) -> bool:
    return cells[0].lower() in DICTIONARY_HEADERS or cells[1].lower() in DICTIONARY_HEADERS


# Public pages -------------------------------------------------------------------------------


def public_page(view):
    """A public page (core.public_site.public_page) that readers may keep a few minutes."""

    @wraps(view)
    def cached(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        # Readers may keep the page a few minutes; shared caches too, unless it sets a cookie
        # (the CSRF cookie of a first visit must not be handed to others). Signed-in pages are
        # made no-store by the security middleware.
        patch_cache_control(
            response, max_age=300, **{"private" if response.cookies else "public": True}
        )
        return response

    return public_site.public_page(cached)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@public_page
def public_list(request, tenant):
    areas = list(selectors.areas_of(tenant.pk).values_list("pk", "name"))
    area_id = _int_or_none(request.GET.get("area"))
    if area_id not in dict(areas):
        area_id = None
    audience = request.GET.get("audience")
    if audience not in broadcasts.AUDIENCES:
        audience = None
    notices = selectors.public_notices(tenant.pk, area_id=area_id, audience=audience)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/public_list.html",
        {"tenant": tenant, "page": page, "areas": areas, "area_id": area_id,
         "audiences": list(broadcasts.AUDIENCES.items()), "audience": audience},
    )  # fmt: skip


@public_page
def public_detail(request, tenant, pk: int):
    notice = selectors.public_notice(tenant.pk, pk)
    if notice is None:
        raise Http404
    version = request.GET.get("version", "")
    if version == "easy" and not notice.has_easy:
        version = ""
    if version == "en" and not notice.has_english:
        version = ""
    with_ruby = request.GET.get("ruby") == "1" and version != "en"
    if version == "en":
        title, body, lang = notice.title_en, None, "en"
    else:
        prefix = "easy_" if version == "easy" else ""
        fields = notice.readings["fields"] if notice.readings else {}
        title_pairs = fields.get(f"{prefix}title") or [[getattr(notice, f"{prefix}title"), None]]
        if version == "easy" and not notice.easy_title.strip():
            title_pairs = fields.get("title") or [[notice.title, None]]
        body_pairs = fields.get(f"{prefix}body") or [[getattr(notice, f"{prefix}body"), None]]
        title = ruby.to_html(title_pairs, ruby=with_ruby)
        body = ruby.to_html(body_pairs, ruby=with_ruby)
        lang = "ja"
    return render(
        request,
        "notices/public_detail.html",
        {"tenant": tenant, "notice": notice, "version": version, "with_ruby": with_ruby,
         "title": title, "body": body, "lang": lang,
         "list_url": reverse("notices:public_list", args=[tenant.code])},
    )  # fmt: skip
