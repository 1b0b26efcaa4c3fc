from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = _("Initiatives et plans d'action")

    def ready(self) -> None:
        from initiatives import map_layers
        from miam import maps

        maps.register(map_layers.LAYER)
