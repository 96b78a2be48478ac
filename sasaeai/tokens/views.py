"""「APIトークン」: one's own personal tokens and, for system admins, the tenant's service tokens.

A new token is shown once, in the response to the form that created it; only its prefix is
kept readable. The API docs page serves Swagger UI from our own static files.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts import policy
from sasaeai.tokens import selectors, services
from sasaeai.tokens.forms import ServiceTokenForm, TokenForm


def _page(request, *, form=None, service_form=None, created=None, status=200):
    actor = request.actor
    manages_service = policy.has_permission(actor, "tokens.manage_service")
    context = {
        "form": form or TokenForm(prefix="personal"),
        "service_form": (service_form or ServiceTokenForm(prefix="service"))
        if manages_service
        else None,
        "tokens": selectors.own_tokens(actor),
        "service_tokens": selectors.service_tokens(actor) if manages_service else None,
        "created": created,
    }
    return render(request, "tokens/token_list.html", context, status=status)


def token_list(request):
    policy.require(request.actor, "tokens.use_personal")
    return _page(request)


def _create(request, form, create):
    if not form.is_valid():
        return None
    try:
        return create(form.cleaned_data)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None


@require_POST
def token_create(request):
    actor = request.actor
    policy.require(actor, "tokens.use_personal")
    form = TokenForm(request.POST, prefix="personal")
    created = _create(
        request,
        form,
        lambda data: services.create_personal_token(
            actor, name=data["name"], scopes=data["scopes"], lifetime_days=data["lifetime_days"]
        ),
    )
    if created is None:
        return _page(request, form=form, status=422)
    return _page(request, created=created)


@require_POST
def service_token_create(request):
    actor = request.actor
    policy.require(actor, "tokens.manage_service")
    form = ServiceTokenForm(request.POST, prefix="service")
    created = _create(
        request,
        form,
        lambda data: services.create_service_token(
            actor,
            name=data["name"],
            role=data["role"],
            scopes=data["scopes"],
            lifetime_days=data["lifetime_days"],
        ),
    )
    if created is None:
        return _page(request, service_form=form, status=422)
    return _page(request, created=created)


@require_POST
def token_revoke(request, pk: int):
    actor = request.actor
    policy.require(actor, "tokens.use_personal")
    token = selectors.token_of_tenant(actor, pk)
    if token is None:
        raise Http404
    if not services.can_revoke(actor, token):
        raise PermissionDenied
    services.revoke_token(actor, token)
    messages.success(
        request, _("The token %(prefix)s is revoked.") % {"prefix": token.public_prefix}
    )
    return redirect("tokens:token_list")


def api_docs(request):
    """Swagger UI for the OpenAPI document, from ninja's bundled static files (no CDN)."""
    policy.require(request.actor, "tokens.view_api_docs")
    swagger_settings = {
        "url": reverse("api:openapi-json"),
        "layout": "BaseLayout",
        "deepLinking": True,
        # Swagger UI would send the document to validator.swagger.io for a badge.
        "validatorUrl": None,
    }
    return render(
        request,
        "tokens/api_docs.html",
        {"swagger_settings": swagger_settings},
    )
