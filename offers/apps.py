from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = _("Offres, besoins et rapprochements")

    def ready(self) -> None:
        from miam import api_cache, maps, sections, sync
        from offers import map_layers, selectors
        from offers.models import Match, Need, Offer
        from offers.signals import listings_bulk_changed

        api_cache.invalidate_on_change(Offer, Need, Match, signals=[listings_bulk_changed])
        for model in (Offer, Need, Match):
            sync.track_deletions(model, kind=model._meta.model_name)
        for layer in map_layers.LAYERS:
            maps.register(layer)
        sections.register("organization_detail", selectors.organization_open_listings)

        from actors import personal_data
        from offers import personal_data as offers_personal_data

        personal_data.register("offers", export=offers_personal_data.export, erase=offers_personal_data.erase)
