from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "sasaeai.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        from sasaeai.core import modules

        modules.register(
            modules.Module(
                key="jobs", label=_("My jobs"), url_name="jobs:job_list", permission=None, order=90
            )
        )
