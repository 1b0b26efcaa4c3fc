"""Planned supply: the occurrences of a season agreement as ordinary matches.

A season agreement (``agreements``) is the farm's planned production sold ahead to one or
several structures. When it starts, this module writes it in the words of ``offers``, so that
reception, indicators and notifications work as for any match:

- one ``Offer`` per agreement: the planned production, its quantity always equal to what is
  reserved (every unit of it is promised), so that it is ``fully_matched`` and the engine never
  proposes it to anyone else;
- one ``Need`` and one ``Match`` per occurrence and structure, confirmed from the start
  (``Match.Origin.AGREEMENT``, both sides agreed when they signed) and scheduled on its date.

The structure's budget counts each occurrence in the month of its date (``budget``). An
occurrence can be moved, resized or removed (skipped, or the agreement ended) while it is not
delivered; the offer's quantity follows, under its row lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from actors.models import Organization
from miam import sync
from miam.errors import DomainError
from offers.models import Match, Need, Offer, Pricing, Status
from offers.services import budget
from offers.services.matches import match_kg
from products.models import ProductCategory

MS = Match.MatchStatus
CHANGEABLE = (MS.CONFIRMED, MS.SCHEDULED)


@dataclass(frozen=True)
class PlannedDelivery:
    structure: Organization
    date: dt.date
    quantity: Decimal


@transaction.atomic
def planned_series_create(
    *,
    farm: Organization,
    category: ProductCategory,
    product_name: str,
    unit: str,
    pack_size: Decimal | None,
    price_per_unit: Decimal,
    usual_price_per_unit: Decimal | None,
    mode: str,
    start: dt.date,
    end: dt.date,
    deliveries: list[PlannedDelivery],
    by=None,
) -> tuple[Offer, list[Match]]:
    """The agreement's planned production and one confirmed, scheduled match per delivery.
    The caller checked who acts and the budgets (``budget.budget_check_series``)."""
    if not deliveries:
        raise DomainError("no_occurrence", _("Aucune livraison à planifier."))
    total = sum((d.quantity for d in deliveries), Decimal(0))
    pricing = Pricing.SOLIDARITY if price_per_unit else Pricing.DONATION
    offer = Offer.objects.create(
        organization=farm,
        category=category,
        product_name=product_name,
        description=_("Production planifiée d'une convention d'approvisionnement."),
        quantity=total,
        quantity_reserved=0,
        unit=unit,
        pack_size=pack_size,
        window_start=start,
        window_end=end,
        recurrence="season",
        pricing=pricing,
        price_per_unit=price_per_unit or None,
        usual_price_per_unit=usual_price_per_unit,
        storage=category.storage,
        logistics=[mode],
        status=Status.FULLY_MATCHED,
        created_by=by if getattr(by, "pk", None) else None,
    )
    return offer, _add(offer, deliveries, grow=False)


@transaction.atomic
def planned_matches_add(*, offer: Offer, deliveries: list[PlannedDelivery]) -> list[Match]:
    """More occurrences on an agreement's planned production (it resumes)."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    return _add(offer, deliveries, grow=True)


def _add(offer: Offer, deliveries: list[PlannedDelivery], *, grow: bool) -> list[Match]:
    now = timezone.now()
    total = sum((d.quantity for d in deliveries), Decimal(0))
    if grow:
        if offer.quantity_reserved == 0 and offer.status == Status.WITHDRAWN:
            Offer.objects.filter(pk=offer.pk).update(
                quantity=total, quantity_reserved=total, status=Status.FULLY_MATCHED
            )
        else:
            Offer.objects.filter(pk=offer.pk).update(
                quantity=F("quantity") + total, quantity_reserved=F("quantity_reserved") + total
            )
    else:
        Offer.objects.filter(pk=offer.pk).update(quantity_reserved=total)
    price = offer.price_per_unit or Decimal(0)
    needs = _needs_for(offer, deliveries, price)
    matches = []
    kg_per_unit = match_kg(Match(offer=offer, quantity=Decimal(1)))
    for item, need in zip(deliveries, needs, strict=True):
        match = Match(
            offer=offer,
            need=need,
            quantity=item.quantity,
            unit=offer.unit,
            score=100,
            mode=offer.logistics[0] if offer.logistics else "delivery",
            proposed_for=item.date,
            scheduled_for=item.date,
            status=MS.SCHEDULED,
            origin=Match.Origin.AGREEMENT,
            price_per_unit=offer.price_per_unit if offer.pricing == Pricing.SOLIDARITY else None,
            farm_accepted_at=now,
            structure_accepted_at=now,
            confirmed_at=now,
            acted_by_person=True,
            proposed_by=offer.created_by,
        )
        match.quantity_kg = None if kg_per_unit is None else kg_per_unit * item.quantity
        matches.append(match)
    return Match.objects.bulk_create(matches)


def _needs_for(offer: Offer, deliveries: list[PlannedDelivery], price: Decimal) -> list[Need]:
    """One need per delivery, written in bulk (with their category)."""
    needs = Need.objects.bulk_create(
        [
            Need(
                organization=item.structure,
                title=_("Convention : %(product)s du %(date)s")
                % {"product": offer.product_name, "date": date_format(item.date, "SHORT_DATE_FORMAT")},
                quantity=item.quantity,
                quantity_covered=item.quantity,
                unit=offer.unit,
                window_start=item.date,
                window_end=item.date,
                accepted_pricing=Need.AcceptedPricing.PURCHASE if price else Need.AcceptedPricing.DONATION_ONLY,
                max_price_per_unit=price or None,
                status=Status.FULLY_MATCHED,
                created_by=offer.created_by,
            )
            for item in deliveries
        ]
    )
    through = Need.categories.through
    through.objects.bulk_create([through(need_id=need.pk, productcategory_id=offer.category_id) for need in needs])
    return needs


