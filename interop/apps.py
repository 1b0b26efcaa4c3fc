from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "interop"
    verbose_name = _("Interopérabilité : webhooks, synchronisation, Data Food Consortium")

    def ready(self) -> None:
        from interop.services import webhooks
        from miam import events
        from offers import events as offer_events  # noqa: F401  (registers the events of offers)

        events.listen(webhooks.events_record, wants=webhooks.event_wanted)
