"""The go-live checklist (a tenant's system admin) and the system operator's tenant pages."""

from functools import wraps
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from sasaeai.accounts.middleware import tenant_choice_exempt
from sasaeai.core.forms import add_validation_errors
from sasaeai.core.models import Tenant
from sasaeai.golive import selectors, services
from sasaeai.golive.forms import TenantCreateForm


def checklist(request):
    rows = selectors.checklist_for(request.actor)  # system admins only (403 otherwise)
    tenant = Tenant.objects.get(pk=request.actor.tenant_id)
    counts = {state: sum(1 for row in rows if row.state == state)
              for state in (selectors.DONE, selectors.TODO, selectors.WARNING)}  # fmt: skip
    return render(
        request, "golive/checklist.html", {"rows": rows, "tenant": tenant, "counts": counts}
    )


def operator_only(view):
    """Django superusers only, across tenants, after their second factor. Anyone else gets 404:
    the page does not exist for them."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_superuser:
            raise Http404
        if not request.user.is_verified():
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('accounts:otp_verify')}?{query}")
        return view(request, *args, **kwargs)

    # An operator need not belong to any tenant.
    return tenant_choice_exempt(wrapped)


@operator_only
def tenant_list(request):
    return render(request, "golive/tenant_list.html", {"tenants": selectors.tenants_for_operator()})


@operator_only
def tenant_new(request):
    form = TenantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.tenant_create(actor=request.actor, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            # Rendered, not redirected: the one-time password is shown on this response only.
            return render(request, "golive/tenant_created.html", {"result": result})
    return render(request, "golive/tenant_form.html", {"form": form})
