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


class TombstonesBatchedAdmin:
    """An admin of a synced list (``miam.sync``): deleting rows, one or a selection, writes
    their tombstones (and those of what the deletion cascades to) in one INSERT."""

    def delete_model(self, request, obj):
        from miam import sync

        with sync.tombstones_batched():
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        from miam import sync

        with sync.tombstones_batched():
            super().delete_queryset(request, queryset)


class MiamAdminConfig(AdminConfig):
    default_site = "miam.admin_site.MiamAdminSite"

    def ready(self):
        SimpleAdminConfig.ready(self)
        for app_config in apps.get_app_configs():
            if app_config.name not in NOT_DISCOVERED and module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")
        # Every URL field of the admin reads a bare domain as https, the third-party apps' too
        # (django-dsfr's settings): MIAM's own models use miam.fields.HttpsURLField.
        from django.contrib import admin
        from django.db import models

        for model_admin in admin.site._registry.values():
            model_admin.formfield_overrides.setdefault(models.URLField, {})["assume_scheme"] = "https"
            # Inlines are made anew for each request from their class: a new dict on the class,
            # never the one BaseModelAdmin's subclasses share.
            for inline in model_admin.inlines:
                overrides = {key: dict(value) for key, value in inline.formfield_overrides.items()}
                overrides.setdefault(models.URLField, {})["assume_scheme"] = "https"
                inline.formfield_overrides = overrides