def _locked(match: Match) -> tuple[Match, Offer]:
    offer = Offer.objects.select_for_update().get(pk=match.offer_id)
    match = Match.objects.select_for_update(of=("self",)).select_related("offer__category", "need").get(pk=match.pk)
    if match.origin != Match.Origin.AGREEMENT:
        raise DomainError("invalid", _("Cette mise en relation ne fait pas partie d'une convention."))
    if match.status not in CHANGEABLE:
        raise DomainError(
            "occurrence_done",
            _("Cette livraison est déjà « %(status)s » : elle ne peut plus être modifiée.")
            % {"status": match.get_status_display()},
        )
    return match, offer


@transaction.atomic
def planned_match_remove(*, match: Match) -> None:
    """An occurrence that will not happen (skipped, or after the agreement's end): its match and
    need are deleted and the planned production shrinks by its quantity."""
    match, offer = _locked(match)
    need_id = match.need_id
    left = offer.quantity - match.quantity
    if left > 0:
        Offer.objects.filter(pk=offer.pk).update(
            quantity=F("quantity") - match.quantity,
            quantity_reserved=Greatest(F("quantity_reserved") - match.quantity, Decimal(0)),
            updated_at=timezone.now(),
        )
    else:
        Offer.objects.filter(pk=offer.pk).update(
            quantity_reserved=0, status=Status.WITHDRAWN, updated_at=timezone.now()
        )
    match.delete()
    Need.objects.filter(pk=need_id).delete()


@transaction.atomic
def planned_matches_remove(*, offer: Offer, match_ids: list[int]) -> int:
    """Many occurrences at once (an agreement ends or is suspended): those still changeable are
    deleted with their needs, and the planned production shrinks by their total, under the
    offer's row lock. The number removed."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    rows = list(
        Match.objects.select_for_update(of=("self",))
        .filter(pk__in=match_ids, offer=offer, origin=Match.Origin.AGREEMENT, status__in=CHANGEABLE)
        .values_list("pk", "need_id", "quantity")
    )
    if not rows:
        return 0
    total = sum((quantity for _pk, _need, quantity in rows), Decimal(0))
    if offer.quantity - total > 0:
        Offer.objects.filter(pk=offer.pk).update(
            quantity=F("quantity") - total,
            quantity_reserved=Greatest(F("quantity_reserved") - total, Decimal(0)),
            updated_at=timezone.now(),
        )
    else:
        Offer.objects.filter(pk=offer.pk).update(
            quantity_reserved=0, status=Status.WITHDRAWN, updated_at=timezone.now()
        )
    with sync.tombstones_batched():  # one INSERT of tombstones for all of them
        Match.objects.filter(pk__in=[pk for pk, _need, _q in rows]).delete()
        Need.objects.filter(pk__in=[need for _pk, need, _q in rows]).delete()
    return len(rows)


@transaction.atomic
def planned_match_resize(*, match: Match, quantity: Decimal) -> Match:
    """One occurrence brings more or less; an increase must fit the structure's month."""
    if quantity <= 0:
        raise DomainError("invalid", _("Quantité invalide."), fields={"quantity": _("La quantité doit être positive.")})
    match, offer = _locked(match)
    diff = quantity - match.quantity
    if diff > 0 and match.price_per_unit:
        first, _following = budget.month_bounds(match.scheduled_for)
        budget.budget_check_series(
            structure_id=match.need.organization_id,
            costs={first: (diff * match.price_per_unit).quantize(budget.CENT)},
            lock=True,
        )
    Offer.objects.filter(pk=offer.pk).update(
        quantity=F("quantity") + diff, quantity_reserved=F("quantity_reserved") + diff, updated_at=timezone.now()
    )
    Need.objects.filter(pk=match.need_id).update(
        quantity=quantity, quantity_covered=quantity, updated_at=timezone.now()
    )
    match.quantity = quantity
    match.quantity_kg = match_kg(match)
    match.save(update_fields=["quantity", "quantity_kg", "updated_at"])
    return match


@transaction.atomic
def planned_match_move(*, match: Match, date: dt.date) -> Match:  # noqa: A002
    """One occurrence moves to another day (a bank holiday); a new month must afford it."""
    match, _offer = _locked(match)
    old = match.scheduled_for
    if match.price_per_unit and budget.month_bounds(old)[0] != budget.month_bounds(date)[0]:
        budget.budget_check_series(
            structure_id=match.need.organization_id,
            costs={budget.month_bounds(date)[0]: (match.quantity * match.price_per_unit).quantize(budget.CENT)},
            lock=True,
        )
    Need.objects.filter(pk=match.need_id).update(window_start=date, window_end=date, updated_at=timezone.now())
    match.scheduled_for = match.proposed_for = date
    match.reminded_at = None
    match.save(update_fields=["scheduled_for", "proposed_for", "reminded_at", "updated_at"])
    return match
