"""The matching page: a batch of open requests → the engine's proposal (each pair with its
reasons and up to three alternatives) → the coordinator changes pairs and confirms. Nothing is
sent before confirmation: confirming creates the offers and only then notifies the helpers."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts import policy
from sasaeai.audit.services import audit_reads
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.volunteers import proposals, selectors, services
from sasaeai.volunteers.models import Helper, Insurance

UNASSIGNED_REASONS = {
    "no_position": gettext_lazy("The request has no position on the map."),
    "fully_offered": gettext_lazy("Every helper needed already has an offer."),
}


def _helper_names(tenant_id: int, ids) -> dict[int, Helper]:
    return {h.pk: h for h in Helper.objects.filter(tenant_id=tenant_id, pk__in=set(ids))}


def _year_of(help_request) -> int | None:
    if help_request is None:
        return None
    return fiscal_year_of(timezone.localdate(help_request.starts_at))


def _reason_text(reason) -> str:
    return str(UNASSIGNED_REASONS.get(reason, reason))


def matching(request):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    open_requests = list(selectors.requests_visible_to(actor, open_only=True)[:200])
    context = {"open_requests": open_requests, "rows": None}
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "confirm":
        return _confirm(request, actor)
    if action == "run":
        chosen = {int(v) for v in request.POST.getlist("request") if v.isdigit()}
        batch = [r for r in open_requests if r.pk in chosen]
        if not batch:
            messages.error(request, _("Choose at least one request."))
            return redirect("volunteers:matching")
        try:
            proposal = proposals.propose(actor.tenant_id, batch)
        except ValueError as error:  # matching.MatchingInputError: which row and what
            messages.error(request, str(error))
            return redirect("volunteers:matching")
        by_id = {r.pk: r for r in batch}
        ids = [p.helper_id for p in proposal.pairs]
        for alternatives in proposal.alternatives.values():
            ids += [a.helper_id for a in alternatives]
        names = _helper_names(actor.tenant_id, ids)
        # The proposal names helpers (with their distance to a request's place): a read of
        # their records, audited as the helper list is (found by tests/security).
        audit_reads(actor, list(names.values()), detail={"page": "matching"})
        insured = set(
            Insurance.objects.filter(helper_id__in=set(ids)).values_list("helper_id", "fiscal_year")
        )
        rows = []
        for index, pair in enumerate(proposal.pairs):
            alternatives = proposal.alternatives.get(pair.request_id, [])[:3]
            rows.append(
                {
                    "index": index, "req": by_id.get(pair.request_id), "pair": pair,
                    "helper": names.get(pair.helper_id),
                    "uninsured": (pair.helper_id, _year_of(by_id.get(pair.request_id))) not in insured,
                    "reasons": "、".join(str(r) for r in pair.reasons),
                    "alternatives": [(a, names.get(a.helper_id)) for a in alternatives],
                }
            )  # fmt: skip
        context.update(
            rows=rows,
            unassigned=[(by_id.get(rid), _reason_text(reason))
                        for rid, reason in proposal.unassigned.items()],
            proposal=proposal, chosen=chosen,
        )  # fmt: skip
    return render(request, "volunteers/matching.html", context)


def _confirm(request, actor):
    pairs = []
    count = request.POST.get("count", "0")
    for index in range(int(count) if count.isdigit() else 0):
        if request.POST.get(f"keep-{index}") != "1":
            continue
        request_id = request.POST.get(f"request-{index}", "")
        helper_id = request.POST.get(f"helper-{index}", "")
        if request_id.isdigit() and helper_id.isdigit():
            pairs.append(
                services.PairChoice(
                    request_id=int(request_id),
                    helper_id=int(helper_id),
                    reasons=request.POST.get(f"reasons-{index}", ""),
                )  # fmt: skip
            )
    try:
        offers = services.offers_confirm(actor=actor, pairs=pairs)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("volunteers:matching")
    messages.success(
        request, _("%(count)s offers were sent to the helpers.") % {"count": len(offers)}
    )
    return redirect("volunteers:matching")


def shortlist(request, pk: int):
    actor = request.actor
    policy.require(actor, "volunteers.manage")
    help_request = selectors.request_for(actor, pk)
    if request.method == "POST":
        helper_id = request.POST.get("helper", "")
        try:
            services.offers_confirm(
                actor=actor,
                pairs=[services.PairChoice(
                    request_id=help_request.pk, helper_id=int(helper_id) if helper_id.isdigit()
                    else 0, reasons=request.POST.get("reasons", ""))],
            )  # fmt: skip
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("volunteers:shortlist", pk=pk)
        messages.success(request, _("The offer was sent to the helper."))
        return redirect("volunteers:request_detail", pk=pk)
    try:
        ranked = proposals.shortlist(actor.tenant_id, help_request)
    except ValueError as error:  # matching.MatchingInputError
        messages.error(request, str(error))
        ranked = []
    names = _helper_names(actor.tenant_id, [p.helper_id for p in ranked])
    # The shortlist names helpers near the request: audited like the helper list (found by
    # tests/security: it was the one page listing helpers without an audit entry).
    audit_reads(actor, list(names.values()), detail={"page": "shortlist", "request": pk})
    rows = [
        {
            "pair": p,
            "helper": names.get(p.helper_id),
            "reasons": "、".join(str(r) for r in p.reasons),
        }
        for p in ranked
    ]
    return render(request, "volunteers/shortlist.html", {"req": help_request, "rows": rows})
