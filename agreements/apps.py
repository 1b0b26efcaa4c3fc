from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Conventions, financements et relevés")

    def ready(self) -> None:
        from agreements.services import funding
        from offers.signals import delivery_recorded

        delivery_recorded.connect(funding.on_delivery_recorded, dispatch_uid="agreements-funding")
