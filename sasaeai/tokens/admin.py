from django.contrib import admin

from sasaeai.admin_site import PolicyAdmin
from sasaeai.tokens.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(PolicyAdmin):
    """Read only: tokens are created and revoked on the 「APIトークン」 page; no hash shown."""

    view_permission = "tokens.view_all"
    list_display = [
        "name",
        "kind",
        "user",
        "role",
        "prefix",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["kind"]
    search_fields = ["name", "prefix"]
    exclude = ["secret_hash"]
    readonly_fields = [
        "tenant", "kind", "name", "user", "role", "prefix", "scopes", "created_at", "expires_at",
        "revoked_at", "last_used_at", "created_by",
    ]  # fmt: skip
