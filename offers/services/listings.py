"""Offers and needs: create, update, publish, withdraw, delete, expire.

Every function takes typed input (``offers.inputs.OfferData`` / ``NeedData``, parsed by the
one validation layer), checks who acts (``actors.permissions``), checks the rules that need
the database or several fields, and raises one ``DomainError`` carrying every field error at
once (the input's and its own), before anything is written. After a change that matters to
matching, ``runs.matching_listing_changed`` schedules a (debounced) recompute, queued once the
transaction commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import FarmProfile, Organization, StructureProfile
from actors.permissions import EditRights, as_user, require_edit_organization
from miam.errors import DomainError
from miam.inputs import FieldErrors
from offers import events
from offers.inputs import NeedData, OfferData
from offers.models import (
    MEANS_FIELDS,
    NEED_KINDS,
    OFFER_KINDS,
    OPEN_STATUSES,
    Logistics,
    Need,
    Offer,
    Pricing,
    Status,
    profile_means,
)
from offers.services import runs
from offers.signals import listings_bulk_changed
from products.models import STORAGE_RANK, Storage, Unit

logger = logging.getLogger(__name__)

REOPENABLE = (Status.DRAFT, Status.WITHDRAWN, Status.EXPIRED)
_KEEP = object()


def _changed(organization_id: int) -> None:
    """Tell matching that an open listing of this organization changed (in this transaction:
    the run it schedules is queued once it commits, and not at all if it rolls back)."""
    runs.matching_listing_changed(organization_id=organization_id)


def _require_kind(organization: Organization, kinds, message: str) -> None:
    if organization.kind not in kinds:
        raise DomainError("wrong_kind", message, fields={"organization": [message]})


def _take(listing, data, errors: FieldErrors, name: str, *, on_error=_KEEP) -> None:
    """Set a given field of ``data`` on ``listing``; a refused one is left as it was (or set
    to ``on_error``, so that the rules that read it skip it)."""
    if name not in data.given:
        return
    if errors.has(name):
        if on_error is not _KEEP:
            setattr(listing, name, on_error)
        return
    setattr(listing, name, getattr(data, name))


# --- Steps shared by offers and needs ----------------------------------------------------


def _status_from_quantities(listing, taken: Decimal) -> str:
    """Published, partly or fully matched, from what matches already took."""
    if taken <= 0:
        return Status.PUBLISHED
    if taken < listing.quantity:
        return Status.PARTLY_MATCHED
    return Status.FULLY_MATCHED


def _save_new(listing, *, publish: bool, by, categories=None):
    listing.status = Status.PUBLISHED if publish else Status.DRAFT
    listing.save()
    if categories is not None:
        listing.categories.set(categories)
    if publish:
        _changed(listing.organization_id)
    events.listing_event(listing, "created")
    logger.info(
        "%s %s created for organization %s by %s", listing._meta.model_name, listing.pk, listing.organization_id, by
    )
    return listing


def _save_update(listing, *, was_open: bool, taken: Decimal, categories=None):
    if was_open:
        listing.status = _status_from_quantities(listing, taken)
    listing.save()
    if categories is not None:
        listing.categories.set(categories)
    if was_open:
        _changed(listing.organization_id)
    events.listing_event(listing, "updated")
    return listing


def _publish(listing, *, taken: Decimal, last_day: dt.date):
    if listing.status not in REOPENABLE:
        return listing
    if last_day < timezone.localdate():
        raise DomainError(
            "window_past",
            _("Cette période est déjà passée : changez les dates avant de publier."),
            fields={"window_end": [_("Cette période est déjà passée.")]},
        )
    listing.status = _status_from_quantities(listing, taken)
    listing.save(update_fields=["status", "updated_at"])
    _changed(listing.organization_id)
    events.listing_event(listing, "updated")
    return listing


def _withdraw(listing):
    if listing.status == Status.WITHDRAWN:
        return listing
    was_open = listing.status in OPEN_STATUSES
    listing.status = Status.WITHDRAWN
    listing.save(update_fields=["status", "updated_at"])
    if was_open:
        _changed(listing.organization_id)
    events.listing_event(listing, "withdrawn")
    return listing


def _delete(listing, *, photo=None) -> bool:
    """Delete a listing that never had a match (its photo file after the commit); one with
    matches is withdrawn instead. True when it is gone."""
    if listing.matches.exists():
        with transaction.atomic():
            _withdraw(listing)
        return False
    was_open = listing.status in OPEN_STATUSES
    organization_id = listing.organization_id
    photo_name = photo.name if photo else ""
    pk = listing.pk
    listing.delete()
    events.listing_event(listing, "deleted", pk=pk)
    if photo_name:
        storage = photo.storage
        transaction.on_commit(lambda: storage.delete(photo_name))
    if was_open:
        _changed(organization_id)
    return True


def _refresh_status(listing, *, taken: Decimal):
    if listing.status in (*OPEN_STATUSES, Status.FULLY_MATCHED):
        status = _status_from_quantities(listing, taken)
        if status != listing.status:
            listing.status = status
            listing.save(update_fields=["status", "updated_at"])
    return listing


# --- Offers ------------------------------------------------------------------------------


def _warmer(storage: str, than: str) -> bool:
    return STORAGE_RANK[Storage(storage)] < STORAGE_RANK[Storage(than)]


def _apply_offer(offer: Offer, data: OfferData, *, creating: bool, today: dt.date) -> FieldErrors:
    """Set ``data`` on ``offer`` and check the resulting offer as a whole; every error found
    (the input's and the rules') is returned."""
    errors = data.errors.copy()
    for name in ("category", "product_name", "description", "quantity"):
        _take(offer, data, errors, name, on_error=None if name == "quantity" else _KEEP)
    if "min_quantity" in data.given:
        offer.min_quantity = data.min_quantity if data.min_quantity is not None else Decimal(0)
    for name in ("unit", "crate_kg", "pack_size", "window_start", "window_end", "use_by"):
        _take(offer, data, errors, name, on_error=_KEEP if name == "unit" else None)
    if "recurrence" in data.given and data.recurrence is not None:
        offer.recurrence = data.recurrence
    if "pricing" in data.given and data.pricing is not None:
        # Switching an existing offer to a donation drops its prices unless they are given.
        if not creating and data.pricing == Pricing.DONATION:
            if "price_per_unit" not in data.given:
                offer.price_per_unit = None
            if "usual_price_per_unit" not in data.given:
                offer.usual_price_per_unit = None
        offer.pricing = data.pricing
    for name in ("price_per_unit", "usual_price_per_unit"):
        _take(offer, data, errors, name, on_error=None)
    _take(offer, data, errors, "labels")
    if "storage" in data.given and (data.storage is not None or errors.has("storage")):
        _take(offer, data, errors, "storage")
    elif offer.category_id and (
        creating or ("category" in data.given and _warmer(offer.storage, offer.category.storage))
    ):
        # The category's storage class, or the offer's own when it is already stricter.
        offer.storage = offer.category.storage
    if "logistics" in data.given and not errors.has("logistics"):
        offer.logistics = list(data.logistics) or [Logistics.PICKUP.value]
    radius_given = "delivery_radius_km" in data.given and (
        data.delivery_radius_km is not None or errors.has("delivery_radius_km")
    )
    if radius_given:
        _take(offer, data, errors, "delivery_radius_km", on_error=None)
    _take(offer, data, errors, "logistics_partner")
    _take(offer, data, errors, "lot_number")
    if "photo" in data.given and not errors.has("photo"):
        replaced = offer.photo.name if not creating and offer.photo else ""
        if data.photo is not None:
            offer.photo = data.photo
        elif not creating:
            offer.photo = None
        if replaced:  # the old file goes once the new one is committed (nothing else points to it)
            storage = offer.photo.storage
            transaction.on_commit(lambda: storage.delete(replaced))

    # --- The offer as a whole --------------------------------------------------------------
    if offer.quantity is not None and not errors.has("quantity"):
        if offer.quantity <= 0:
            errors.add("quantity", _("La quantité doit être strictement positive."), "quantity_not_positive")
        elif offer.quantity < offer.quantity_reserved:
            errors.add(
                "quantity",
                _("Déjà %(n)s réservés : la quantité ne peut pas descendre en dessous.")
                % {"n": offer.quantity_reserved.normalize()},
                "below_reserved",
            )
    if offer.min_quantity is not None and not errors.has("min_quantity"):
        if offer.min_quantity < 0:
            errors.add("min_quantity", _("La quantité minimale ne peut pas être négative."), "negative")
        elif offer.quantity is not None and offer.quantity > 0 and offer.min_quantity > offer.quantity:
            errors.add("min_quantity", _("La quantité minimale dépasse la quantité offerte."), "min_quantity_too_large")
    if offer.pack_size is not None and not errors.has("pack_size"):
        if offer.pack_size <= 0:
            errors.add("pack_size", _("La taille d'un colis doit être strictement positive."), "pack_size_not_positive")
        elif offer.quantity is not None and offer.quantity > 0 and offer.pack_size > offer.quantity:
            errors.add("pack_size", _("Un colis ne peut pas dépasser la quantité offerte."), "pack_size_too_large")
    if offer.unit == Unit.CRATE and not errors.has("crate_kg"):
        if offer.crate_kg is None or offer.crate_kg <= 0:
            errors.add("crate_kg", _("Indiquez le poids d'une cagette en kg."), "crate_kg_required")
    elif offer.unit != Unit.CRATE:
        offer.crate_kg = None
    if offer.window_start and offer.window_end:
        if offer.window_end < offer.window_start:
            errors.add("window_end", _("La fin de la période précède son début."), "window_reversed")
        elif offer.use_by and offer.use_by < offer.window_start:
            errors.add(
                "use_by", _("La date limite de consommation précède le début de la période."), "use_by_too_early"
            )
        elif (creating or {"window_start", "window_end", "use_by"} & data.given) and offer.effective_end < today:
            errors.add("window_end", _("Cette période est déjà passée."), "window_past")
    if errors.has("pricing"):
        pass  # unknown conditions: the prices cannot be judged
    elif offer.pricing == Pricing.DONATION:
        for field in ("price_per_unit", "usual_price_per_unit"):
            value = getattr(offer, field)
            if value is not None and value != 0:
                errors.add(field, _("Un don n'a pas de prix."), "price_on_donation")
            setattr(offer, field, None)
    elif not errors.has("price_per_unit"):
        # A negative price is wrong, not missing: say so (a partner read « Indiquez un prix » for -1).
        if offer.price_per_unit is not None and offer.price_per_unit < 0:
            errors.add("price_per_unit", _("Le prix ne peut être négatif."), "negative")
        elif offer.price_per_unit is None or offer.price_per_unit == 0:
            errors.add("price_per_unit", _("Indiquez un prix par unité."), "price_required")
        elif offer.pricing == Pricing.SOLIDARITY and not errors.has("usual_price_per_unit"):
            if offer.usual_price_per_unit is not None and offer.usual_price_per_unit < 0:
                errors.add("usual_price_per_unit", _("Le prix ne peut être négatif."), "negative")
            elif offer.usual_price_per_unit is None:
                errors.add(
                    "usual_price_per_unit",
                    _("Indiquez le prix habituel, pour que la remise se voie."),
                    "usual_price_required",
                )
            elif offer.usual_price_per_unit <= offer.price_per_unit:
                errors.add(
                    "price_per_unit",
                    _("Le prix solidaire doit être inférieur au prix habituel."),
                    "solidarity_price_not_below_usual",
                )
    if offer.category_id and not errors.has("storage") and _warmer(offer.storage, offer.category.storage):
        errors.add(
            "storage",
            _("Ce produit se conserve au moins en « %(storage)s ».")
            % {"storage": Storage(offer.category.storage).label},
            "storage_too_warm",
        )
    if not errors.has("logistics") and not errors.has("delivery_radius_km"):
        if Logistics.DELIVERY in offer.logistics:
            if not radius_given and (creating or "logistics" in data.given) and not offer.delivery_radius_km:
                profile = FarmProfile.objects.filter(organization_id=offer.organization_id).first()
                offer.delivery_radius_km = profile.delivery_radius_km if profile else Decimal(0)
            if offer.delivery_radius_km is not None and offer.delivery_radius_km < 0:
                errors.add("delivery_radius_km", _("Le rayon ne peut pas être négatif."), "negative")
            elif not offer.delivery_radius_km:
                errors.add(
                    "delivery_radius_km",
                    _("Indiquez jusqu'à combien de kilomètres vous livrez."),
                    "delivery_radius_required",
                )
        elif offer.delivery_radius_km is None or offer.delivery_radius_km < 0:
            errors.add("delivery_radius_km", _("Le rayon ne peut pas être négatif."), "negative")
    return errors


@transaction.atomic
def offer_create(*, by, organization: Organization, data: OfferData, publish: bool = True) -> Offer:
    """A farm or processor posts what it can give or sell. ``storage`` None = the category's;
    ``delivery_radius_km`` None = the farm profile's (when the farm delivers)."""
    return _save_new(offer_prepare(by=by, organization=organization, data=data), publish=publish, by=by)


