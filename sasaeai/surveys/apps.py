from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "sasaeai.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.core import demo, metrics, modules
        from sasaeai.surveys import selectors
        from sasaeai.surveys.demo import load_surveys

        # Staff who run surveys (and the system administrator); the plan committee reads the
        # results it evaluates the plan with, but sees no free-text answers (views).
        register_permissions(
            {
                "surveys.manage": STAFF,
                "surveys.view_results": STAFF | {Role.PLAN_COMMITTEE_MEMBER},
            }
        )
        modules.register(
            modules.Module(
                key="surveys",
                label=_("Surveys"),
                url_name="surveys:survey_list",
                permission="surveys.view_results",
                order=45,
            )
        )
        metrics.register_family(
            metrics.MetricFamily(
                key="surveys.share",
                label=_("Share of chosen answers in a survey question"),
                unit="%",
                compute=selectors.share_of,
                options=selectors.share_options,
                source="surveys",
            )
        )
        # Before the plans (order 50), whose demo indicators read these figures.
        demo.register_demo_loader(load_surveys, order=25)
