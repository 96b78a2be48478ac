from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterConfig(AppConfig):
    name = "sasaeai.disaster"
    label = "disaster"
    verbose_name = _("Disaster safety")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.disaster import rules

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
            }
        )  # fmt: skip
        rules.register()

        from sasaeai.disaster import emergency_metrics

        emergency_metrics.register_metrics()
