"""Matches: the lifecycle from proposal to delivery, and the daily jobs on matches.

proposed → accepted by the farm / by the structure → confirmed (both; quantity reserved
under row locks) → scheduled (date, mode) → delivered (quantity received) → closed; or
declined (that pair never comes back), cancelled, expired (quantity returned, and the
next best candidates proposed at once: the *cascade*, ``runs.matching_cascade_later``). A
run never rewrites a match a person acted on.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from actors import permissions
from actors.models import Organization, StructureProfile, Territory
from miam import pooled_rounds
from miam.errors import DomainError, NotAllowed
from offers import distances, events, quantities, signals
from offers import matching_feed as feed_mod
from offers.matching import check_pair
from offers.matching import run as engine_run
from offers.models import OPEN_STATUSES, Delivery, Logistics, Match, Need, Offer, Pricing
from offers.reasons import reasons_text, weekdays
from offers.services import budget, listings, runs
from offers.services.notices import (
    FARM,
    STRUCTURE,
    match_describe,
    match_url,
    organizations_notify,
    other_side_organizations,
    quantity_format,
)
from products.units import UnsafeConversion

logger = logging.getLogger(__name__)

MS = Match.MatchStatus
RESERVED_STATUSES = (MS.CONFIRMED, MS.SCHEDULED)
ACCEPTABLE_STATUSES = (MS.PROPOSED, MS.ACCEPTED_FARM, MS.ACCEPTED_STRUCTURE)


# --- Lifecycle ----------------------------------------------------------------------------


def match_sides(principal, match: Match) -> set[str]:
    """The sides a principal may act for: "farm" (the offer's organization), "structure"
    (the need's). A member acts for their own organization's side only; an officer, staff
    or a territory key, who belong to neither, may record a side's answer on its behalf
    (agreed by phone, say) for the organizations they manage."""
    own = permissions.member_organization_ids(principal)
    sides = {
        side
        for side, organization_id in ((FARM, match.offer.organization_id), (STRUCTURE, match.need.organization_id))
        if organization_id in own
    }
    if sides:
        return sides
    if permissions.can_edit_organization(principal, match.offer.organization):
        sides.add(FARM)
    if permissions.can_edit_organization(principal, match.need.organization):
        sides.add(STRUCTURE)
    return sides


def _lock(match: Match) -> Match:
    """Lock the match's offer, then the match: every path that reserves or releases takes
    the offer first, so that settling a confirmation's competitors never deadlocks."""
    offer_id = match.offer_id if match.offer_id else Match.objects.values_list("offer_id", flat=True).get(pk=match.pk)
    Offer.objects.select_for_update().filter(pk=offer_id).values_list("pk", flat=True).first()
    return (
        Match.objects.select_for_update(of=("self",))
        .select_related("offer__organization", "offer__category", "need__organization")
        .get(pk=match.pk)
    )


def _require_sides(by, match: Match, *, only: str | None = None) -> set[str]:
    permissions.require_write(by)
    sides = match_sides(by, match)
    if only is not None:
        sides &= {only}
        if not sides:
            if only == STRUCTURE:
                raise NotAllowed(_("Seule la structure qui reçoit peut faire cela."))
            raise NotAllowed(_("Seul le producteur peut faire cela."))
    if not sides:
        raise NotAllowed(_("Vous ne pouvez agir que sur les mises en relation de vos organisations."))
    return sides


def _require_status(match: Match, allowed, action: str) -> None:
    if match.status not in allowed:
        raise DomainError(
            "invalid_status",
            _("On ne peut pas %(action)s une mise en relation au statut « %(status)s ».")
            % {"action": action, "status": match.get_status_display()},
        )


def _refresh_listing_statuses(offer: Offer, need: Need) -> None:
    """Offer and need statuses after their reserved/covered quantities changed."""
    offer.refresh_from_db()
    need.refresh_from_db()
    listings.offer_refresh_status(offer)
    listings.need_refresh_status(need)


def _need_quantity(match: Match, need: Need, quantity: Decimal | None = None) -> Decimal:
    """A quantity of the match (its own by default; offer's unit) in the need's unit."""
    quantity = match.quantity if quantity is None else quantity
    offer = match.offer
    categories = feed_mod.Categories()
    try:
        return quantities.convert(
            quantity,
            from_unit=offer.unit,
            from_kg=categories.offer_mass(offer.category_id, offer.unit, offer.crate_kg),
            to_unit=need.unit,
            to_kg=categories.need_mass(need.unit, need.categories.values_list("id", flat=True)),
        )
    except UnsafeConversion:
        # A pairing made before units were checked: counted as it is, as it always was.
        logger.warning("match %s: no safe conversion %s → %s, counted as is", match.pk, offer.unit, need.unit)
        return Decimal(quantity)


def match_kg(match: Match, quantity: Decimal | None = None) -> Decimal | None:
    """Kilogram-equivalent of a quantity of the match (its own by default)."""
    offer = match.offer
    mass = quantities.offer_kg_per_unit(offer.category, offer.unit, offer.crate_kg)
    return quantities.kg_of(match.quantity if quantity is None else quantity, mass)


def _grain(offer: Offer) -> Decimal:
    """What a quantity of the offer is a multiple of: its pack size, whole pieces and dozens."""
    if offer.pack_size:
        return offer.pack_size
    return Decimal(1) if offer.unit in ("piece", "dozen") else Decimal("0.001")


def _settle_competitors(offer: Offer, *, confirmed: Match) -> None:
    """Quantity was just reserved on `offer` (its row locked): every live match on it that
    asks for more than is left is resized to what is left, or withdrawn when that is below
    the offer's minimum; both sides are told. No match is left accepted for goods that are gone."""
    offer = Offer.objects.get(pk=offer.pk)
    left = offer.quantity - offer.quantity_reserved
    competitors = (
        Match.objects.select_for_update(of=("self",))
        .select_related("offer__organization", "offer__category", "need__organization")
        .filter(offer_id=offer.pk, status__in=ACCEPTABLE_STATUSES, quantity__gt=left)
        .exclude(pk=confirmed.pk)
    )
    for match in competitors:
        _resize_or_withdraw(match, left)


def _resize_or_withdraw(match: Match, left: Decimal) -> Match:
    offer = match.offer
    grain = _grain(offer)
    new_quantity = (left // grain) * grain if left > 0 else Decimal(0)
    if new_quantity > 0 and new_quantity >= offer.min_quantity:
        match.quantity = new_quantity
        match.quantity_kg = match_kg(match)
        resized = {"code": "resized", "params": {"quantity": float(new_quantity), "unit": offer.unit}}
        match.reasons = [r for r in (match.reasons or []) if r.get("code") != "resized"] + [resized]
        match.save(update_fields=["quantity", "quantity_kg", "reasons", "updated_at"])
        kind, template = "match_resized", "offers/email/match_resized.txt"

        def title():
            return _("Quantité réduite : %(quantity)s de %(product)s") % {
                "quantity": quantity_format(new_quantity, match.get_unit_display()),
                "product": offer.product_name,
            }

    else:
        untouched = not match.acted_by_person and match.origin == Match.Origin.ENGINE
        match.status = MS.WITHDRAWN if untouched else MS.EXPIRED
        match.declined_reason = _("L'offre a été réservée pour une autre structure : il n'en reste plus assez.")
        match.save(update_fields=["status", "declined_reason", "updated_at"])
        kind, template = "match_exhausted", "offers/email/match_exhausted.txt"

        def title():
            return _("Offre épuisée : %(product)s") % {"product": offer.product_name}

        if untouched:
            return match  # never shown to anyone yet as a decision to make
    organizations_notify(
        [offer.organization_id, match.need.organization_id],
        kind=kind,
        title=title,
        template=template,
        context=match_describe(match),
        url=match_url(match.pk),
    )
    return match


def _reserve(match: Match) -> None:
    """Both sides agreed: take the quantity from the offer and count it on the need, within
    the structure's budget, under row locks (offer, need, then the structure's budget); the
    database constraint is the last line of defence. Matches on the same offer asking for
    more than is left are resized or withdrawn."""
    offer = Offer.objects.select_for_update().get(pk=match.offer_id)
    need = Need.objects.select_for_update().get(pk=match.need_id)
    if match.quantity > offer.quantity - offer.quantity_reserved:
        raise DomainError(
            "offer_exhausted",
            _("Cette offre n'a plus assez de quantité disponible : elle a déjà été réservée pour une autre structure."),
        )
    budget.budget_reserve(match=match, today=timezone.localdate())
    need_quantity = _need_quantity(match, need)
    try:
        with transaction.atomic():
            Offer.objects.filter(pk=offer.pk).update(
                quantity_reserved=F("quantity_reserved") + match.quantity, updated_at=timezone.now()
            )
    except IntegrityError:
        raise DomainError("offer_exhausted", _("Cette offre n'a plus assez de quantité disponible."))
    Need.objects.filter(pk=need.pk).update(
        quantity_covered=F("quantity_covered") + need_quantity, updated_at=timezone.now()
    )
    _refresh_listing_statuses(offer, need)
    _settle_competitors(offer, confirmed=match)


def _release(match: Match) -> None:
    """The reserved quantity goes back to the offer (cancelled or not collected)."""
    offer = Offer.objects.select_for_update().get(pk=match.offer_id)
    need = Need.objects.select_for_update().get(pk=match.need_id)
    now = timezone.now()
    Offer.objects.filter(pk=offer.pk).update(
        quantity_reserved=Greatest(F("quantity_reserved") - match.quantity, Decimal(0)), updated_at=now
    )
    Need.objects.filter(pk=need.pk).update(
        quantity_covered=Greatest(F("quantity_covered") - _need_quantity(match, need), Decimal(0)), updated_at=now
    )
    _refresh_listing_statuses(offer, need)


def _acting_side(by, match: Match, side: str | None) -> str:
    """The one side this call accepts for. A member acts for their organization's side; who
    acts on a side's behalf (an officer, a territory key) names it; no call accepts for both."""
    sides = _require_sides(by, match)
    if side:
        if side not in (FARM, STRUCTURE):
            raise DomainError("invalid", _("Partie inconnue."), fields={"side": _("« farm » ou « structure ».")})
        if side not in sides:
            raise NotAllowed(_("Vous ne pouvez pas accepter au nom de cette partie."))
        return side
    if len(sides) > 1:
        raise DomainError(
            "side_required",
            _("Indiquez au nom de quelle partie vous acceptez : le producteur ou la structure."),
            fields={"side": _("Ce champ est obligatoire.")},
        )
    return next(iter(sides))


@transaction.atomic
def match_accept(*, match: Match, by, side: str | None = None) -> Match:
    """One side accepts (``side``: "farm" or "structure", required when acting on a side's
    behalf); when both have, the match is confirmed and the quantity reserved. What is left of
    the offer may have shrunk meanwhile: the match is then resized to it, or withdrawn."""
    match = _lock(match)
    side = _acting_side(by, match, side)
    sides = {side}
    _require_status(match, ACCEPTABLE_STATUSES, _("accepter"))
    left = match.offer.quantity - match.offer.quantity_reserved
    if match.quantity > left:
        match = _resize_or_withdraw(match, left)
        if match.status not in ACCEPTABLE_STATUSES:
            return match
    now = timezone.now()
    if side == FARM and not match.farm_accepted_at:
        match.farm_accepted_at = now
    if side == STRUCTURE and not match.structure_accepted_at:
        match.structure_accepted_at = now
    match.acted_by_person = True
    context = match_describe(match)
    if match.farm_accepted_at and match.structure_accepted_at:
        _reserve(match)
        match.status, match.confirmed_at = MS.CONFIRMED, now

        def title():
            return _("Mise en relation confirmée : %(quantity)s de %(product)s") % {
                "quantity": context["quantity"],
                "product": match.offer.product_name,
            }

        template, kind = "offers/email/match_confirmed.txt", "match_confirmed"
    else:
        match.status = MS.ACCEPTED_FARM if match.farm_accepted_at else MS.ACCEPTED_STRUCTURE
        who = match.offer.organization if match.farm_accepted_at else match.need.organization

        def title():
            return _("%(who)s a accepté la proposition : %(product)s") % {
                "who": who,
                "product": match.offer.product_name,
            }

        template, kind = "offers/email/match_accepted.txt", "match_accepted"
    match.save()
    events.match_event(match, "confirmed" if match.status == MS.CONFIRMED else "accepted")
    organizations_notify(
        other_side_organizations(match, sides) or [match.offer.organization_id, match.need.organization_id],
        kind=kind,
        title=title,
        template=template,
        context=context,
        url=match_url(match.pk),
    )
    return match


def _side_label(sides: set[str]) -> str:
    if sides == {FARM}:
        return FARM
    if sides == {STRUCTURE}:
        return STRUCTURE
    return "officer"


def _clean_reason(reason: str) -> str:
    """A decline or a cancellation says why (its length is the input's business)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("Indiquez un motif."), fields={"reason": _("Ce champ est obligatoire.")})
    return reason


@transaction.atomic
def match_decline(*, match: Match, by, reason: str) -> Match:
    """That pair will not be proposed again for this offer and this need."""
    match = _lock(match)
    sides = _require_sides(by, match)
    _require_status(match, ACCEPTABLE_STATUSES, _("refuser"))
    match.declined_reason = _clean_reason(reason)
    match.status, match.declined_by_side, match.acted_by_person = MS.DECLINED, _side_label(sides), True
    match.save()
    events.match_event(match, "declined")
    organizations_notify(
        other_side_organizations(match, sides),
        kind="match_declined",
        title=lambda: _("Proposition déclinée : %(product)s") % {"product": match.offer.product_name},
        template="offers/email/match_declined.txt",
        context={**match_describe(match), "reason": match.declined_reason},
        url=match_url(match.pk),
    )
    # What this proposal held goes to the others, at the next (debounced) run.
    runs.matching_listing_changed(organization_id=match.offer.organization_id)
    return match


def distribution_days(need: Need) -> set[int]:
    """The weekdays (0 = Monday) the need's structure receives goods (the need's own, else its
    structure's); empty: any day."""
    if need.distribution_days is not None:
        days = need.distribution_days
    else:
        profile = StructureProfile.objects.filter(organization_id=need.organization_id).first()
        days = profile.distribution_days if profile else []
    return {int(d) for d in days or [] if str(d).isdecimal() and int(d) < 7}


def _require_round_on(match: Match, day: date) -> None:
    """Carried by a logistics partner means by a pooled round of the structure's territory: one
    must run that weekday, refrigerated for chilled and frozen goods unless their direct ride fits
    their out-of-fridge time (``miam.pooled_rounds``, as the engine and the round planner)."""
    territory = runs.territory_for_organization(match.need.organization_id)
    dry_km = pooled_rounds.dry_ride_km(match.offer.storage)
    ride = float(match.distance_km) if match.distance_km is not None else None
    cold = match.offer.storage != "ambient" and not (dry_km > 0 and ride is not None and ride <= dry_km)
    rounds = pooled_rounds.weekly(territory.pk) if territory is not None else []
    suited = sorted({r.weekday for r in rounds if r.refrigerated or not cold})
    if day.weekday() in suited:
        return
    if suited:
        message = _("Les tournées du territoire passent le %(days)s : choisissez l'un de ces jours.") % {
            "days": weekdays(suited)
        }
    elif cold:
        message = _("Aucune tournée réfrigérée ne passe sur le territoire : choisissez un autre acheminement.")
    else:
        message = _("Aucune tournée ne passe sur le territoire : choisissez un autre acheminement.")
    raise DomainError("no_round_that_day", message, fields={"date": message})


@transaction.atomic
def match_schedule(*, match: Match, by, date: date, mode: str, today: date | None = None) -> Match:  # noqa: A002
    """Either side sets the day and who carries the goods."""
    match = _lock(match)
    sides = _require_sides(by, match)
    _require_status(match, RESERVED_STATUSES, _("planifier"))
    today = today or timezone.localdate()
    day = date
    if day < today:
        raise DomainError(
            "date_past", _("La date est déjà passée."), fields={"date": _("Choisissez une date à venir.")}
        )
    last = min(match.offer.effective_end, match.need.window_end)
    if day > last:
        raise DomainError(
            "date_after_window",
            _("La date doit être au plus tard le %(date)s.") % {"date": date_format(last, "SHORT_DATE_FORMAT")},
            fields={"date": _("Après la période de l'offre ou du besoin.")},
        )
    days = distribution_days(match.need)
    if days and day.weekday() not in days:
        raise DomainError(
            "not_a_distribution_day",
            _("La structure reçoit les produits le %(days)s : choisissez l'un de ces jours.")
            % {"days": weekdays(days)},
            fields={"date": _("Pas un jour de distribution de la structure.")},
        )
    if mode == Logistics.PARTNER:
        _require_round_on(match, day)
    match.scheduled_for, match.mode, match.status, match.acted_by_person = day, mode, MS.SCHEDULED, True
    match.reminded_at = None
    match.save()
    organizations_notify(
        other_side_organizations(match, sides),
        kind="match_scheduled",
        title=lambda: (
            _("Livraison prévue le %(date)s : %(product)s")
            % {"date": date_format(day, "SHORT_DATE_FORMAT"), "product": match.offer.product_name}
        ),
        template="offers/email/match_scheduled.txt",
        context={**match_describe(match), "mode": lazy(match.get_mode_display, str)()},
        url=match_url(match.pk),
    )
    return match


@transaction.atomic
def match_confirm_delivery(
    *, match: Match, by, quantity_received: Decimal, delivered_on: date | None = None, note: str = ""
) -> Match:
    """The structure records what it actually received: the figures indicators use."""
    match = _lock(match)
    _require_sides(by, match, only=STRUCTURE)
    _require_status(match, RESERVED_STATUSES, _("confirmer la livraison pour"))
    received = quantity_received
    if received < 0:
        raise DomainError(
            "invalid", _("Quantité invalide."), fields={"quantity_received": _("La quantité ne peut être négative.")}
        )
    if received > match.quantity:
        raise DomainError(
            "quantity_too_high",
            _("Vous ne pouvez pas avoir reçu plus que la quantité convenue (%(quantity)s).")
            % {"quantity": quantity_format(match.quantity, match.unit)},
            fields={"quantity_received": _("Plus que la quantité convenue.")},
        )
    today = timezone.localdate()
    day = delivered_on or today
    if day > today:
        raise DomainError(
            "date_future",
            _("La date de livraison ne peut pas être dans le futur."),
            fields={"delivered_on": _("Date dans le futur.")},
        )
    price = match.price_per_unit if match.offer.pricing != Pricing.DONATION else None
    amount = (price * received).quantize(Decimal("0.01")) if price else Decimal(0)
    delivery = Delivery.objects.create(
        match=match,
        delivered_on=day,
        mode=match.mode,
        quantity_received=received,
        unit=match.unit,
        quantity_kg=match_kg(match, received),
        amount_paid_eur=amount,
        distance_km=distances.match_km(match),  # the farm's and the structure's points, never 0 apart in one commune
        received_by=permissions.as_user(by),
        note=(note or "")[:300],
        lot_number=match.offer.lot_number,
        use_by=match.offer.use_by,
    )
    match.status, match.delivered_at, match.quantity_received = MS.DELIVERED, timezone.now(), received
    match.acted_by_person = True
    match.save()
    signals.delivery_recorded.send(sender=Delivery, match=match, delivery=delivery)
    events.match_event(match, "delivered")
    if received < match.quantity:
        # What did not arrive is still needed: the need's covered quantity drops by it and the
        # next run proposes the rest (22 kg received of 25 is not fully covered).
        need = Need.objects.select_for_update().get(pk=match.need_id)
        shortfall = _need_quantity(match, need, match.quantity - received)
        Need.objects.filter(pk=need.pk).update(
            quantity_covered=Greatest(F("quantity_covered") - shortfall, Decimal(0)), updated_at=timezone.now()
        )
        need.refresh_from_db()
        listings.need_refresh_status(need)
        runs.matching_listing_changed(organization_id=need.organization_id)
    organizations_notify(
        [match.offer.organization_id],
        kind="match_delivered",
        title=lambda: (
            _("Livraison reçue : %(quantity)s de %(product)s")
            % {"quantity": quantity_format(received, match.unit), "product": match.offer.product_name}
        ),
        template="offers/email/match_delivered.txt",
        context={
            **match_describe(match),
            "received": quantity_format(received, match.unit),
            "amount": amount,
        },
        url=match_url(match.pk),
    )
    return match


#: Matches a gleaning harvest may be recorded on: any the pair did not end otherwise.
GLEANABLE_STATUSES = (*ACCEPTABLE_STATUSES, *RESERVED_STATUSES, MS.DELIVERED, MS.WITHDRAWN)


def _need_for_harvest(offer: Offer, structure: Organization, day: date) -> Need | None:
    """The structure's open need that accepts the offer's product and counts in a unit its
    kilograms convert to; one whose window holds the day first, then the oldest."""
    categories = feed_mod.Categories()
    product = set(categories.ancestors(offer.category_id))
    needs = (
        Need.objects.select_for_update()
        .filter(organization=structure, status__in=OPEN_STATUSES)
        .exclude(matches__offer=offer)  # a pair ended otherwise (declined, cancelled) stays so
        .prefetch_related("categories")
        .order_by("id")
    )
    fitting = []
    for need in needs:
        ids = [c.pk for c in need.categories.all()]
        if not product & categories.accepted(ids):
            continue
        if need.unit != "kg" and categories.need_mass(need.unit, ids) is None:
            continue
        fitting.append(need)
    fitting.sort(key=lambda n: (not (n.window_start <= day <= n.window_end), n.pk))
    return fitting[0] if fitting else None


def gleaning_pair_reserved(*, offer: Offer, structure: Organization) -> Decimal:
    """What the offer already holds for the structure before a gleaning harvest: the quantity of
    the pair's match when it is confirmed or scheduled (the match a harvest is recorded on)."""
    match = (
        Match.objects.filter(offer=offer, need__organization=structure, status__in=GLEANABLE_STATUSES)
        .order_by("-id")
        .values_list("status", "quantity")
        .first()
    )
    return match[1] if match is not None and match[0] in RESERVED_STATUSES else Decimal(0)


@transaction.atomic
def delivery_record_gleaned(
    *, offer: Offer, structure: Organization, quantity_kg: Decimal, delivered_on: date, by=None
) -> Delivery | None:
    """The kilograms a structure took home from a gleaning day in this offer's field, as its
    delivery (the figures indicators read; the need it covers counts them): on the pair's match
    when the offer and one of the structure's needs already have one, else on a match made for
    it with the structure's open need that accepts the product. Recording again corrects the
    quantity. None when the offer's unit has no known mass or the structure has no such need:
    then nothing is covered, and the indicators count the harvest on its own (``logistics``).

    The organiser of the day checked who acts (``logistics.services.gleaning``)."""
    mass = quantities.offer_kg_per_unit(offer.category, offer.unit, offer.crate_kg)
    if mass is None or quantity_kg <= 0:
        return None
    quantity = (quantity_kg / mass).quantize(Decimal("0.001"))
    match = (
        Match.objects.select_for_update(of=("self",))
        .select_related("offer", "offer__category", "need")
        .filter(offer=offer, need__organization=structure, status__in=GLEANABLE_STATUSES)
        .order_by("-id")
        .first()
    )
    made = match is None
    if made:
        need = _need_for_harvest(offer, structure, delivered_on)
        if need is None:
            return None
        match = Match.objects.create(
            offer=offer,
            need=need,
            quantity=quantity,
            unit=offer.unit,
            mode=Logistics.GLEANING,
            origin=Match.Origin.GLEANING,
            status=MS.DELIVERED,
            acted_by_person=True,
        )
    need = Need.objects.select_for_update().get(pk=match.need_id)
    delivery = Delivery.objects.filter(match=match).first()
    # What the need already counts of this pair: what was received, else what was reserved.
    if delivery is not None:
        counted = delivery.quantity_received
    elif not made and match.status in RESERVED_STATUSES:
        counted = match.quantity
    else:
        counted = Decimal(0)
    change = _need_quantity(match, need, quantity - counted) if quantity != counted else Decimal(0)
    if change:
        Need.objects.filter(pk=need.pk).update(
            quantity_covered=Greatest(F("quantity_covered") + change, Decimal(0)), updated_at=timezone.now()
        )
    if delivery is None:
        delivery = Delivery(match=match, lot_number=offer.lot_number, use_by=offer.use_by)
    delivery.delivered_on = delivered_on
    delivery.mode = Logistics.GLEANING
    delivery.quantity_received, delivery.unit, delivery.quantity_kg = quantity, offer.unit, quantity_kg
    delivery.amount_paid_eur = Decimal(0)  # gleaned: given
    delivery.received_by = permissions.as_user(by) if by is not None else None
    delivery.save()
    match.quantity = max(match.quantity, quantity)
    match.quantity_received, match.quantity_kg = quantity, match_kg(match, match.quantity)
    match.mode, match.status, match.acted_by_person = Logistics.GLEANING, MS.DELIVERED, True
    match.delivered_at = match.delivered_at or timezone.now()
    match.save()
    need.refresh_from_db()
    listings.need_refresh_status(need)
    events.match_event(match, "delivered")
    return delivery


@transaction.atomic
def match_close(*, match: Match, by) -> Match:
    match = _lock(match)
    _require_sides(by, match)
    _require_status(match, (MS.DELIVERED,), _("clôturer"))
    match.status = MS.CLOSED
    match.save()
    return match


@transaction.atomic
def match_cancel(*, match: Match, by, reason: str) -> Match:
    """Either side withdraws after accepting; a reserved quantity goes back to the offer
    and the offer's next best candidates are proposed at once (cascade)."""
    match = _lock(match)
    sides = _require_sides(by, match)
    _require_status(match, (MS.ACCEPTED_FARM, MS.ACCEPTED_STRUCTURE, *RESERVED_STATUSES), _("annuler"))
    reason = _clean_reason(reason)
    was_reserved = match.status in RESERVED_STATUSES
    if was_reserved:
        _release(match)
    match.status, match.declined_reason, match.declined_by_side = MS.CANCELLED, reason, _side_label(sides)
    match.acted_by_person = True
    match.save()
    events.match_event(match, "cancelled")
    organizations_notify(
        other_side_organizations(match, sides),
        kind="match_cancelled",
        title=lambda: _("Mise en relation annulée : %(product)s") % {"product": match.offer.product_name},
        template="offers/email/match_cancelled.txt",
        context={**match_describe(match), "reason": reason},
        url=match_url(match.pk),
    )
    runs.matching_cascade_later(offer_id=match.offer_id)
    return match


@transaction.atomic
def match_propose_manual(*, by, offer: Offer, need: Need, quantity: Decimal, today: date | None = None) -> Match:
    """An officer pairs an offer and a need by hand; the same hard constraints apply."""
    permissions.require_write(by)
    offer = Offer.objects.select_related("organization").get(pk=offer.pk)
    need = Need.objects.select_related("organization").get(pk=need.pk)
    if not permissions.is_staff(by):
        managed = permissions.officer_territory_ids(by)
        offer_t = set(Territory.objects.filter(communes=offer.organization.commune_id).values_list("id", flat=True))
        need_t = set(Territory.objects.filter(communes=need.organization.commune_id).values_list("id", flat=True))
        if not (managed & offer_t and managed & need_t):
            raise NotAllowed(_("Seul·e un·e chargé·e de mission du territoire peut proposer une mise en relation."))
    today = today or timezone.localdate()
    if quantity <= 0:
        raise DomainError("invalid", _("Quantité invalide."), fields={"quantity": _("Indiquez une quantité positive.")})
    if offer.status not in OPEN_STATUSES or need.status not in OPEN_STATUSES:
        raise DomainError("not_open", _("L'offre et le besoin doivent être publiés."))
    existing = Match.objects.select_for_update().filter(offer=offer, need=need).first()
    untouched = (
        existing is not None
        and existing.status in feed_mod.REWRITABLE_STATUSES
        and not existing.acted_by_person
        and existing.origin == Match.Origin.ENGINE
    )
    if existing is not None and not untouched:
        raise DomainError(
            "pair_exists",
            _("Une mise en relation existe déjà entre cette offre et ce besoin (statut « %(status)s »).")
            % {"status": existing.get_status_display()},
        )
    values = _pair_values(offer=offer, need=need, quantity=quantity, today=today)
    values.update(
        status=MS.PROPOSED,
        origin=Match.Origin.MANUAL,
        proposed_by=permissions.as_user(by),
        acted_by_person=True,
        run=None,
    )
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
        existing.save()
        match = existing
    else:
        match = Match.objects.create(offer=offer, need=need, **values)
    match = Match.objects.select_related("offer__organization", "need__organization").get(pk=match.pk)
    events.match_event(match, "proposed")
    organizations_notify(
        [offer.organization_id, need.organization_id],
        kind="match_proposed",
        title=lambda: _("Nouvelle proposition de mise en relation : %(product)s") % {"product": offer.product_name},
        template="offers/email/match_proposed_manual.txt",
        context=match_describe(match),
        url=match_url(match.pk),
    )
    return match


def _pair_values(*, offer: Offer, need: Need, quantity: Decimal, today: date) -> dict:
    """A hand-made pairing's fields, after the engine's hard constraints on what is left
    of both (``pair_not_feasible`` with every broken constraint otherwise)."""
    territory = runs.territory_for_organization(need.organization_id)
    params = runs.matching_params(today=today, territory=territory)
    offer_input, need_input, structures = feed_mod.pair_inputs(
        offer=offer, need=need, today=today, window_days=params.fairness_window_days
    )
    problems: list[str] = []
    reasons = []
    if offer_input is None:
        problems.append(_("il ne reste rien de l'offre"))
    if need_input is None:
        problems.append(_("le besoin est déjà couvert"))
    if offer_input is not None and need_input is not None:
        reasons = check_pair(offer_input, need_input, params=params, structures=structures)
        problems += [text for text in (reasons_text([r.as_dict()], "") for r in reasons) if text]
    if quantity > offer.quantity_available:
        problems.append(_("quantité demandée supérieure à ce qui reste de l'offre"))
    if quantity < offer.min_quantity:
        problems.append(_("quantité inférieure au minimum par enlèvement de l'offre"))
    grain = _grain(offer)
    if offer.pack_size and quantity % grain:
        problems.append(
            _("la quantité doit être un multiple du colis de %(pack)s %(unit)s")
            % {"pack": offer.pack_size.normalize(), "unit": offer.get_unit_display()}
        )
    elif offer.unit in ("piece", "dozen") and quantity != quantity.to_integral_value():
        problems.append(_("les pièces et les douzaines se comptent entières"))
    if problems:
        raise DomainError(
            "pair_not_feasible",
            _("Cette mise en relation ne respecte pas les conditions : %(reasons)s.")
            % {"reasons": " ; ".join(problems)},
            fields={"constraints": [r.code for r in reasons] or problems},
        )
    proposals = engine_run([offer_input], [need_input], params=params, structures=structures).proposals
    values = {
        "quantity": quantity,
        "unit": offer.unit,
        "score": 0,
        "distance_km": None,
        "mode": Logistics.DELIVERY,
        "reasons": [],
        "components": {},
        "price_per_unit": offer.price_per_unit,
        "quantity_kg": None,
        "proposed_for": None,
    }
    if proposals:
        proposal = proposals[0]
        values.update(feed_mod.proposal_values(proposal, unit=offer.unit, price=offer.price_per_unit))
        values["quantity"] = quantity
        # The engine's share for this pair alone says nothing of the quantity asked for.
        values["reasons"] = [r for r in values["reasons"] if r["code"] != "covers_need"]
    values["quantity_kg"] = quantities.kg_of(
        quantity, quantities.offer_kg_per_unit(offer.category, offer.unit, offer.crate_kg)
    )
    return values


@transaction.atomic
def match_request(*, by, offer: Offer, need: Need, quantity: Decimal, today: date | None = None) -> Match:
    """« Je suis intéressé·e » : a structure asks for an offer it saw on the map or in a list,
    for one of its needs. The same hard constraints apply; the request stands as a proposal
    the structure has accepted, and the farm answers as usual."""
    permissions.require_write(by)
    offer = Offer.objects.select_for_update().select_related("organization", "category").get(pk=offer.pk)
    need = Need.objects.select_related("organization").get(pk=need.pk)
    if need.organization.kind != Organization.Kind.FOOD_AID or STRUCTURE not in match_sides(
        by, Match(offer=offer, need=need)
    ):
        raise NotAllowed(_("Seule la structure du besoin peut demander cette offre."))
    today = today or timezone.localdate()
    if quantity <= 0:
        raise DomainError("invalid", _("Quantité invalide."), fields={"quantity": _("Indiquez une quantité positive.")})
    if offer.status not in OPEN_STATUSES or need.status not in OPEN_STATUSES:
        raise DomainError("not_open", _("L'offre et le besoin doivent être publiés."))
    existing = Match.objects.select_for_update().filter(offer=offer, need=need).first()
    untouched = (
        existing is not None and existing.status in feed_mod.REWRITABLE_STATUSES and not existing.acted_by_person
    )
    if existing is not None and not untouched:
        raise DomainError(
            "pair_exists",
            _("Une mise en relation existe déjà entre cette offre et ce besoin (statut « %(status)s »).")
            % {"status": existing.get_status_display()},
        )
    values = _pair_values(offer=offer, need=need, quantity=quantity, today=today)
    values["reasons"] = [{"code": "requested_by_structure", "params": {}}, *values["reasons"]]
    values.update(
        status=MS.ACCEPTED_STRUCTURE,
        origin=Match.Origin.REQUEST,
        proposed_by=permissions.as_user(by),
        structure_accepted_at=timezone.now(),
        acted_by_person=True,
        run=None,
    )
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
        existing.save()
        match = existing
    else:
        match = Match.objects.create(offer=offer, need=need, **values)
    match = Match.objects.select_related("offer__organization", "need__organization").get(pk=match.pk)
    events.match_event(match, "proposed")
    organizations_notify(
        [offer.organization_id],
        kind="match_requested",
        title=lambda: (
            _("%(structure)s est intéressée par votre offre : %(product)s")
            % {"structure": need.organization, "product": offer.product_name}
        ),
        template="offers/email/match_requested.txt",
        context=match_describe(match),
        url=match_url(match.pk),
    )
    return match


# --- Jobs -----------------------------------------------------------------------------------


def matches_expire_uncollected(*, today: date | None = None) -> int:
    """Confirmed or scheduled but not collected in time: expired, quantity back to the
    offer, next candidates proposed at once."""
    today = today or timezone.localdate()
    grace = timedelta(days=settings.MATCHING_COLLECT_GRACE_DAYS)
    late = Q(status=MS.SCHEDULED, scheduled_for__lt=today - grace) | Q(
        Q(offer__window_end__lt=today) | Q(offer__use_by__lt=today) | Q(need__window_end__lt=today),
        status=MS.CONFIRMED,
    )
    expired = 0
    for pk in Match.objects.filter(late).values_list("pk", flat=True):
        with transaction.atomic():
            match = _lock(Match(pk=pk))
            if match.status not in RESERVED_STATUSES:
                continue
            _release(match)
            match.status = MS.EXPIRED
            match.declined_reason = _("Non enlevée à temps.")
            match.save()
            organizations_notify(
                [match.offer.organization_id, match.need.organization_id],
                kind="match_expired",
                title=lambda match=match: (
                    _("Mise en relation expirée (non enlevée à temps) : %(product)s")
                    % {"product": match.offer.product_name}
                ),
                template="offers/email/match_expired.txt",
                context=match_describe(match),
                url=match_url(match.pk),
            )
            runs.matching_cascade_later(offer_id=match.offer_id)
        expired += 1
    return expired


def matches_expire_stale(*, today: date | None = None) -> int:
    """Proposals nobody confirmed whose offer or need is closed or past: untouched ones
    are withdrawn, those one side accepted expire."""
    today = today or timezone.localdate()
    gone = (
        ~Q(offer__status__in=OPEN_STATUSES)
        | ~Q(need__status__in=OPEN_STATUSES)
        | Q(offer__window_end__lt=today)
        | Q(offer__use_by__lt=today)
        | Q(need__window_end__lt=today)
    )
    with transaction.atomic():
        withdrawn = Match.objects.filter(gone, feed_mod.untouched_q(), status=MS.PROPOSED).update(
            status=MS.WITHDRAWN, updated_at=timezone.now()
        )
        expired = (
            Match.objects.filter(gone, status__in=ACCEPTABLE_STATUSES)
            .exclude(feed_mod.untouched_q())
            .update(status=MS.EXPIRED, updated_at=timezone.now())
        )
    return withdrawn + expired


def matches_remind_upcoming(*, today: date | None = None) -> int:
    """The day before a scheduled delivery, both sides get a reminder (once)."""
    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    sent = 0
    for match in Match.objects.filter(
        status=MS.SCHEDULED, scheduled_for=tomorrow, reminded_at__isnull=True
    ).select_related("offer__organization", "need__organization"):
        with transaction.atomic():
            if not Match.objects.filter(pk=match.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
                continue
            organizations_notify(
                [match.offer.organization_id, match.need.organization_id],
                kind="match_reminder",
                title=lambda match=match: (
                    _("Rappel : livraison demain – %(product)s") % {"product": match.offer.product_name}
                ),
                template="offers/email/match_reminder.txt",
                context={**match_describe(match), "mode": lazy(match.get_mode_display, str)()},
                url=match_url(match.pk),
            )
        sent += 1
    return sent
