"""The admin site of MIAM, in French, and its discovery of the apps' admin modules."""

from importlib import import_module

from django.apps import apps
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig, SimpleAdminConfig
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

# django-leaflet's admin module imports GeoDjango (hence GDAL); MIAM uses only its template
# tags and settings, never its admin or form widgets.
NOT_DISCOVERED = {"leaflet"}


class MiamAdminSite(AdminSite):
    site_header = _("MIAM — administration")
    site_title = _("MIAM — administration")
    index_title = _("Administration du site")


class MiamAdminConfig(AdminConfig):
    default_site = "miam.admin_site.MiamAdminSite"

    def ready(self):
        SimpleAdminConfig.ready(self)
        for app_config in apps.get_app_configs():
            if app_config.name not in NOT_DISCOVERED and module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")