def offer_prepare(
    *, by, organization: Organization, data: OfferData, today: dt.date | None = None, rights: EditRights | None = None
) -> Offer:
    """Every rule of ``offer_create``, nothing written: the offer to save. ``rights``: who
    may edit which organization, loaded once for many offers (an import)."""
    require_edit_organization(by, organization, rights=rights)
    _require_kind(organization, OFFER_KINDS, _("Seule une ferme ou un transformateur peut publier une offre."))
    offer = Offer(organization=organization, created_by=as_user(by), quantity_reserved=Decimal(0))
    _apply_offer(offer, data, creating=True, today=today or timezone.localdate()).raise_if_any()
    return offer


def _lock_offer(offer: Offer) -> Offer:
    return Offer.objects.select_for_update().select_related("organization", "category").get(pk=offer.pk)


@transaction.atomic
def offer_update(*, offer: Offer, by, data: OfferData) -> Offer:
    """Change the fields ``data`` gives; the offer is checked again as a whole."""
    require_edit_organization(by, offer.organization)
    offer = _lock_offer(offer)
    was_open = offer.status in OPEN_STATUSES
    _apply_offer(offer, data, creating=False, today=timezone.localdate()).raise_if_any()
    return _save_update(offer, was_open=was_open, taken=offer.quantity_reserved)


