from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActorsConfig(AppConfig):
    name = "actors"
    verbose_name = _("Acteurs et territoires")

    def ready(self) -> None:
        from actors import map_layers
        from actors.models import Organization
        from miam import api_cache, maps

        api_cache.invalidate_on_change(Organization)
        for layer in map_layers.LAYERS:
            maps.register(layer)
