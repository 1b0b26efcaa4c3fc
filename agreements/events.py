"""The domain events of season agreements (``miam.events``), heard by partner apps' webhooks.

One event a step of an agreement's history (``AgreementEvent``): ``agreement.created``,
``agreement.signed``, ``agreement.ended``... emitted by the service in its transaction, with a
small payload (what happened, the status it is in, its parties, where to read it); a partner
reads the rest through the API, with its own rights."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from miam import events

#: A step of an agreement's history → the label of its event type.
ACTIONS = {
    "created": _("convention créée"),
    "updated": _("convention modifiée"),
    "proposed": _("convention proposée à la signature"),
    "signed": _("convention signée par une partie"),
    "activated": _("convention démarrée, livraisons planifiées"),
    "suspended": _("convention suspendue"),
    "resumed": _("convention reprise"),
    "ended": _("convention terminée"),
    "invoicing_updated": _("facturation d'une structure modifiée"),
    "occurrence_skipped": _("livraison d'une convention sautée"),
    "occurrence_changed": _("livraison d'une convention déplacée ou modifiée"),
}
events.register_actions("agreement", ACTIONS)


def agreement_event(agreement, action: str, *, structure_ids) -> None:
    """``agreement.<action>``, for the farm and the structures of the agreement."""
    organization_ids = [agreement.farm_id, *structure_ids]
    events.emit(
        f"agreement.{action}",
        data={
            "id": agreement.pk,
            "kind": "agreement",
            "action": action,
            "status": agreement.status,
            "organization_ids": organization_ids,
            "url": f"/api/v1/agreements/{agreement.pk}/",
        },
        organization_ids=organization_ids,
    )
