from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "sasaeai.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from sasaeai.accounts import signals  # noqa: F401  (session bookkeeping on login)
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
