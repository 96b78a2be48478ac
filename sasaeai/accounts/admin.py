from django.contrib import admin

from sasaeai.accounts.models import Membership
from sasaeai.admin_site import PolicyAdmin


@admin.register(Membership)
class MembershipAdmin(PolicyAdmin):
    view_permission = "accounts.view_member"
    list_display = ["user", "role", "organisation", "department", "is_active"]
    list_filter = ["role", "organisation", "is_active"]
    list_select_related = ["user", "tenant"]
    search_fields = ["search_text"]
