from django.contrib.admin.apps import AdminConfig


class SasaeaiAdminConfig(AdminConfig):
    default_site = "sasaeai.admin_site.SasaeaiAdminSite"
