from django.contrib import admin

from sasaeai.accounts.models import Invitation, Membership
from sasaeai.admin_site import PolicyAdmin


@admin.register(Membership)
class MembershipAdmin(PolicyAdmin):
    view_permission = "accounts.view_member"
    list_display = ["user", "role", "organisation", "department", "is_active"]
    list_filter = ["role", "organisation", "is_active"]
    list_select_related = ["user", "tenant"]
    search_fields = ["search_text"]


@admin.register(Invitation)
class InvitationAdmin(PolicyAdmin):
    """View only: invitations are sent and revoked on the member's page (audited there)."""

    view_permission = "accounts.manage_member"
    list_display = ["user", "created_at", "expires_at", "accepted_at", "revoked_at", "sent_by"]
    list_select_related = ["user", "sent_by"]
    fields = ["user", "created_at", "expires_at", "accepted_at", "revoked_at", "sent_by"]
    readonly_fields = fields