@transaction.atomic
def offer_publish(*, offer: Offer, by) -> Offer:
    """Publish a draft, or put back a withdrawn or expired offer whose window is still ahead."""
    require_edit_organization(by, offer.organization)
    offer = _lock_offer(offer)
    return _publish(offer, taken=offer.quantity_reserved, last_day=offer.effective_end)


@transaction.atomic
def offer_withdraw(*, offer: Offer, by) -> Offer:
    require_edit_organization(by, offer.organization)
    return _withdraw(_lock_offer(offer))


@transaction.atomic
def offer_delete(*, offer: Offer, by) -> bool:
    """Delete an offer that never had a match; one with matches is withdrawn instead.

    Returns True when the offer is gone, False when it was withdrawn."""
    require_edit_organization(by, offer.organization)
    offer = _lock_offer(offer)
    return _delete(offer, photo=offer.photo or None)


def offer_refresh_status(offer: Offer) -> Offer:
    """Recompute published / partly / fully matched from ``quantity_reserved``.

    Called by the matching services after they reserved or released quantity (inside
    their transaction, with the row locked). Drafts, withdrawn and expired offers keep
    their status. Does not signal a change to matching: matching itself caused it."""
    return _refresh_status(offer, taken=offer.quantity_reserved)


@transaction.atomic
def offer_quantity_hold(*, offer_id: int, change: Decimal, partial: bool = False, message: str = "") -> Decimal:
    """Hold ``change`` more of an offer outside a match (a pre-order of its harvest, what a
    gleaning day carried away), or give it back when negative, under the offer's row lock: what
    is held is no longer available to matching. More than is left is refused
    (``offer_exhausted``, 409) or, with ``partial``, held up to what is left. What was held (or
    given back, negative); the offer's status follows."""
    offer = Offer.objects.select_for_update().get(pk=offer_id)
    if change < 0:
        change = max(change, -offer.quantity_reserved)
    elif change > offer.quantity_available:
        if not partial:
            raise DomainError(
                "offer_exhausted",
                message or _("Cette offre n'a plus assez de quantité disponible : elle a déjà été réservée."),
            )
        change = max(offer.quantity_available, Decimal(0))
    if change:
        offer.quantity_reserved += change
        Offer.objects.filter(pk=offer.pk).update(quantity_reserved=offer.quantity_reserved, updated_at=timezone.now())
        offer_refresh_status(offer)
    return change


