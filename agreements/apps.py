from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Conventions, financements et relevés")

    def ready(self) -> None:
        from agreements.services import funding
        from offers.signals import delivery_recorded

        delivery_recorded.connect(funding.on_delivery_recorded, dispatch_uid="agreements-funding")

        from agreements.models import Funder, FundingLine, SupplyAgreement
        from miam import sync

        # Synced lists (``?sync=1``): a deletion leaves a tombstone, as for offers and needs.
        for model, kind in ((SupplyAgreement, "agreement"), (Funder, "funder"), (FundingLine, "funding_line")):
            sync.track_deletions(model, kind=kind)

        from actors import personal_data
        from agreements import selectors

        # The agreements a person signed, and what they did in their history: exported with the
        # account. The rows stay for the parties (a signed agreement is theirs); the person's
        # link goes with the account (the foreign keys are SET_NULL).
        personal_data.register(
            "agreements",
            export=lambda user: {"agreement_signatures": selectors.signatures_of(user)},
            erase=lambda user, by: None,
        )
        # The agreements' event types, for webhooks: registered at import.
        import agreements.events  # noqa: F401
