from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from sasaeai.accounts import policy
from sasaeai.audit import selectors
from sasaeai.audit.forms import AuditFilterForm
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_log_read
from sasaeai.core.csvio import write_csv

PAGE_SIZE = 100
EXPORT_LIMIT = 100_000
EXPORT_HEADER = [
    "連番", "日時", "利用者", "役割", "操作", "対象種別", "対象ID", "本人種別", "本人ID",
    "IPアドレス", "ハッシュ",
]  # fmt: skip


def _filtered(request):
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    return form, selectors.entries_visible_to(request.actor, **filters), filters


def entry_list(request):
    policy.require(request.actor, "audit.view_log")
    form, entries, filters = _filtered(request)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_log_read(request.actor, filters=filters, shown=len(page.object_list))
    return render(request, "audit/entry_list.html", {"form": form, "page": page})


def entry_export(request):
    """CSV of the filtered log; the export itself is audited, with the filters used."""
    policy.require(request.actor, "audit.export_log")
    form, entries, filters = _filtered(request)
    encoding = "cp932" if request.GET.get("encoding") == "cp932" else "utf-8-sig"
    rows = [
        [
            e.sequence,
            timezone.localtime(e.occurred_at).isoformat(),
            e.actor_username,
            e.actor_role,
            e.action,
            e.object_type,
            e.object_id,
            e.subject_type,
            e.subject_id,
            e.ip_address,
            e.entry_hash,
        ]
        for e in entries[:EXPORT_LIMIT]
    ]
    audit_log_read(request.actor, filters=filters, shown=len(rows), action=Action.EXPORT)
    response = HttpResponse(
        write_csv(EXPORT_HEADER, rows, encoding=encoding),
        content_type=f"text/csv; charset={'Shift_JIS' if encoding == 'cp932' else 'utf-8'}",
    )
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
