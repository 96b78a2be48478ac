from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WatchConfig(AppConfig):
    name = "sasaeai.watch"
    label = "watch"
    verbose_name = _("Watch-over")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import register_permissions

        desk = {Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF, Role.COMMUNITY_SOCIAL_WORKER}
        # System administrators see no personal content here: they run the system.
        register_permissions(
            {
                # Row rules: commissioners their districts, volunteers whom they watch.
                "watch.view": desk | {Role.WELFARE_COMMISSIONER, Role.VOLUNTEER},
                "watch.manage": desk | {Role.WELFARE_COMMISSIONER},
                "watch.record_contact": desk | {Role.WELFARE_COMMISSIONER, Role.VOLUNTEER},
                "watch.manage_partners": desk | {Role.SYSTEM_ADMIN},
                "watch.view_reports": desk,
                "watch.view_map": desk | {Role.WELFARE_COMMISSIONER},
                "watch.manage_map": desk | {Role.WELFARE_COMMISSIONER},
            }
        )  # fmt: skip
        # w3partners: partner reports (event, metrics).
        from sasaeai.watch.partners import partner_metrics, register_partner_events

        register_partner_events()
        partner_metrics()
        # w3partners: demo partners, reports and a 支え合いマップ (after w1watch's demo).
        from sasaeai.core import demo as core_demo
        from sasaeai.watch.partners import load_partner_demo

        core_demo.register_demo_loader(load_partner_demo, order=28)