@transaction.atomic
def offer_hold_convert(*, offer_id: int, held: Decimal, moved: Decimal) -> None:
    """What an offer held for a pre-order becomes deliveries of another offer (an agreement's
    planned production): the hold is released and the ``moved`` quantity leaves this offer, so
    it is never promised twice; the rest of the hold (days already past) is available again.
    An offer left with nothing is withdrawn, as a planned production is."""
    offer = Offer.objects.select_for_update().get(pk=offer_id)
    moved = min(moved, held)
    reserved = max(offer.quantity_reserved - held, Decimal(0))
    left = offer.quantity - moved
    now = timezone.now()
    if left > 0:
        Offer.objects.filter(pk=offer.pk).update(quantity=left, quantity_reserved=min(reserved, left), updated_at=now)
        offer.quantity, offer.quantity_reserved = left, min(reserved, left)
        offer_refresh_status(offer)
    else:
        Offer.objects.filter(pk=offer.pk).update(quantity_reserved=0, status=Status.WITHDRAWN, updated_at=now)


# --- Needs -------------------------------------------------------------------------------


#: ``profile`` not given: the structure's profile is read when needed.
_LOAD = object()


def _apply_need(need: Need, data: NeedData, *, creating: bool, today: dt.date, profile=_LOAD) -> FieldErrors:
    """Set ``data`` on ``need`` and check it as a whole; every error found is returned.
    ``profile``: the structure's profile as loaded (None: it has none), else read here."""
    errors = data.errors.copy()
    for name in ("title", "description"):
        _take(need, data, errors, name)
    _take(need, data, errors, "quantity", on_error=None)
    _take(need, data, errors, "unit")
    for name in ("window_start", "window_end"):
        _take(need, data, errors, name, on_error=None)
    if "frequency" in data.given and data.frequency is not None:
        need.frequency = data.frequency
    if "accepted_pricing" in data.given and data.accepted_pricing is not None:
        if not creating and data.accepted_pricing == Need.AcceptedPricing.DONATION_ONLY:
            if "max_price_per_unit" not in data.given:
                need.max_price_per_unit = None
            if "budget_eur" not in data.given:
                need.budget_eur = None
        need.accepted_pricing = data.accepted_pricing
    for name in ("max_price_per_unit", "budget_eur"):
        _take(need, data, errors, name, on_error=None)
    if "urgency" in data.given and data.urgency is not None:
        need.urgency = data.urgency
    _take(need, data, errors, "preferred_labels")
    # The structure's means: None, or the profile's own value, means "as in the structure's
    # profile" (read at each run, so that changing the profile changes the next run); any
    # other value is this need's override.
    given_means = [name for name in MEANS_FIELDS if name in data.given and not errors.has(name)]
    if given_means:
        if profile is _LOAD:
            profile = StructureProfile.objects.filter(organization_id=need.organization_id).first()
        base = profile_means(profile)
        for name in given_means:
            value = getattr(data, name)
            setattr(need, name, None if value is None or value == base[name] else value)

    # --- The need as a whole ---------------------------------------------------------------
    if need.quantity is not None and not errors.has("quantity"):
        if need.quantity <= 0:
            errors.add("quantity", _("La quantité doit être strictement positive."), "quantity_not_positive")
        elif need.quantity < need.quantity_covered:
            errors.add(
                "quantity",
                _("Déjà %(n)s pourvus : la quantité ne peut pas descendre en dessous.")
                % {"n": need.quantity_covered.normalize()},
                "below_covered",
            )
    if need.window_start and need.window_end:
        if need.window_end < need.window_start:
            errors.add("window_end", _("La fin de la période précède son début."), "window_reversed")
        elif (creating or {"window_start", "window_end"} & data.given) and need.window_end < today:
            errors.add("window_end", _("Cette période est déjà passée."), "window_past")
    if errors.has("accepted_pricing"):
        pass  # unknown conditions: the prices cannot be judged
    elif need.accepted_pricing == Need.AcceptedPricing.DONATION_ONLY:
        for field in ("max_price_per_unit", "budget_eur"):
            value = getattr(need, field)
            if value is not None and value != 0:
                errors.add(field, _("Un besoin en dons uniquement n'a pas de prix."), "price_on_donation")
            setattr(need, field, None)
    elif not errors.has("max_price_per_unit") and not errors.has("budget_eur"):
        for field in ("max_price_per_unit", "budget_eur"):
            value = getattr(need, field)
            if value is not None and value < 0:
                errors.add(field, _("Ce montant ne peut pas être négatif."), "negative")
        if not (need.max_price_per_unit or need.budget_eur):
            errors.add(
                "max_price_per_unit",
                _("Pour acheter, indiquez un prix maximum par unité ou un budget."),
                "price_required",
            )
    if need.pickup_radius_km is not None and need.pickup_radius_km < 0 and not errors.has("pickup_radius_km"):
        errors.add("pickup_radius_km", _("Le rayon ne peut pas être négatif."), "negative")
    return errors


