from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "sasaeai.subscriptions"
    label = "subscriptions"
    verbose_name = _("E-mail subscriptions")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import STAFF, register_permissions
        from sasaeai.core import demo, modules, public_site
        from sasaeai.core import jobs as job_registry
        from sasaeai.subscriptions import channel, onboarding
        from sasaeai.subscriptions.demo import load_subscriptions
        from sasaeai.subscriptions.jobs import SEND
        from sasaeai.subscriptions.metrics import register_metrics

        register_permissions(
            {
                # Residents' addresses: the staff who run the lists. Not the system
                # administrator, whose work (accounts, settings) needs no resident's address.
                "subscriptions.manage": {Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF,
                                         Role.VOLUNTEER_COORDINATOR},
                # Starting a mailing (the job a published notice queues): any staff member whom
                # the sending module lets publish; the job shows no addresses.
                "subscriptions.send": STAFF,
            }
        )  # fmt: skip
        modules.register(
            modules.Module(
                key="subscriptions",
                label=_("E-mail subscriptions"),
                url_name="subscriptions:topic_list",
                permission="subscriptions.manage",
                order=45,
            )
        )
        channel.register()
        job_registry.register(SEND)
        register_metrics()
        onboarding.register()
        # Before the plans (order 50), whose indicators 46 and 47 of 所沢市 read the metric.
        demo.register_demo_loader(load_subscriptions, order=20)
        public_site.register(
            public_site.PublicPage(
                key="subscriptions",
                label=_("E-mail news"),
                url=public_subscribe_url,
                order=60,
                description=_(
                    "Receive the city's and the council's news by e-mail; stop any time."
                ),
            )
        )


def public_subscribe_url(tenant) -> str:
    from django.urls import reverse

    return reverse("subscriptions_public:subscribe", args=[tenant.code])
