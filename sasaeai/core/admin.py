from django.contrib import admin

from sasaeai.admin_site import PolicyAdmin
from sasaeai.core import services
from sasaeai.core.models import Area


@admin.register(Area)
class AreaAdmin(PolicyAdmin):
    view_permission = "core.view_area"
    manage_permission = "core.manage_area"
    list_display = ["name", "name_kana", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["search_text"]
    list_select_related = ["parent"]
    fields = ["kind", "code", "name", "name_kana", "parent", "boundary"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["parent"].queryset = form.base_fields["parent"].queryset.filter(
            tenant_id=request.actor.tenant_id
        )
        return form

    def save_model(self, request, obj, form, change):
        # Writes go through the domain functions, which validate and audit.
        data = {name: form.cleaned_data[name] for name in self.fields if name != "parent"}
        data["parent_id"] = form.cleaned_data["parent"].pk if form.cleaned_data["parent"] else None
        if change:
            services.area_update(actor=request.actor, area=obj, **data)
        else:
            created = services.area_create(
                actor=request.actor, tenant_id=request.actor.tenant_id, **data
            )
            obj.pk = created.pk

    def delete_model(self, request, obj):
        services.area_delete(actor=request.actor, area=obj)

    def log_addition(self, request, obj, message):  # audited by the service
        return admin.ModelAdmin.log_addition(self, request, obj, message)

    def log_change(self, request, obj, message):
        return admin.ModelAdmin.log_change(self, request, obj, message)
