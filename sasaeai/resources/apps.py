from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "sasaeai.resources"
    label = "resources"
    verbose_name = _("Community resources")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.core import demo, modules
        from sasaeai.resources import onboarding
        from sasaeai.resources.demo import load_resources
        from sasaeai.resources.metrics import register_metrics

        editors = {Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF,
                   Role.COMMUNITY_SOCIAL_WORKER, Role.VOLUNTEER_COORDINATOR}  # fmt: skip
        register_permissions(
            {
                # Published records are public; these cover unpublished ones and the staff pages.
                "resources.view_resource": STAFF,
                "resources.manage_resource": editors,
                "resources.import_resource": {Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF,
                                              Role.WELFARE_COUNCIL_STAFF},
                "resources.review_proposal": editors,
                "resources.manage_map": {Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF},
            }
        )  # fmt: skip
        modules.register(
            modules.Module(
                key="resources",
                label=_("Community resources"),
                url_name="resources:staff_list",
                permission="resources.view_resource",
                order=30,
            )
        )
        register_metrics()
        from sasaeai.core import places as core_places
        from sasaeai.resources.places import places

        core_places.register_source(places)  # 福祉避難所 and other modules' places by category
        onboarding.register()  # a new tenant's defaults, go-live checklist items
        # Before the plans (order 50), whose demo indicators read these metrics.
        demo.register_demo_loader(load_resources, order=20)
        from sasaeai.core import jobs
        from sasaeai.resources.jobs import APPLY

        jobs.register(APPLY)
        from sasaeai.core import public_site
        from sasaeai.resources.public_urls import map_url

        public_site.register(
            public_site.PublicPage(
                key="resources.map",
                label=_("Community resources map"),
                url=map_url,
                order=20,
                description=_(
                    "Places to consult, gatherings, children's cafeterias, care services and "
                    "shelters near you."
                ),
            )
        )
