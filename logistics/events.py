"""The domain events of rounds (``miam.events``), heard by partner apps' webhooks (a logistics
operator, the territory's tools).

``round.planned`` (by hand or by the planner), ``round.updated``, ``round.claimed`` and
``round.released`` (a driver takes it or lets it go), ``round.cancelled``, and
``round.deleted`` (an unclaimed planner's round replaced when its day is planned again): for
the territory, the vehicle's owner and the farms and structures it stops at. The payload is
small; a partner reads the round through the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from miam import events

ACTIONS = {
    "planned": _("tournée planifiée"),
    "updated": _("tournée modifiée"),
    "claimed": _("tournée prise par un·e chauffeur·e"),
    "released": _("tournée laissée par son chauffeur·e"),
    "cancelled": _("tournée annulée"),
    "deleted": _("tournée remplacée par un nouveau calcul"),
}
events.register_actions("round", ACTIONS)


def round_event(round_, action: str, *, organization_ids=None) -> None:
    """``round.<action>``; ``organization_ids``: the farms and structures it stops at, when the
    caller has them (else they are read from its stops)."""
    name = f"round.{action}"
    if not events.wanted(name):
        return
    if organization_ids is None:
        organization_ids = round_.stops.filter(organization__isnull=False).values_list("organization_id", flat=True)
    concerned = sorted({round_.vehicle.organization_id, *(pk for pk in organization_ids if pk)})
    events.emit(
        name,
        data={
            "id": round_.pk,
            "kind": "round",
            "action": action,
            "status": "deleted" if action == "deleted" else round_.status,
            "day": round_.day.isoformat(),
            "territory_id": round_.territory_id,
            "organization_ids": concerned,
            "url": f"/api/v1/rounds/{round_.pk}/",
        },
        organization_ids=concerned,
        territory_ids=[round_.territory_id],
    )