@transaction.atomic
def need_create(*, by, organization: Organization, data: NeedData, publish: bool = True) -> Need:
    """A food-aid structure posts what it needs. Storage and pick-up capacity left to None
    are prefilled from the structure's profile."""
    need = need_prepare(by=by, organization=organization, data=data)
    return _save_new(need, publish=publish, by=by, categories=data.categories or [])


def need_prepare(
    *,
    by,
    organization: Organization,
    data: NeedData,
    today: dt.date | None = None,
    rights: EditRights | None = None,
    profile=_LOAD,
) -> Need:
    """Every rule of ``need_create``, nothing written: the need to save. ``rights`` (as
    ``offer_prepare``) and ``profile`` (the structure's, None when it has none) loaded once for
    many needs (an import), else read here."""
    require_edit_organization(by, organization, rights=rights)
    _require_kind(organization, NEED_KINDS, _("Seule une structure d'aide alimentaire peut publier un besoin."))
    need = Need(organization=organization, created_by=as_user(by), quantity_covered=Decimal(0))
    _apply_need(need, data, creating=True, today=today or timezone.localdate(), profile=profile).raise_if_any()
    return need


#: Rows per INSERT when many listings are written at once.
BULK_BATCH = 1000


@transaction.atomic
def listings_create_many(*, by, listings: list, categories: list | None = None, publish: bool = True) -> list:
    """Write offers or needs (one kind) that ``offer_prepare`` / ``need_prepare`` accepted, in a
    few INSERTs (an import), with what ``_save_new`` sets off batched: one matching schedule
    per organization, the ``created`` events in one batch, the visitors' cache dropped once.
    ``categories``: each need's categories, in the same order."""
    if not listings:
        return []
    model = type(listings[0])
    for listing in listings:
        listing.status = Status.PUBLISHED if publish else Status.DRAFT
    model.objects.bulk_create(listings, batch_size=BULK_BATCH)
    if categories is not None:
        through = model.categories.through
        rows = [
            through(need_id=listing.pk, productcategory_id=category.pk)
            for listing, chosen in zip(listings, categories, strict=True)
            for category in dict.fromkeys(chosen or [])
        ]
        through.objects.bulk_create(rows, batch_size=BULK_BATCH)
    organization_ids = sorted({listing.organization_id for listing in listings})
    if publish:
        for organization_id in organization_ids:
            _changed(organization_id)
    events.listings_created(listings)
    transaction.on_commit(lambda: listings_bulk_changed.send(sender=model))
    logger.info(
        "%s %ss created for %s organizations by %s", len(listings), model._meta.model_name, len(organization_ids), by
    )
    return listings


