from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("Logistique mutualisée")

    def ready(self) -> None:
        from logistics import map_layers
        from miam import maps

        for layer in map_layers.LAYERS:
            maps.register(layer)
