from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("Logistique mutualisée")

    def ready(self) -> None:
        from logistics import map_layers
        from logistics.services import gleaning
        from miam import maps, sections

        for layer in map_layers.LAYERS:
            maps.register(layer)
        sections.register("user_export", lambda *, user: {"gleaning_signups": gleaning.personal_data(user)})