def _lock_need(need: Need) -> Need:
    return Need.objects.select_for_update().select_related("organization").get(pk=need.pk)


@transaction.atomic
def need_update(*, need: Need, by, data: NeedData) -> Need:
    require_edit_organization(by, need.organization)
    need = _lock_need(need)
    was_open = need.status in OPEN_STATUSES
    _apply_need(need, data, creating=False, today=timezone.localdate()).raise_if_any()
    categories = data.categories if "categories" in data.given else None
    return _save_update(need, was_open=was_open, taken=need.quantity_covered, categories=categories)


@transaction.atomic
def need_publish(*, need: Need, by) -> Need:
    require_edit_organization(by, need.organization)
    need = _lock_need(need)
    return _publish(need, taken=need.quantity_covered, last_day=need.window_end)


@transaction.atomic
def need_withdraw(*, need: Need, by) -> Need:
    require_edit_organization(by, need.organization)
    return _withdraw(_lock_need(need))


@transaction.atomic
def need_delete(*, need: Need, by) -> bool:
    """Delete a need that never had a match; one with matches is withdrawn instead."""
    require_edit_organization(by, need.organization)
    return _delete(_lock_need(need))


def need_refresh_status(need: Need) -> Need:
    """Recompute published / partly / fully matched from ``quantity_covered`` (see
    ``offer_refresh_status``)."""
    return _refresh_status(need, taken=need.quantity_covered)


