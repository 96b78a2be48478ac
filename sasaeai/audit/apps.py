from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "sasaeai.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from sasaeai.core import modules

        modules.register(
            modules.Module(
                key="audit",
                label=_("Audit log"),
                url_name="audit:entry_list",
                permission="audit.view_log",
                order=99,
            )
        )
