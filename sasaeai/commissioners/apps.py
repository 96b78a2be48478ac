from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionersConfig(AppConfig):
    name = "sasaeai.commissioners"
    label = "commissioners"
    verbose_name = _("Welfare commissioners' activity records")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import register_permissions
        from sasaeai.commissioners import rules
        from sasaeai.commissioners.demo import load_commissioners
        from sasaeai.commissioners.metrics import register_metrics
        from sasaeai.core import demo, modules

        office = {Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF}
        register_permissions(
            {
                # Row rule: a commissioner their own entries and months; the office all.
                "commissioners.view": office | {Role.WELFARE_COMMISSIONER},
                "commissioners.record": office | {Role.WELFARE_COMMISSIONER},
                # Locking a month for the 定例会, and correcting a locked one.
                "commissioners.lock": office,
                # Counts only (districts, fiscal year): no commissioner is named.
                "commissioners.view_totals": office | {Role.SYSTEM_ADMIN},
            }
        )  # fmt: skip
        rules.register()
        modules.register(
            modules.Module(
                key="commissioners",
                label=_("Activity records"),
                url_name="commissioners:home",
                permission="commissioners.view",
                order=47,
            )
        )
        register_metrics()
        # Before the plans (order 50), whose demo indicators read these metrics.
        demo.register_demo_loader(load_commissioners, order=29)
