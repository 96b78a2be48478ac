from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoliveConfig(AppConfig):
    name = "sasaeai.golive"
    label = "golive"
    verbose_name = _("Go-live")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import register_permissions
        from sasaeai.core import checklist, modules
        from sasaeai.golive.selectors import backups_state

        register_permissions({"golive.view_checklist": {Role.SYSTEM_ADMIN}})
        modules.register(
            modules.Module(
                key="golive",
                label=_("Go-live checklist"),
                url_name="golive:checklist",
                permission="golive.view_checklist",
                order=95,
            )
        )
        checklist.register(
            checklist.ChecklistItem("golive.backups", _("Backups"), backups_state, order=60)
        )
