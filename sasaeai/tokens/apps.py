from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TokensConfig(AppConfig):
    name = "sasaeai.tokens"
    label = "tokens"
    verbose_name = _("API tokens")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.core import modules

        # Personal tokens: staff roles only. A token skips the two-factor step of a session,
        # so only roles that must pass it to create one, and only employees whose offices run
        # integrations; not welfare commissioners (volunteers working from home, limited to
        # their districts), agency workers (outside organisations), residents or volunteers.
        register_permissions(
            {
                "tokens.use_personal": STAFF,
                "tokens.manage_service": frozenset({Role.SYSTEM_ADMIN}),
                "tokens.view_all": frozenset({Role.SYSTEM_ADMIN}),
                "tokens.view_api_docs": STAFF,
            }
        )
        modules.register(
            modules.Module(
                key="tokens",
                label=_("API tokens"),
                url_name="tokens:token_list",
                permission="tokens.use_personal",
                order=97,
            )
        )
