from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WatchConfig(AppConfig):
    name = "sasaeai.watch"
    label = "watch"
    verbose_name = _("Watch-over")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import register_permissions
        from sasaeai.core import demo, modules
        from sasaeai.watch import rules, visits
        from sasaeai.watch.demo import load_watch
        from sasaeai.watch.metrics import register_metrics
        from sasaeai.watch.partners import (
            load_partner_demo,
            partner_metrics,
            register_partner_events,
        )

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
        rules.register()
        visits.register()
        register_metrics()
        modules.register(
            modules.Module(
                key="watch", label=_("Watch-over"), url_name="watch:home",
                permission="watch.view", order=47,
            )
        )  # fmt: skip
        # Before the plans (order 50), whose demo indicators read the watch metrics.
        demo.register_demo_loader(load_watch, order=27)
        # Partners' reports (an event for urgent ones, two metrics) and their demo with a
        # 支え合いマップ, after the watch list's demo.
        register_partner_events()
        partner_metrics()
        demo.register_demo_loader(load_partner_demo, order=28)
