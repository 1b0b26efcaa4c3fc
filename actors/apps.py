from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _territory_follows_the_person(sender, request, user, **kwargs):
    """After logging in (or out), the pages show the person's own territory again."""
    from miam.context_processors import forget_territory

    if request is not None:
        forget_territory(request)


class ActorsConfig(AppConfig):
    name = "actors"
    verbose_name = _("Acteurs et territoires")

    def ready(self) -> None:
        from actors import map_layers
        from actors.models import Organization
        from miam import api_cache, maps, sync

        api_cache.invalidate_on_change(Organization)
        sync.track_deletions(Organization, kind="organization")
        for layer in map_layers.LAYERS:
            maps.register(layer)
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        user_logged_in.connect(_territory_follows_the_person, dispatch_uid="miam-territory-login")
        user_logged_out.connect(_territory_follows_the_person, dispatch_uid="miam-territory-logout")
