"""The domain events of offers, needs, matches and matching runs (``miam.events``).

Services emit them inside their transaction; listeners (webhooks, in ``interop``) record what
they need in the same transaction. A payload is small: what changed and where to read it
(``/api/v1/...``); a partner reads the rest through the API, with its own rights."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from miam import events

LISTING_ACTIONS = {
    "created": (_("offre créée"), _("besoin créé")),
    "updated": (_("offre modifiée"), _("besoin modifié")),
    "withdrawn": (_("offre retirée"), _("besoin retiré")),
    "deleted": (_("offre supprimée"), _("besoin supprimé")),
    "expired": (_("offre expirée"), _("besoin expiré")),
}
MATCH_ACTIONS = {
    "proposed": _("mise en relation proposée"),
    "accepted": _("mise en relation acceptée par un côté"),
    "confirmed": _("mise en relation confirmée"),
    "declined": _("mise en relation refusée"),
    "cancelled": _("mise en relation annulée"),
    "delivered": _("mise en relation livrée"),
}
RUN_FINISHED = events.register("matching_run.finished", _("calcul de rapprochements terminé"))

for _action, (_offer_label, _need_label) in LISTING_ACTIONS.items():
    events.register(f"offer.{_action}", _offer_label)
    events.register(f"need.{_action}", _need_label)
events.register_actions("match", MATCH_ACTIONS)

_PATHS = {"offer": "offers", "need": "needs", "match": "matches"}


def _path(kind: str, pk: int) -> str:
    return f"/api/v1/{_PATHS[kind]}/{pk}/"


def listing_event(listing, action: str, *, pk: int | None = None) -> None:
    """``offer.created``, ``need.withdrawn``...: ``pk`` for a listing already deleted."""
    kind = listing._meta.model_name
    pk = pk if pk is not None else listing.pk
    events.emit(
        f"{kind}.{action}",
        data={
            "id": pk,
            "kind": kind,
            "status": "deleted" if action == "deleted" else listing.status,
            "organization_id": listing.organization_id,
            "url": _path(kind, pk),
        },
        organization_ids=[listing.organization_id],
    )


def expired_wanted(kind: str) -> bool:
    """Whether anyone listens to ``offer.expired`` / ``need.expired`` (else the rows are not read)."""
    return events.wanted(f"{kind}.expired")


def listings_expired(kind: str, rows: list[tuple[int, int]]) -> None:
    """The daily expiry's offers or needs (``rows``: id, organization id), in one batch: the
    same ``offer.expired`` / ``need.expired`` event for each as a single change would give."""
    batch = [
        events.DomainEvent(
            type=f"{kind}.expired",
            data={
                "id": pk,
                "kind": kind,
                "status": "expired",
                "organization_id": organization_id,
                "url": _path(kind, pk),
            },
            organization_ids=(organization_id,),
        )
        for pk, organization_id in rows
    ]
    if batch:
        events.emit_many(batch)


def listings_created(listings) -> None:
    """``offer.created`` / ``need.created`` for many listings written at once, in one batch."""
    if not listings:
        return
    kind = listings[0]._meta.model_name
    if not events.wanted(f"{kind}.created"):
        return
    events.emit_many(
        [
            events.DomainEvent(
                type=f"{kind}.created",
                data={
                    "id": listing.pk,
                    "kind": kind,
                    "status": listing.status,
                    "organization_id": listing.organization_id,
                    "url": _path(kind, listing.pk),
                },
                organization_ids=(listing.organization_id,),
            )
            for listing in listings
        ]
    )


def match_payload(match, *, farm_id: int, structure_id: int) -> dict:
    return {
        "id": match.pk,
        "kind": "match",
        "status": match.status,
        "offer_id": match.offer_id,
        "need_id": match.need_id,
        "quantity": str(match.quantity),
        "unit": match.unit,
        "farm_id": farm_id,
        "structure_id": structure_id,
        "url": _path("match", match.pk),
    }


def match_event(match, action: str) -> None:
    farm_id, structure_id = match.offer.organization_id, match.need.organization_id
    events.emit(
        f"match.{action}",
        data=match_payload(match, farm_id=farm_id, structure_id=structure_id),
        organization_ids=[farm_id, structure_id],
    )


def matches_proposed(run, pairs: set[tuple[int, int]]) -> None:
    """A run's new (or revived) proposals, in one batch (not even read when nobody listens)."""
    from offers.models import Match

    if not events.wanted("match.proposed"):
        return
    rows = Match.objects.filter(run=run, status=Match.MatchStatus.PROPOSED).values(
        "id", "offer_id", "need_id", "quantity", "unit", "status", "offer__organization_id", "need__organization_id"
    )
    batch = []
    for r in rows:
        if (r["offer_id"], r["need_id"]) not in pairs:
            continue
        farm_id, structure_id = r["offer__organization_id"], r["need__organization_id"]
        data = {
            "id": r["id"],
            "kind": "match",
            "status": r["status"],
            "offer_id": r["offer_id"],
            "need_id": r["need_id"],
            "quantity": str(r["quantity"]),
            "unit": r["unit"],
            "farm_id": farm_id,
            "structure_id": structure_id,
            "url": _path("match", r["id"]),
        }
        batch.append(events.DomainEvent(type="match.proposed", data=data, organization_ids=(farm_id, structure_id)))
    events.emit_many(batch)


def run_finished(run) -> None:
    events.emit(
        RUN_FINISHED,
        data={
            "id": run.pk,
            "kind": "matching_run",
            "status": run.status,
            "territory_id": run.territory_id,
            "trigger": run.trigger,
            "counts": {k: v for k, v in (run.counts or {}).items() if isinstance(v, int | float)},
            "url": f"/api/v1/matching-runs/{run.pk}/",
        },
        territory_ids=[run.territory_id],
    )
