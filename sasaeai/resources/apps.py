from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "sasaeai.resources"
    label = "resources"
    verbose_name = _("Community resources")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.core import modules

        editors = {Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF,
                   Role.COMMUNITY_SOCIAL_WORKER, Role.VOLUNTEER_COORDINATOR}  # fmt: skip
        register_permissions(
            {
                # Published records are public; these cover unpublished ones and the staff pages.
                "resources.view_resource": STAFF | {Role.WELFARE_COMMISSIONER},
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
