from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    name = "sasaeai.consultation"
    label = "consultation"
    verbose_name = _("Consultation and support")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.consultation import onboarding
        from sasaeai.consultation.demo import load_consultation
        from sasaeai.consultation.metrics import register_metrics
        from sasaeai.consultation.rules import DESK_ROLES, register_rules
        from sasaeai.consultation.services import concern_receive
        from sasaeai.core import demo, events, intake, modules

        # What a module tells people (core.events; docs/notifications.md): labels only.
        for key, label, asks_action in (
            ("consultation.referral_received", _("A case was referred to your agency"), True),
            ("consultation.referral_accepted", _("An agency accepted your referral"), False),
            ("consultation.referral_declined", _("An agency declined your referral"), True),
            ("consultation.referral_reported", _("An agency reported on your referral"), True),
            ("consultation.task_assigned", _("A task was given to you"), True),
            ("consultation.task_due", _("A task of yours is due today"), True),
            ("consultation.task_overdue", _("A task of yours is overdue"), True),
            ("consultation.concern_received", _("A concern was passed on to the desk"), True),
        ):
            events.register(events.EventKind(key, label, asks_action, source="consultation"))

        desk = set(DESK_ROLES)
        supervisors = {Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF}
        register_permissions(
            {
                # Desk work; which rows each may see is decided by the rules (rules.py).
                "consultation.record_consultation": desk,
                "consultation.view_consultation": desk | {Role.WELFARE_COMMISSIONER, Role.AGENCY_WORKER},
                "consultation.pass_concern": desk | {Role.WELFARE_COMMISSIONER, Role.AGENCY_WORKER},
                "consultation.search_person": desk,
                "consultation.view_person": desk | {Role.AGENCY_WORKER},
                "consultation.manage_person": desk,
                "consultation.view_case": desk,
                "consultation.manage_case": desk,
                "consultation.view_referral": desk | {Role.AGENCY_WORKER},
                "consultation.send_referral": desk,
                "consultation.respond_referral": {Role.AGENCY_WORKER},
                # Sharing without consent is a judgement a supervisor signs, never a CSW alone.
                "consultation.override_consent": supervisors,
                "consultation.view_task": desk | {Role.AGENCY_WORKER},
                "consultation.hold_conference": desk,
                "consultation.view_statistics": STAFF | {Role.PLAN_COMMITTEE_MEMBER},
                "consultation.export_disclosure": supervisors,
                "consultation.manage_settings": {Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF},
            }
        )  # fmt: skip
        register_rules()
        intake.register_receiver(concern_receive)
        register_metrics()
        onboarding.register()  # a new tenant's concern list and settings
        # After the resources (20), before the plans (50), whose indicators read these metrics.
        demo.register_demo_loader(load_consultation, order=30)
        modules.register(
            modules.Module(
                key="consultation",
                label=_("Consultation and support"),
                url_name="consultation:home",
                permission="consultation.view_consultation",
                order=10,
            )
        )
