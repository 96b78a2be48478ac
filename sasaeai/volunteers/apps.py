from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "sasaeai.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteers")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.core import demo, events, modules
        from sasaeai.volunteers import rules
        from sasaeai.volunteers.demo import load_volunteers
        from sasaeai.volunteers.metrics import register_metrics

        managers = {Role.SYSTEM_ADMIN, Role.WELFARE_COUNCIL_STAFF, Role.VOLUNTEER_COORDINATOR}
        register_permissions(
            {
                # Row rules narrow volunteers to their own records, residents to their requests.
                "volunteers.view": STAFF | {Role.VOLUNTEER, Role.RESIDENT},
                "volunteers.manage": managers,
                "volunteers.respond_offer": {Role.VOLUNTEER},
                "volunteers.report_activity": managers | {Role.VOLUNTEER},
                "volunteers.request_help": {Role.RESIDENT},
                "volunteers.view_statistics": STAFF,
            }
        )  # fmt: skip
        rules.register()
        modules.register(
            modules.Module(
                key="volunteers",
                label=_("Volunteers"),
                url_name="volunteers:home",
                permission="volunteers.view",
                order=45,
            )
        )
        for key, label, asks in (
            ("volunteers.offer_received", _("You received an offer to help"), True),
            ("volunteers.offer_answered", _("A helper answered an offer"), False),
            ("volunteers.offer_withdrawn", _("An offer to you was withdrawn"), True),
            ("volunteers.request_received", _("A new request for help"), True),
            ("volunteers.report_submitted", _("An activity report awaits sign-off"), True),
        ):
            events.register(
                events.EventKind(key=key, label=label, asks_action=asks, source="volunteers")
            )
        register_metrics()
        # Before the plans (order 50), whose demo indicators read these metrics.
        demo.register_demo_loader(load_volunteers, order=22)
