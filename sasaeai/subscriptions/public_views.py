"""The residents' pages under /mail/<tenant code>/: no login, nothing personal shown.

Mail scanners open links in mails (GET) to check them, so a GET never changes anything: the
confirmation and opt-out links show a page with one button, which POSTs.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from sasaeai.core.forms import add_validation_errors
from sasaeai.core.public_site import public_page
from sasaeai.subscriptions import selectors, services
from sasaeai.subscriptions.forms import ChoicesForm, SubscribeForm
from sasaeai.subscriptions.models import SubscriberStatus


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _over_limit(request, tenant) -> bool:
    """SUBSCRIPTIONS_REQUESTS_PER_HOUR subscribe requests per address of the sender, per tenant
    (the cache: a rough guard against a script filling the form; the per-mail-address limit in
    services.subscription_request is the one that stops mail bombing)."""
    key = f"subscriptions:rate:{tenant.pk}:{_ip(request)}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:
        return False
    return count > settings.SUBSCRIPTIONS_REQUESTS_PER_HOUR


@public_page
def subscribe(request, tenant):
    topics = list(selectors.public_topics(tenant.pk))
    language = "en" if request.LANGUAGE_CODE == "en" else "ja"
    form = SubscribeForm(
        request.POST or None, tenant_id=tenant.pk, topics=topics, language=language,
        initial={"language": language},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        if _over_limit(request, tenant):
            return render(request, "subscriptions/public/too_many.html", {"tenant": tenant},
                          status=429)  # fmt: skip
        try:
            services.subscription_request(
                tenant_id=tenant.pk, email=form.cleaned_data["email"], choices=form.choices(),
                ip_address=_ip(request),
            )  # fmt: skip
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            return redirect("subscriptions_public:sent", tenant.code)
    return render(
        request, "subscriptions/public/subscribe.html",
        {"tenant": tenant, "form": form, "topics": topics},
    )  # fmt: skip


@public_page
def sent(request, tenant):
    """The same page whether the address was new, waiting, confirmed or bounced."""
    return render(request, "subscriptions/public/sent.html", {"tenant": tenant})


@public_page
def confirm(request, tenant, token):
    try:
        subscriber = services.pending_for_token(tenant_id=tenant.pk, token=token)
        if request.method == "POST":
            services.subscription_confirm(tenant_id=tenant.pk, token=token, ip_address=_ip(request))
            return render(request, "subscriptions/public/confirmed.html", {"tenant": tenant})
    except services.LinkError:
        return render(request, "subscriptions/public/link_expired.html", {"tenant": tenant},
                      status=410)  # fmt: skip
    topics = [s.topic for s in subscriber.subscriptions.select_related("topic")]
    return render(
        request, "subscriptions/public/confirm.html",
        {"tenant": tenant, "topics": topics, "language": subscriber.language},
    )  # fmt: skip


def _unsubscribe(request, tenant, token):
    subscriber = services.subscriber_for_link(tenant_id=tenant.pk, token=token)
    if subscriber is None:
        return render(request, "subscriptions/public/link_invalid.html", {"tenant": tenant},
                      status=404)  # fmt: skip
    if request.method == "POST":
        services.subscriber_unsubscribe(
            tenant_id=tenant.pk, subscriber=subscriber, ip_address=_ip(request)
        )
        return render(request, "subscriptions/public/unsubscribed.html", {"tenant": tenant})
    return render(
        request, "subscriptions/public/unsubscribe.html",
        {
            "tenant": tenant,
            "subscribed": subscriber.status
            in (SubscriberStatus.CONFIRMED, SubscriberStatus.PENDING),
        },
    )  # fmt: skip


# RFC 8058 one-click: the mail program POSTs "List-Unsubscribe=One-Click" to the link in the
# List-Unsubscribe header, from no page of ours, so it cannot carry a CSRF token. Exempting
# this one view is safe: the signed token in the URL is the authority (a forged request would
# have to know it), and the only thing a POST can do here is stop the mail of that address.
unsubscribe = csrf_exempt(public_page(_unsubscribe))


@public_page
def preferences(request, tenant, token):
    subscriber = services.subscriber_for_link(tenant_id=tenant.pk, token=token)
    if subscriber is None or subscriber.status != SubscriberStatus.CONFIRMED:
        return render(request, "subscriptions/public/link_invalid.html", {"tenant": tenant},
                      status=404)  # fmt: skip
    topics = list(selectors.public_topics(tenant.pk))
    initial = {
        "topics": list(subscriber.subscriptions.values_list("topic__key", flat=True)),
        "areas": list(subscriber.areas.values_list("area_id", flat=True)),
        "audiences": list(subscriber.audiences.values_list("audience", flat=True)),
        "language": subscriber.language,
    }
    form = ChoicesForm(request.POST or None, tenant_id=tenant.pk, topics=topics,
                       language=subscriber.language, initial=initial)  # fmt: skip
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_save(
                tenant_id=tenant.pk, subscriber=subscriber, choices=form.choices(),
                ip_address=_ip(request),
            )  # fmt: skip
            saved = True
        except ValidationError as error:
            add_validation_errors(form, error)
    return render(
        request, "subscriptions/public/preferences.html",
        {"tenant": tenant, "form": form, "saved": saved, "token": token,
         "masked": _masked(subscriber.email)},
    )  # fmt: skip


def _masked(email: str) -> str:
    """y***@example.jp: enough for the owner to recognise, little for someone who got the link."""
    local, _sep, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"
