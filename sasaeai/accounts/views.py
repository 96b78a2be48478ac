import base64

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from sasaeai.accounts import policy, selectors, services
from sasaeai.accounts.forms import LoginForm, MemberFilterForm, OtpTokenForm
from sasaeai.accounts.middleware import (
    SESSION_TENANT_KEY,
    tenant_choice_exempt,
    two_factor_exempt,
)
from sasaeai.accounts.models import Membership
from sasaeai.audit.models import Action
from sasaeai.audit.services import Event, audit_event, audit_object, audit_reads
from sasaeai.core.http import safe_next_url

PAGE_SIZE = 50


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_initial(self):
        # The invitation page sends a new member here with their user name filled in.
        return {"username": self.request.GET.get("username", "")[:150]}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reason"] = self.request.GET.get("reason", "")
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_event(
            policy.Actor(
                user_id=form.get_user().pk,
                username=form.get_user().get_username(),
                tenant_id=None,
                membership_id=None,
                role=None,
                ip_address=self.request.META.get("REMOTE_ADDR"),
            ),
            Event(
                action=Action.LOGIN, object_type="accounts.user", object_id=str(form.get_user().pk)
            ),
        )
        return response

    def form_invalid(self, form):
        audit_event(
            self.request.actor,
            Event(
                action=Action.LOGIN_FAILED,
                object_type="accounts.user",
                object_repr=form.data.get("username", "")[:150],
            ),
        )
        return super().form_invalid(form)


login_view = login_not_required(two_factor_exempt(tenant_choice_exempt(LoginView.as_view())))


@require_POST
@two_factor_exempt
@tenant_choice_exempt
def logout_view(request):
    audit_event(
        request.actor,
        Event(action=Action.LOGOUT, object_type="accounts.user", object_id=str(request.user.pk)),
    )
    return auth_views.LogoutView.as_view()(request)


@login_not_required
def lockout(request, credentials=None, *args, **kwargs):
    return render(request, "accounts/locked_out.html", status=429)


def _pass_second_factor(request, device) -> None:
    otp_login(request, device)
    # A new session key for the now fully signed-in session (its data kept): a key seen or set
    # before the second factor is worth nothing after it.
    request.session.cycle_key()


@two_factor_exempt
@tenant_choice_exempt
def otp_verify(request):
    device = services.totp_device_for(request.user)
    if device is None:
        return HttpResponseRedirect(
            f"{reverse('accounts:otp_setup')}?next={request.GET.get('next', '')}"
        )
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            _pass_second_factor(request, device)
            return HttpResponseRedirect(safe_next_url(request))
        form.add_error("token", _("The code is wrong or has expired. Try the current code."))
    return render(request, "accounts/otp_verify.html", {"form": form})


@two_factor_exempt
@tenant_choice_exempt
def otp_setup(request):
    """First-time TOTP enrolment: show the key as a QR code, confirm it with one code."""
    if services.totp_device_for(request.user) is not None:
        return HttpResponseRedirect(reverse("accounts:otp_verify"))
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST":
        device = request.user.totpdevice_set.filter(confirmed=False).first()
        if device and form.is_valid():
            if services.totp_device_confirm(device=device, token=form.cleaned_data["token"]):
                _pass_second_factor(request, device)
                messages.success(request, _("Two-factor authentication is set up."))
                return HttpResponseRedirect(safe_next_url(request))
            form.add_error("token", _("The code is wrong or has expired. Try the current code."))
    else:
        device = services.totp_device_start(user=request.user)
    import segno

    qr = segno.make(device.config_url, micro=False)
    # Authenticator apps take a key typed by hand in base32 (RFC 4648, as in the QR code's
    # otpauth:// URL), not the hex that django-otp stores.
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(
        request,
        "accounts/otp_setup.html",
        {"form": form, "qr_svg_uri": qr.svg_data_uri(scale=4), "secret": secret},
    )


@tenant_choice_exempt
def tenant_choose(request):
    memberships = selectors.memberships_of(request.user)
    if request.method == "POST":
        tenant_id = request.POST.get("tenant", "")
        membership = (
            selectors.membership_for(user_id=request.user.pk, tenant_id=int(tenant_id))
            if tenant_id.isdigit()
            else None
        )
        if membership is None:
            return render(
                request,
                "accounts/tenant_choose.html",
                {
                    "memberships": memberships,
                    "error": _("No such tenant, or you are not a member of it."),
                },
                status=404,
            )
        request.session[SESSION_TENANT_KEY] = membership.tenant_id
        messages.success(request, _("Switched to %(tenant)s.") % {"tenant": membership.tenant})
        return HttpResponseRedirect(reverse("core:home"))
    return render(request, "accounts/tenant_choose.html", {"memberships": memberships})


def member_list(request):
    policy.require(request.actor, "accounts.view_member")
    form = MemberFilterForm(request.GET or None)
    query = role = ""
    if form.is_valid():
        query, role = form.cleaned_data["q"], form.cleaned_data["role"]
    members = selectors.members_visible_to(request.actor, query=query, role=role)
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_reads(request.actor, page.object_list, subject_of=lambda m: m.user)
    template = "accounts/_member_rows.html" if request.htmx else "accounts/member_list.html"
    can_import = policy.can(request.actor, "accounts.manage_member")
    return render(request, template, {"page": page, "form": form, "can_import": can_import})


def member_detail(request, pk: int):
    membership = get_object_or_404(
        selectors.with_invitation_state(Membership.objects.select_related("user", "tenant")),
        pk=pk,
    )
    policy.require(request.actor, "accounts.view_member", membership)
    audit_object(request.actor, Action.READ, membership, subject=membership.user)
    return render(
        request,
        "accounts/member_detail.html",
        {
            "membership": membership,
            "can_manage": policy.can(request.actor, "accounts.manage_member", membership),
        },
    )


@require_POST
def member_deactivate(request, pk: int):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    policy.require(request.actor, "accounts.manage_member", membership)
    if membership.user_id == request.user.pk:
        messages.error(request, _("You cannot disable your own account."))
    else:
        services.user_deactivate(actor=request.actor, user=membership.user)
        messages.success(
            request, _("%(user)s is disabled and signed out.") % {"user": membership.user}
        )
    return HttpResponseRedirect(reverse("accounts:member_detail", args=[pk]))
