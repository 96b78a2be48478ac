from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterConfig(AppConfig):
    name = "sasaeai.disaster"
    label = "disaster"
    verbose_name = _("Disaster safety")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.core import demo, modules
        from sasaeai.disaster import emergency_metrics, rules
        from sasaeai.disaster.demo import load_register
        from sasaeai.disaster.evacuation_demo import load_evacuation
        from sasaeai.disaster.evacuation_metrics import register_metrics as evacuation_metrics
        from sasaeai.disaster.metrics import register_metrics

        city = {Role.MUNICIPAL_STAFF}
        council = {Role.WELFARE_COUNCIL_STAFF, Role.COMMUNITY_SOCIAL_WORKER}
        field = {Role.WELFARE_COMMISSIONER, Role.EVACUATION_HELPER}
        # Row rules (rules.py) decide which entries each of these roles sees.
        register_permissions(
            {
                "disaster.view_register": city | council | field | {Role.CARE_PLANNER},
                "disaster.manage_register": city,
                "disaster.record_consent": city | {Role.WELFARE_COMMISSIONER},
                "disaster.manage_settings": city | {Role.SYSTEM_ADMIN},
                "disaster.manage_recipients": city | {Role.SYSTEM_ADMIN},
                "disaster.declare": {Role.SYSTEM_ADMIN},
                "disaster.view_declarations": STAFF | field,
                "disaster.view_declaration_report": city | {Role.SYSTEM_ADMIN},
                "disaster.check_safety": city | council | field,
                "disaster.view_safety_progress": STAFF | field,
                "disaster.assign_plan": city | council,
                "disaster.edit_plan": city | council | {Role.CARE_PLANNER},
                "disaster.view_plan_coverage": STAFF,
                "disaster.manage_shelters": city | {Role.SYSTEM_ADMIN},
                "disaster.view_shelters": STAFF | field | {Role.CARE_PLANNER},
                # Plans follow their entry (rules.py); fees are the city's to pay.
                "disaster.view_plan": city | council | field | {Role.CARE_PLANNER},
                "disaster.view_plan_fees": city,
            }
        )  # fmt: skip
        rules.register()
        register_metrics()
        evacuation_metrics()
        emergency_metrics.register_metrics()
        modules.register(
            modules.Module(
                key="disaster",
                label=_("Disaster support"),
                url_name="disaster:home",
                permission="disaster.view_register",
                order=56,
            )
        )
        # A care planner's one module is this: their plans.
        modules.register(
            modules.Module(
                key="disaster_plans",
                label=_("Evacuation plans"),
                url_name="disaster:plan_list",
                permission="disaster.view_plan",
                order=57,
            )
        )
        # System administrators declare and end disaster mode; they see no one's record.
        modules.register(
            modules.Module(
                key="disaster_emergency",
                label=_("Disaster mode"),
                url_name="disaster:emergency_list",
                permission="disaster.declare",
                order=58,
            )
        )
        # Before the plans (order 50), whose demo indicators read these metrics: the register
        # first, then the evacuation plans of its people.
        demo.register_demo_loader(load_register, order=26)
        demo.register_demo_loader(load_evacuation, order=27)
