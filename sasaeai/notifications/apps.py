from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "sasaeai.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from sasaeai.accounts.policy import ALL_ROLES, register_permissions
        from sasaeai.core import events
        from sasaeai.notifications import services

        # Every member has their own notifications; nobody reads anyone else's.
        register_permissions({"notifications.view_own": ALL_ROLES})
        events.subscribe(services.event_deliver)
