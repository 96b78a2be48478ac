"""Django's admin, behind the same rules as every page: the policy decides, per tenant."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from sasaeai.accounts import policy
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_object


class SasaeaiAdminSite(admin.AdminSite):
    site_header = _("Sasaeai administration")
    site_title = _("Sasaeai administration")

    def has_permission(self, request):
        actor = getattr(request, "actor", policy.ANONYMOUS)
        return request.user.is_active and policy.has_permission(actor, "admin.access")

    def login(self, request, extra_context=None):
        # One login for the whole site, with its throttling and two-factor step.
        next_url = request.GET.get("next", reverse("admin:index"))
        return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")


class PolicyAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows and rights come from the policy, and whose reads are audited."""

    view_permission: str = ""
    manage_permission: str = ""

    def get_queryset(self, request):
        return policy.scope(request.actor, self.view_permission, super().get_queryset(request))

    def has_module_permission(self, request):
        return policy.has_permission(request.actor, self.view_permission)

    def has_view_permission(self, request, obj=None):
        return policy.has_permission(request.actor, self.view_permission) and (
            obj is None or policy.can(request.actor, self.view_permission, obj)
        )

    def has_add_permission(self, request):
        return bool(self.manage_permission) and policy.has_permission(
            request.actor, self.manage_permission
        )

    def has_change_permission(self, request, obj=None):
        return bool(self.manage_permission) and (
            policy.has_permission(request.actor, self.manage_permission)
            if obj is None
            else policy.can(request.actor, self.manage_permission, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and obj is not None:
            audit_object(request.actor, Action.READ, obj)
        return response

    def log_addition(self, request, obj, message):
        audit_object(request.actor, Action.CREATE, obj)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        audit_object(request.actor, Action.UPDATE, obj, detail={"admin": str(message)[:500]})
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit_object(request.actor, Action.DELETE, obj)
        return super().log_deletions(request, queryset)