# --- Expiry ------------------------------------------------------------------------------


@transaction.atomic
def listings_expire(*, today: dt.date) -> dict[str, int]:
    """Open offers whose effective end (window end or earlier use-by date) and open needs
    whose window end is before ``today`` become expired. Idempotent; run daily."""
    now = timezone.now()
    offers = Offer.objects.filter(status__in=OPEN_STATUSES).filter(Q(window_end__lt=today) | Q(use_by__lt=today))
    needs = Need.objects.filter(status__in=OPEN_STATUSES, window_end__lt=today)
    organization_ids = set(offers.values_list("organization_id", flat=True)) | set(
        needs.values_list("organization_id", flat=True)
    )
    # The rows before they change, for their events (not even read when nobody listens).
    offer_rows = list(offers.values_list("id", "organization_id")) if events.expired_wanted("offer") else []
    need_rows = list(needs.values_list("id", "organization_id")) if events.expired_wanted("need") else []
    # update() skips auto_now: set updated_at by hand so that partner apps see the change.
    expired_offers = offers.update(status=Status.EXPIRED, updated_at=now)
    expired_needs = needs.update(status=Status.EXPIRED, updated_at=now)
    events.listings_expired("offer", offer_rows)
    events.listings_expired("need", need_rows)
    for organization_id in sorted(organization_ids):
        _changed(organization_id)
    if expired_offers or expired_needs:
        transaction.on_commit(lambda: listings_bulk_changed.send(sender=Offer))
    if expired_offers or expired_needs:
        logger.info("expired %s offers and %s needs", expired_offers, expired_needs)
    return {"offers": expired_offers, "needs": expired_needs}
