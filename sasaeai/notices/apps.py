from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "sasaeai.notices"
    label = "notices"
    verbose_name = _("Notices to residents")

    def ready(self):
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.core import broadcasts, demo, metrics, modules, public_site
        from sasaeai.notices import selectors, services
        from sasaeai.notices.demo import load_notices

        # Every staff role writes to residents (the city, the council, its community social
        # workers and volunteer coordinators); commissioners and residents do not.
        register_permissions({"notices.manage": STAFF})
        modules.register(
            modules.Module(
                key="notices",
                label=_("Notices to residents"),
                url_name="notices:notice_list",
                permission="notices.manage",
                order=35,
            )
        )
        broadcasts.register_source(services.SOURCE_KEY, services.render_broadcast)
        public_site.register(
            public_site.PublicPage(
                key="notices",
                label=_("Notices"),
                url=selectors.public_notices_url,
                order=30,
                description=_("News from the city and the social welfare council."),
            )
        )
        metrics.register(
            metrics.Metric(
                key="notices.published",
                label=_("Notices to residents published"),
                unit=_("notices"),
                compute=_in_tenant(selectors.count_published),
                source="notices",
            )
        )
        metrics.register(
            metrics.Metric(
                key="notices.mailed",
                label=_("Notices to residents sent by e-mail"),
                unit=_("notices"),
                compute=_in_tenant(selectors.count_mailed),
                source="notices",
            )
        )
        demo.register_demo_loader(load_notices, order=40)


def _in_tenant(count):
    def compute(tenant_id: int, fiscal_year: int) -> int:
        from sasaeai.core.tenancy import tenant_context

        with tenant_context(tenant_id):
            return count(tenant_id, fiscal_year)

    return compute
