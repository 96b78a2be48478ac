from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "sasaeai.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from sasaeai.accounts import (
            onboarding,
            signals,  # noqa: F401  (session bookkeeping on login)
        )
        from sasaeai.core import modules

        modules.register(
            modules.Module(
                key="members",
                label=_("Users"),
                url_name="accounts:member_list",
                permission="accounts.view_member",
                order=95,
            )
        )
        onboarding.register()  # go-live checklist item
        register_commissioner_metric()

        from sasaeai.accounts.jobs import APPLY
        from sasaeai.core import jobs

        jobs.register(APPLY)


def register_commissioner_metric() -> None:
    """民生委員・児童委員の充足率 as far as the system knows it: the share of commissioner
    districts that an active commissioner covers (their own or a parent area)."""
    from sasaeai.core import metrics

    def coverage(tenant_id: int, fiscal_year: int) -> float | None:
        from django.db.models import Q

        from sasaeai.accounts.models import Membership, Role
        from sasaeai.core.models import Area, AreaKind

        districts = Area.objects.filter(tenant_id=tenant_id, kind=AreaKind.COMMISSIONER_DISTRICT)
        total = districts.count()
        if not total:
            return None
        assigned = Membership.objects.filter(
            tenant_id=tenant_id, role=Role.WELFARE_COMMISSIONER, user__is_active=True
        ).values("areas")
        covered = districts.filter(Q(pk__in=assigned) | Q(parent_id__in=assigned)).count()
        return round(covered * 100 / total, 1)

    metrics.register(
        metrics.Metric(
            key="accounts.commissioner_district_coverage",
            label=_("Commissioner districts covered by a commissioner (current)"),
            unit="%",
            compute=coverage,
            source="accounts",
        )
    )
