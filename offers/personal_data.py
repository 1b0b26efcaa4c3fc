"""A person's share of the offers: offers and needs they posted, deliveries they received
(``actors.personal_data``). Those rows belong to the organizations and stay; on erasure their
"posted by" and "received by" simply lose the person (the foreign keys are SET_NULL)."""

from __future__ import annotations

from offers.models import Delivery, Need, Offer


def _iso(value):
    return value.isoformat() if value else None


def export(user) -> dict:
    return {
        "offers_created": [
            {
                "organization": o.organization.name,
                "product_name": o.product_name,
                "quantity": str(o.quantity),
                "unit": o.unit,
                "status": o.status,
                "created_at": _iso(o.created_at),
            }
            for o in Offer.objects.filter(created_by=user).select_related("organization")
        ],
        "needs_created": [
            {
                "organization": n.organization.name,
                "title": n.title,
                "quantity": str(n.quantity) if n.quantity is not None else None,
                "unit": n.unit,
                "status": n.status,
                "created_at": _iso(n.created_at),
            }
            for n in Need.objects.filter(created_by=user).select_related("organization")
        ],
        "deliveries_received": [
            {
                "delivered_on": _iso(d.delivered_on),
                "quantity_received": str(d.quantity_received),
                "unit": d.unit,
                "note": d.note,
            }
            for d in Delivery.objects.filter(received_by=user)
        ],
    }


def erase(user, by) -> None:
    """Nothing to do by hand: the rows stay with their organization, the person's link is SET_NULL."""
