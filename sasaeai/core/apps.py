from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sasaeai.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import register_permissions
        from sasaeai.core import checklist, metrics, modules, rls

        # Importing a districts file replaces many areas at once: system admins only.
        register_permissions({"core.import_area": {Role.SYSTEM_ADMIN}})

        # Row-level security and the application role's grants follow the models: a new
        # module's tenant-scoped tables are covered after its first migrate, untouched here.
        post_migrate.connect(rls.apply_after_migrate, dispatch_uid="sasaeai-rls")
        modules.register(
            modules.Module(
                key="home", label=_("Home"), url_name="core:home", permission=None, order=0
            )
        )
        modules.register(
            modules.Module(
                key="areas",
                label=_("Areas"),
                url_name="core:area_list",
                permission="core.view_area",
                order=90,
            )
        )
        metrics.register_core_metrics()

        from sasaeai.core import jobs
        from sasaeai.core.import_jobs import APPLY

        jobs.register(APPLY)
        checklist.register_core_items()

        from sasaeai.core import public_site

        public_site.register_home()
