from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "sasaeai.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.core import events, modules

        # Each job kind names its own permission (core.jobs); this one is the admin's list.
        # "My jobs" is in the navigation of the roles that can start one: every job kind's
        # permission is held only by them (tests/jobs/test_jobs.py checks it), so residents and
        # volunteers, who start none, do not see an empty page in their menu.
        register_permissions(
            {
                "jobs.view_all_jobs": {Role.SYSTEM_ADMIN},
                "jobs.view_own_jobs": STAFF | {Role.PLAN_COMMITTEE_MEMBER},
            }
        )

        for key, label in (
            ("jobs.import_finished", _("Your import has finished")),
            ("jobs.report_ready", _("Your report is ready")),
            ("jobs.failed", _("Your job could not be completed")),
        ):
            events.register(events.EventKind(key, label, asks_action=False, source="jobs"))

        modules.register(
            modules.Module(
                key="jobs",
                label=_("My jobs"),
                url_name="jobs:job_list",
                permission="jobs.view_own_jobs",
                order=90,
            )
        )
