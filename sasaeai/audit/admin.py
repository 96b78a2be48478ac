from django.contrib import admin

from sasaeai.admin_site import PolicyAdmin
from sasaeai.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(PolicyAdmin):
    """Read-only: no code path changes or deletes audit entries."""

    view_permission = "audit.view_log"
    list_display = [
        "sequence",
        "occurred_at",
        "actor_username",
        "action",
        "object_type",
        "object_id",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_id", "subject_id"]
    # Older entries may carry a record's label (a name, a title): never shown, see audit.views.
    exclude = ["object_repr"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return admin.ModelAdmin.change_view(self, request, object_id, form_url, extra_context)
