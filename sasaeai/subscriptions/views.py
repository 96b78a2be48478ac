"""Staff pages under /subscriptions/: topics and their counts, a topic's form, looking up one
address (each subscriber shown is an audited read), marking an address bounced, counts CSV."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.audit.services import audit_reads
from sasaeai.core.csvio import write_csv
from sasaeai.core.forms import add_validation_errors
from sasaeai.core.models import Tenant
from sasaeai.subscriptions import selectors, services
from sasaeai.subscriptions.forms import SearchForm, TopicForm

MANAGE = selectors.MANAGE


def topic_list(request):
    actor = request.actor
    policy.require(actor, MANAGE)
    topics = list(selectors.topics_with_counts(actor))
    tenant = Tenant.objects.get(pk=actor.tenant_id)
    public_url = reverse("subscriptions_public:subscribe", args=[tenant.code])
    return render(
        request, "subscriptions/topic_list.html", {"topics": topics, "public_url": public_url}
    )


def topic_form(request, pk: int | None = None):
    actor = request.actor
    policy.require(actor, MANAGE)
    topic = selectors.topic_for(actor, pk) if pk else None
    initial = {name: getattr(topic, name) for name in services.TOPIC_FIELDS} if topic else None
    form = TopicForm(request.POST or None, initial=initial, editing=topic is not None)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        if topic is not None:
            values.pop("key")
        try:
            services.topic_save(actor=actor, topic=topic, **values)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The topic was saved."))
            return redirect("subscriptions:topic_list")
    return render(request, "subscriptions/topic_form.html", {"form": form, "topic": topic})


def subscriber_search(request):
    actor = request.actor
    policy.require(actor, MANAGE)
    form = SearchForm(request.GET or None)
    rows = []
    if form.is_valid() and form.cleaned_data["q"]:
        rows = list(selectors.subscribers_matching(actor, form.cleaned_data["q"]))
        if rows:
            audit_reads(actor, rows, detail={"search": True})
    return render(
        request, "subscriptions/subscriber_search.html",
        {"form": form, "rows": rows, "searched": bool(request.GET.get("q"))},
    )  # fmt: skip


def subscriber_detail(request, pk: int):
    actor = request.actor
    policy.require(actor, MANAGE)
    subscriber = selectors.subscriber_for(actor, pk)
    audit_reads(actor, [subscriber])
    topics = [s.topic for s in subscriber.subscriptions.all()]
    return render(
        request, "subscriptions/subscriber_detail.html",
        {"subscriber": subscriber, "topics": topics},
    )  # fmt: skip


@require_POST
def subscriber_bounced(request, pk: int):
    actor = request.actor
    policy.require(actor, MANAGE)
    subscriber = selectors.subscriber_for(actor, pk)
    services.subscriber_mark_bounced(actor=actor, subscriber=subscriber)
    messages.success(request, _("The address was marked bounced: nothing more is sent to it."))
    return redirect("subscriptions:subscriber_detail", pk)


def counts_csv(request):
    actor = request.actor
    policy.require(actor, MANAGE)
    topics = selectors.topics_with_counts(actor)
    header = [_("Key"), _("Topic"), _("Confirmed subscribers"), _("Waiting for confirmation")]
    rows = [[t.key, t.name, t.confirmed, t.waiting] for t in topics]
    response = HttpResponse(write_csv(header, rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="subscribers-{stamp}.csv"'
    return response
