"""The lists of offers, needs, proposals and deliveries as spreadsheets (``miam.exports``).

Each function takes the queryset the page shows (its filters applied, only what the person may
see) and reads it with ``values_list`` in chunks, so that 100,000 offers come out without
building a model per row. Places are communes, never addresses.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from miam import exports
from offers import distances
from offers.models import Logistics, Match, Need, Pricing
from offers.models import Status as ListingStatus
from products.models import Unit

CHUNK = 5000


def _labels(choices) -> dict:
    return {code: str(label) for code, label in choices}


def offers_export(queryset, *, title: str, meta: list | None = None) -> exports.Export:
    units, pricings, statuses = _labels(Unit.choices), _labels(Pricing.choices), _labels(ListingStatus.choices)
    rows = (
        [
            pk,
            product,
            category,
            organization,
            commune,
            quantity,
            quantity - reserved,
            units.get(unit, unit),
            start,
            end,
            pricings.get(pricing, pricing),
            price,
            usual,
            ", ".join(labels or []),
            statuses.get(status, status),
        ]
        for pk, product, category, organization, commune, quantity, reserved, unit, start, end, pricing, price, usual, labels, status in queryset.order_by(
            "id"
        )
        .values_list(
            "id",
            "product_name",
            "category__name",
            "organization__name",
            "organization__commune__name",
            "quantity",
            "quantity_reserved",
            "unit",
            "window_start",
            "window_end",
            "pricing",
            "price_per_unit",
            "usual_price_per_unit",
            "labels",
            "status",
        )
        .iterator(chunk_size=CHUNK)
    )
    columns = [
        _("N°"),
        _("Produit"),
        _("Catégorie"),
        _("Producteur"),
        _("Commune"),
        _("Quantité"),
        _("Disponible"),
        _("Unité"),
        _("Du"),
        _("Au"),
        _("Conditions"),
        _("Prix par unité (€)"),
        _("Prix habituel par unité (€)"),
        _("Labels"),
        _("Statut"),
    ]
    return exports.Export(title=title, meta=meta or [], tables=[exports.Table(columns=columns, rows=rows)])


def needs_export(queryset, *, title: str, meta: list | None = None) -> exports.Export:
    units, statuses = _labels(Unit.choices), _labels(ListingStatus.choices)
    pricings = _labels(Need.AcceptedPricing.choices)
    qs = queryset.order_by("id").prefetch_related("categories").select_related("organization__commune")
    rows = (
        [
            need.pk,
            need.title,
            ", ".join(c.name for c in need.categories.all()),
            need.organization.name,
            need.organization.commune.name,
            need.quantity,
            max(need.quantity - need.quantity_covered, 0),
            units.get(need.unit, need.unit),
            need.window_start,
            need.window_end,
            pricings.get(need.accepted_pricing, need.accepted_pricing),
            need.max_price_per_unit,
            need.budget_eur,
            statuses.get(need.status, need.status),
        ]
        for need in qs.iterator(chunk_size=CHUNK)
    )
    columns = [
        _("N°"),
        _("Intitulé"),
        _("Catégories"),
        _("Structure"),
        _("Commune"),
        _("Quantité"),
        _("Reste à pourvoir"),
        _("Unité"),
        _("Du"),
        _("Au"),
        _("Conditions acceptées"),
        _("Prix maximum par unité (€)"),
        _("Budget (€)"),
        _("Statut"),
    ]
    return exports.Export(title=title, meta=meta or [], tables=[exports.Table(columns=columns, rows=rows)])


def matches_export(queryset, *, title: str, deliveries: bool = False) -> exports.Export:
    """Proposals (or deliveries, with what was received) between farms and structures. The km are
    those the page shows (``offers.distances``: both organizations' points; a delivery a pooled
    round carried, its share of the round's km); the queryset loads both organizations."""
    units, statuses, modes = _labels(Unit.choices), _labels(Match.MatchStatus.choices), _labels(Logistics.choices)
    matches = list(queryset.select_related("delivery") if deliveries else queryset)
    # The km the page shows and the indicators count (offers.distances), not the matching's estimate.
    kms = distances.delivered_kms(matches)
    rows = []
    for match, km in zip(matches, kms, strict=True):
        row = [
            match.pk,
            match.offer.product_name,
            match.offer.organization.name,
            match.need.organization.name,
            match.quantity,
            units.get(match.unit, match.unit),
            match.score,
            Decimal(str(km.km)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
            modes.get(match.mode, match.mode),
            statuses.get(match.status, match.status),
            match.proposed_for,
        ]
        if deliveries:
            delivery = getattr(match, "delivery", None)
            row += [
                match.scheduled_for,
                delivery.delivered_on if delivery else None,
                delivery.quantity_received if delivery else None,
                delivery.quantity_kg if delivery else None,
                delivery.amount_paid_eur if delivery else None,
                km.by_round,
            ]
        rows.append(row)
    columns = [
        _("N°"),
        _("Produit"),
        _("Producteur"),
        _("Structure"),
        _("Quantité"),
        _("Unité"),
        _("Score"),
        _("Distance (km)"),
        _("Acheminement"),
        _("Statut"),
        _("Date proposée"),
    ]
    if deliveries:
        columns += [
            _("Date prévue"),
            _("Livré le"),
            _("Quantité reçue"),
            _("Équivalent kg"),
            _("Payé au producteur (€)"),
            _("Portée par une tournée mutualisée (km : sa part de la tournée)"),
        ]
    return exports.Export(title=title, tables=[exports.Table(columns=columns, rows=rows)])
