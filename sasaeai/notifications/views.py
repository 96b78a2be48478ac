"""「お知らせ」(notifications): the bell, the list, open-and-mark-read, e-mail preferences."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.notifications import selectors, services
from sasaeai.notifications.forms import PreferencesForm

PAGE_SIZE = 30


def bell(request):
    """The header's bell (an htmx partial loaded once per page, no polling): the unread count."""
    actor = request.actor
    count = selectors.unread_count(actor) if actor.is_member else 0
    return render(request, "notifications/_bell.html", {"unread": count})


def notification_list(request):
    actor = request.actor
    policy.require(actor, "notifications.view_own")
    page = Paginator(selectors.notifications_of(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.label = selectors.kind_label(row.kind)
    return render(
        request,
        "notifications/notification_list.html",
        {"page": page, "unread": selectors.unread_count(actor)},
    )


def notification_open(request, pk: int):
    """Mark read, then go to the target page, which applies its own permissions."""
    actor = request.actor
    policy.require(actor, "notifications.view_own")
    notification = services.notification_mark_read(actor=actor, notification_id=pk)
    if not url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect("notifications:notification_list")
    return redirect(notification.url)


@require_POST
def notifications_read_all(request):
    actor = request.actor
    policy.require(actor, "notifications.view_own")
    count = services.notifications_mark_all_read(actor=actor)
    messages.success(request, _("Notifications marked read: %(count)s") % {"count": count})
    return redirect("notifications:notification_list")


def preferences(request):
    actor = request.actor
    policy.require(actor, "notifications.view_own")
    current = selectors.preferences_of(actor)
    form = PreferencesForm(request.POST or None, kinds=current)
    if request.method == "POST" and form.is_valid():
        services.preferences_set(actor=actor, choices=form.choices())
        messages.success(request, _("Your e-mail preferences were saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
