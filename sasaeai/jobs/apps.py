from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "sasaeai.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import register_permissions
        from sasaeai.core import modules

        # Each job kind names its own permission (core.jobs); this one is the admin's list.
        register_permissions({"jobs.view_all_jobs": {Role.SYSTEM_ADMIN}})

        modules.register(
            modules.Module(
                key="jobs", label=_("My jobs"), url_name="jobs:job_list", permission=None, order=90
            )
        )
