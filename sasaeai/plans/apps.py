from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "sasaeai.plans"
    label = "plans"
    verbose_name = _("Plans and progress")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import register_permissions
        from sasaeai.core import demo, events, jobs, modules
        from sasaeai.plans import onboarding
        from sasaeai.plans.demo import load_plans

        planners = {Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF}
        register_permissions(
            {
                # Committee members read everything the committee reviews; commissioners and
                # residents read the published plan outside the system.
                "plans.view_plan": planners
                | {
                    Role.COMMUNITY_SOCIAL_WORKER,
                    Role.VOLUNTEER_COORDINATOR,
                    Role.PLAN_COMMITTEE_MEMBER,
                },
                "plans.manage_plan": planners,
                "plans.record_actual": planners,
                "plans.draft_evaluation": planners
                | {Role.COMMUNITY_SOCIAL_WORKER, Role.VOLUNTEER_COORDINATOR},
                "plans.review_evaluation": planners,
                "plans.reopen_evaluation": {Role.SYSTEM_ADMIN},
            }
        )
        events.register(
            events.EventKind(
                "plans.evaluation_to_review",
                _("An evaluation is waiting for your review"),
                asks_action=True,
                source="plans",
            )
        )
        modules.register(
            modules.Module(
                key="plans",
                label=_("Plans"),
                url_name="plans:plan_list",
                permission="plans.view_plan",
                order=10,
            )
        )
        demo.register_demo_loader(load_plans)
        from sasaeai.plans.jobs import REPORT

        jobs.register(REPORT)
        onboarding.register()  # go-live checklist item
        from sasaeai.core import public_site
        from sasaeai.plans.public_urls import progress_url

        public_site.register(
            public_site.PublicPage(
                key="plans.progress",
                label=_("Plan progress"),
                url=progress_url,
                order=40,
                description=_("How the community welfare plan is progressing, year by year."),
            )
        )
