from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionersConfig(AppConfig):
    name = "sasaeai.commissioners"
    label = "commissioners"
    verbose_name = _("Welfare commissioners' activity records")
