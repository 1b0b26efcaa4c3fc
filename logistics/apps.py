from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("Logistique mutualisée")

    def ready(self) -> None:
        from actors import personal_data
        from logistics import map_layers, selectors
        from logistics.services import gleaning
        from miam import maps, pooled_rounds, sections

        for layer in map_layers.LAYERS:
            maps.register(layer)
        # Matching's partner mode: the territory's rounds (offers may not import logistics).
        pooled_rounds.register(selectors.weekly_rounds)
        # What a round carried: its km shared among its deliveries (offers.distances).
        pooled_rounds.register_carriage(selectors.rounds_carrying)
        # Farms and structures see their time slot of the coming rounds on « Mon espace ».
        sections.register("my_space", selectors.my_round_slots)
        # A person's sign-ups: exported with the account; they go with it (the FK cascades).
        personal_data.register(
            "logistics",
            export=lambda user: {"gleaning_signups": gleaning.personal_data(user)},
            erase=lambda user, by: None,
        )
        # The rounds' event types, for webhooks: registered at import.
        import logistics.events  # noqa: F401
