"""Offers and needs: create, update, publish, withdraw, delete, expire.

Every function checks who acts (``actors.permissions``), validates the whole resulting
state and raises one ``DomainError`` carrying every field error at once, before anything
is written. After a change that matters to matching, ``runs.matching_listing_changed``
schedules a (debounced) recompute, queued once the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import FarmProfile, Organization, StructureProfile
from actors.permissions import as_user, require_edit_organization
from miam.errors import DomainError
from offers.models import NEED_KINDS, OFFER_KINDS, OPEN_STATUSES, Logistics, Need, Offer, Pricing, Recurrence, Status
from offers.services import runs
from offers.signals import listings_bulk_changed
from offers.validators import validate_image_upload
from products.labels import FARM_LABELS
from products.models import STORAGE_RANK, ProductCategory, Storage, Unit

logger = logging.getLogger(__name__)

NEED_FREQUENCIES = (Recurrence.ONCE, Recurrence.WEEKLY, Recurrence.MONTHLY)
REOPENABLE = (Status.DRAFT, Status.WITHDRAWN, Status.EXPIRED)

OFFER_FIELDS = (
    "category",
    "product_name",
    "quantity",
    "unit",
    "window_start",
    "window_end",
    "pricing",
    "price_per_unit",
    "usual_price_per_unit",
    "min_quantity",
    "recurrence",
    "labels",
    "storage",
    "logistics",
    "delivery_radius_km",
    "logistics_partner",
    "lot_number",
    "use_by",
    "photo",
    "description",
    "crate_kg",
)
NEED_FIELDS = (
    "categories",
    "title",
    "quantity",
    "unit",
    "window_start",
    "window_end",
    "accepted_pricing",
    "max_price_per_unit",
    "budget_eur",
    "frequency",
    "urgency",
    "preferred_labels",
    "description",
    "has_fridge",
    "chilled_capacity_kg",
    "has_freezer",
    "frozen_capacity_kg",
    "pickup_radius_km",
    "has_vehicle",
)

# (max_digits, decimal_places) of the model fields, so that nothing overflows in the database.
QTY_DIGITS = (12, 3)
PRICE_DIGITS = (9, 2)
RADIUS_DIGITS = (6, 1)
MAX_POSITIVE_INT = 2_147_483_647


class _Errors:
    """Collects field errors so that a form shows all of them at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.codes: list[str] = []

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.fields.setdefault(field, []).append(str(message))
        self.codes.append(code)

    def has(self, field: str) -> bool:
        return field in self.fields

    def raise_if_any(self) -> None:
        if self.fields:
            raise DomainError(self.codes[0], _("Certaines données sont invalides."), fields=self.fields)


# --- Parsing helpers ---------------------------------------------------------------------


def _decimal(errors: _Errors, field: str, value, digits: tuple[int, int], *, required=True) -> Decimal | None:
    if value is None or value == "":
        if required:
            errors.add(field, _("Ce champ est obligatoire."), "required")
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        errors.add(field, _("Nombre invalide."))
        return None
    if not number.is_finite():
        errors.add(field, _("Nombre invalide."))
        return None
    max_digits, places = digits
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if abs(number) >= Decimal(10) ** (max_digits - places):
        errors.add(field, _("Ce nombre est trop grand."), "too_large")
        return None
    return number


def _date(errors: _Errors, field: str, value, *, required=True) -> dt.date | None:
    if value is None or value == "":
        if required:
            errors.add(field, _("Ce champ est obligatoire."), "required")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.add(field, _("Date invalide (format AAAA-MM-JJ)."))
        return None


def _text(errors: _Errors, field: str, value, *, max_length: int | None = None, required=False) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        errors.add(field, _("Caractère non autorisé."))
        return ""
    if required and not text:
        errors.add(field, _("Ce champ est obligatoire."), "required")
    if max_length and len(text) > max_length:
        errors.add(field, _("%(max)s caractères au plus.") % {"max": max_length}, "too_long")
    return text


def _choice(errors: _Errors, field: str, value, choices, message: str) -> str | None:
    if value not in list(choices):
        errors.add(field, message, "invalid_choice")
        return None
    return value


def _string_list(errors: _Errors, field: str, value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        errors.add(field, _("Une liste est attendue."))
        return []
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            errors.add(field, _("Une liste de textes est attendue."))
            return []
        if item not in out:
            out.append(item)
    return out


def _labels(errors: _Errors, field: str, value) -> list[str]:
    labels = _string_list(errors, field, value)
    unknown = [label for label in labels if label not in FARM_LABELS]
    if unknown:
        errors.add(field, _("Label inconnu : %(labels)s.") % {"labels": ", ".join(unknown)}, "unknown_label")
    return labels


def _flag(errors: _Errors, field: str, value) -> bool:
    if isinstance(value, bool):
        return value
    errors.add(field, _("Oui ou non attendu."))
    return False


def _positive_int(errors: _Errors, field: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        errors.add(field, _("Nombre entier attendu."))
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.add(field, _("Nombre entier attendu."))
        return 0
    if number < 0:
        errors.add(field, _("Ce nombre ne peut pas être négatif."), "negative")
    elif number > MAX_POSITIVE_INT:
        errors.add(field, _("Ce nombre est trop grand."), "too_large")
        return 0
    return number


def category_resolve(value) -> ProductCategory | None:
    """A category from an instance, an id or a code; None when unknown."""
    if isinstance(value, ProductCategory):
        return value
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text or "\x00" in text:
        return None
    if text.isdigit():
        return ProductCategory.objects.filter(pk=int(text)).select_related("parent").first()
    return ProductCategory.objects.filter(code=text).select_related("parent").first()


def _category(errors: _Errors, field: str, value) -> ProductCategory | None:
    category = category_resolve(value)
    if category is None:
        errors.add(field, _("Catégorie inconnue : « %(value)s ».") % {"value": value}, "unknown_category")
    return category


def _organization(value) -> Organization | None:
    if isinstance(value, Organization):
        return value
    if value is None or isinstance(value, bool):
        return None
    try:
        return Organization.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


def _changed(organization_id: int) -> None:
    """Tell matching that an open listing of this organization changed (in this transaction:
    the run it schedules is queued once it commits, and not at all if it rolls back)."""
    runs.matching_listing_changed(organization_id=organization_id)


def _require_kind(organization: Organization, kinds, message: str) -> None:
    if organization.kind not in kinds:
        raise DomainError("wrong_kind", message, fields={"organization": [message]})


def _check_unknown(fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise DomainError(
            "unknown_field",
            _("Certaines données sont invalides."),
            fields={name: [_("Champ inconnu ou non modifiable.")] for name in unknown},
        )


# --- Steps shared by offers and needs ----------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    """What differs between an offer and a need in the steps they share."""

    name: str  # "offer" or "need", for the log
    fields: tuple[str, ...]  # what an update may change
    lock: Callable[[Any], Any]  # the listing again, row locked
    apply: Callable[..., list[ProductCategory] | None]  # parse and validate; new categories, if any
    taken: str  # the quantity already promised by matches
    last_day: Callable[[Any], dt.date]  # past it, the listing cannot be published
    photo_field: str | None = None  # a file deleted with the listing


def _status_from_quantities(listing, kind: _Kind) -> str:
    taken = getattr(listing, kind.taken)
    if taken <= 0:
        return Status.PUBLISHED
    if taken < listing.quantity:
        return Status.PARTLY_MATCHED
    return Status.FULLY_MATCHED


def _save_new(listing, *, kind: _Kind, categories, publish: bool, by):
    listing.status = Status.PUBLISHED if publish else Status.DRAFT
    listing.save()
    if categories is not None:
        listing.categories.set(categories)
    if publish:
        _changed(listing.organization_id)
    logger.info("%s %s created for organization %s by %s", kind.name, listing.pk, listing.organization_id, by)
    return listing


def _update(listing, *, kind: _Kind, by, fields: dict):
    require_edit_organization(by, listing.organization)
    _check_unknown(fields, kind.fields)
    listing = kind.lock(listing)
    was_open = listing.status in OPEN_STATUSES
    categories = kind.apply(listing, fields, creating=False, today=timezone.localdate())
    if was_open:
        listing.status = _status_from_quantities(listing, kind)
    listing.save()
    if categories is not None:
        listing.categories.set(categories)
    if was_open:
        _changed(listing.organization_id)
    return listing


def _publish(listing, *, kind: _Kind, by):
    require_edit_organization(by, listing.organization)
    listing = kind.lock(listing)
    if listing.status not in REOPENABLE:
        return listing
    if kind.last_day(listing) < timezone.localdate():
        raise DomainError(
            "window_past",
            _("Cette période est déjà passée : changez les dates avant de publier."),
            fields={"window_end": [_("Cette période est déjà passée.")]},
        )
    listing.status = _status_from_quantities(listing, kind)
    listing.save(update_fields=["status", "updated_at"])
    _changed(listing.organization_id)
    return listing


def _withdraw(listing, *, kind: _Kind, by):
    require_edit_organization(by, listing.organization)
    listing = kind.lock(listing)
    if listing.status == Status.WITHDRAWN:
        return listing
    was_open = listing.status in OPEN_STATUSES
    listing.status = Status.WITHDRAWN
    listing.save(update_fields=["status", "updated_at"])
    if was_open:
        _changed(listing.organization_id)
    return listing


def _delete(listing, *, kind: _Kind, by) -> bool:
    require_edit_organization(by, listing.organization)
    listing = kind.lock(listing)
    if listing.matches.exists():
        with transaction.atomic():  # as the public ``<kind>_withdraw`` would
            _withdraw(listing, kind=kind, by=by)
        return False
    was_open = listing.status in OPEN_STATUSES
    organization_id = listing.organization_id
    photo = getattr(listing, kind.photo_field) if kind.photo_field else None
    photo_name = photo.name if photo else ""
    listing.delete()
    if photo_name:
        storage = type(listing)._meta.get_field(kind.photo_field).storage
        transaction.on_commit(lambda: storage.delete(photo_name))
    if was_open:
        _changed(organization_id)
    return True


def _refresh_status(listing, *, kind: _Kind):
    if listing.status in (*OPEN_STATUSES, Status.FULLY_MATCHED):
        status = _status_from_quantities(listing, kind)
        if status != listing.status:
            listing.status = status
            listing.save(update_fields=["status", "updated_at"])
    return listing


# --- Offers ------------------------------------------------------------------------------


def _warmer(storage: str, than: str) -> bool:
    return STORAGE_RANK[Storage(storage)] < STORAGE_RANK[Storage(than)]


def _apply_offer(offer: Offer, changes: dict, *, creating: bool, today: dt.date) -> None:
    """Parse ``changes`` onto ``offer`` and validate the resulting offer as a whole."""
    errors = _Errors()
    has = changes.__contains__
    if has("category"):
        category = _category(errors, "category", changes["category"])
        if category is not None:
            offer.category = category
    if has("product_name"):
        offer.product_name = _text(errors, "product_name", changes["product_name"], max_length=120, required=True)
    if has("description"):
        offer.description = _text(errors, "description", changes["description"], max_length=5000)
    if has("quantity"):
        offer.quantity = _decimal(errors, "quantity", changes["quantity"], QTY_DIGITS)
    if has("min_quantity"):
        offer.min_quantity = _decimal(errors, "min_quantity", changes["min_quantity"], QTY_DIGITS, required=False)
        offer.min_quantity = offer.min_quantity if offer.min_quantity is not None else Decimal(0)
    if has("unit"):
        offer.unit = _choice(errors, "unit", changes["unit"], Unit.values, _("Unité inconnue.")) or offer.unit
    if has("crate_kg"):
        offer.crate_kg = _decimal(errors, "crate_kg", changes["crate_kg"], QTY_DIGITS, required=False)
    for field in ("window_start", "window_end"):
        if has(field):
            setattr(offer, field, _date(errors, field, changes[field]))
    if has("use_by"):
        offer.use_by = _date(errors, "use_by", changes["use_by"], required=False)
    if has("recurrence"):
        offer.recurrence = (
            _choice(errors, "recurrence", changes["recurrence"], Recurrence.values, _("Récurrence inconnue."))
            or offer.recurrence
        )
    if has("pricing"):
        pricing = _choice(errors, "pricing", changes["pricing"], Pricing.values, _("Condition inconnue."))
        if pricing:
            # Switching an existing offer to a donation drops its prices unless they are given.
            if not creating and pricing == Pricing.DONATION:
                if not has("price_per_unit"):
                    offer.price_per_unit = None
                if not has("usual_price_per_unit"):
                    offer.usual_price_per_unit = None
            offer.pricing = pricing
    for field in ("price_per_unit", "usual_price_per_unit"):
        if has(field):
            setattr(offer, field, _decimal(errors, field, changes[field], PRICE_DIGITS, required=False))
    if has("labels"):
        offer.labels = _labels(errors, "labels", changes["labels"])
    if has("storage") and changes["storage"] is not None:
        offer.storage = (
            _choice(errors, "storage", changes["storage"], Storage.values, _("Mode de conservation inconnu."))
            or offer.storage
        )
    elif offer.category_id and (creating or (has("category") and _warmer(offer.storage, offer.category.storage))):
        # The category's storage class, or the offer's own when it is already stricter.
        offer.storage = offer.category.storage
    if has("logistics"):
        logistics = _string_list(errors, "logistics", changes["logistics"])
        unknown = [mode for mode in logistics if mode not in Logistics.values]
        if unknown:
            errors.add("logistics", _("Mode d'acheminement inconnu : %(m)s.") % {"m": ", ".join(unknown)})
        offer.logistics = logistics or [Logistics.PICKUP.value]
    radius_given = has("delivery_radius_km") and changes["delivery_radius_km"] is not None
    if radius_given:
        offer.delivery_radius_km = _decimal(errors, "delivery_radius_km", changes["delivery_radius_km"], RADIUS_DIGITS)
    if has("logistics_partner"):
        partner = changes["logistics_partner"]
        if partner is None or partner == "":
            offer.logistics_partner = None
        else:
            organization = _organization(partner)
            if organization is None or organization.kind != Organization.Kind.LOGISTICS:
                errors.add(
                    "logistics_partner",
                    _("Le partenaire logistique doit être un acteur de type logistique."),
                    "wrong_kind",
                )
            else:
                offer.logistics_partner = organization
    if has("lot_number"):
        offer.lot_number = _text(errors, "lot_number", changes["lot_number"], max_length=60)
    if has("photo") and changes["photo"] is not None:
        photo = changes["photo"]
        try:
            validate_image_upload(photo)
        except ValidationError as error:
            errors.add("photo", error.messages[0], error.code or "invalid_image")
        else:
            offer.photo = photo
    elif has("photo") and not creating:
        offer.photo = None

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
        elif (creating or {"window_start", "window_end", "use_by"} & set(changes)) and offer.effective_end < today:
            errors.add("window_end", _("Cette période est déjà passée."), "window_past")
    if offer.pricing == Pricing.DONATION:
        for field in ("price_per_unit", "usual_price_per_unit"):
            value = getattr(offer, field)
            if value is not None and value != 0:
                errors.add(field, _("Un don n'a pas de prix."), "price_on_donation")
            setattr(offer, field, None)
    elif not errors.has("price_per_unit"):
        if offer.price_per_unit is None or offer.price_per_unit <= 0:
            errors.add("price_per_unit", _("Indiquez un prix par unité."), "price_required")
        elif offer.pricing == Pricing.SOLIDARITY and not errors.has("usual_price_per_unit"):
            if offer.usual_price_per_unit is None:
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
            if not radius_given and (creating or has("logistics")) and not offer.delivery_radius_km:
                profile = FarmProfile.objects.filter(organization_id=offer.organization_id).first()
                offer.delivery_radius_km = profile.delivery_radius_km if profile else Decimal(0)
            if not offer.delivery_radius_km or offer.delivery_radius_km <= 0:
                errors.add(
                    "delivery_radius_km",
                    _("Indiquez jusqu'à combien de kilomètres vous livrez."),
                    "delivery_radius_required",
                )
        elif offer.delivery_radius_km is None or offer.delivery_radius_km < 0:
            errors.add("delivery_radius_km", _("Le rayon ne peut pas être négatif."), "negative")
    errors.raise_if_any()


@transaction.atomic
def offer_create(
    *,
    by,
    organization: Organization,
    category,
    product_name: str,
    quantity,
    unit: str,
    window_start,
    window_end,
    pricing: str,
    price_per_unit=None,
    usual_price_per_unit=None,
    min_quantity=0,
    recurrence: str = "once",
    labels=(),
    storage: str | None = None,
    logistics=(),
    delivery_radius_km=None,
    logistics_partner=None,
    lot_number: str = "",
    use_by=None,
    photo=None,
    description: str = "",
    crate_kg=None,
    publish: bool = True,
) -> Offer:
    """A farm or processor posts what it can give or sell. ``storage`` None = the category's;
    ``delivery_radius_km`` None = the farm profile's (when the farm delivers)."""
    require_edit_organization(by, organization)
    _require_kind(organization, OFFER_KINDS, _("Seule une ferme ou un transformateur peut publier une offre."))
    offer = Offer(organization=organization, created_by=as_user(by), quantity_reserved=Decimal(0))
    changes = {
        "category": category,
        "product_name": product_name,
        "quantity": quantity,
        "unit": unit,
        "window_start": window_start,
        "window_end": window_end,
        "pricing": pricing,
        "price_per_unit": price_per_unit,
        "usual_price_per_unit": usual_price_per_unit,
        "min_quantity": min_quantity,
        "recurrence": recurrence,
        "labels": list(labels or ()),
        "storage": storage,
        "logistics": list(logistics or ()),
        "delivery_radius_km": delivery_radius_km,
        "logistics_partner": logistics_partner,
        "lot_number": lot_number,
        "use_by": use_by,
        "photo": photo,
        "description": description,
        "crate_kg": crate_kg,
    }
    _apply_offer(offer, changes, creating=True, today=timezone.localdate())
    return _save_new(offer, kind=_OFFER, categories=None, publish=publish, by=by)


def _lock_offer(offer: Offer) -> Offer:
    return Offer.objects.select_for_update().select_related("organization", "category").get(pk=offer.pk)


@transaction.atomic
def offer_update(*, offer: Offer, by, **fields) -> Offer:
    """Change some fields; the offer is validated again as a whole."""
    return _update(offer, kind=_OFFER, by=by, fields=fields)


@transaction.atomic
def offer_publish(*, offer: Offer, by) -> Offer:
    """Publish a draft, or put back a withdrawn or expired offer whose window is still ahead."""
    return _publish(offer, kind=_OFFER, by=by)


@transaction.atomic
def offer_withdraw(*, offer: Offer, by) -> Offer:
    return _withdraw(offer, kind=_OFFER, by=by)


@transaction.atomic
def offer_delete(*, offer: Offer, by) -> bool:
    """Delete an offer that never had a match; one with matches is withdrawn instead.

    Returns True when the offer is gone, False when it was withdrawn."""
    return _delete(offer, kind=_OFFER, by=by)


def offer_refresh_status(offer: Offer) -> Offer:
    """Recompute published / partly / fully matched from ``quantity_reserved``.

    Called by the matching services after they reserved or released quantity (inside
    their transaction, with the row locked). Drafts, withdrawn and expired offers keep
    their status. Does not signal ``listing_changed``: matching itself caused the change."""
    return _refresh_status(offer, kind=_OFFER)


_OFFER = _Kind(
    name="offer",
    fields=OFFER_FIELDS,
    lock=_lock_offer,
    apply=_apply_offer,
    taken="quantity_reserved",
    last_day=lambda offer: offer.effective_end,
    photo_field="photo",
)


# --- Needs -------------------------------------------------------------------------------


def _need_categories(errors: _Errors, value) -> list[ProductCategory]:
    if value is None or isinstance(value, str | ProductCategory) or not isinstance(value, Iterable):
        value = [] if value is None else [value]
    categories: list[ProductCategory] = []
    unknown: list[str] = []
    for item in value:
        category = category_resolve(item)
        if category is None:
            unknown.append(str(item))
        elif category not in categories:
            categories.append(category)
    if unknown:
        errors.add(
            "categories", _("Catégorie inconnue : « %(value)s ».") % {"value": ", ".join(unknown)}, "unknown_category"
        )
    elif not categories:
        errors.add("categories", _("Choisissez au moins une catégorie."), "required")
    return categories


def _apply_need(need: Need, changes: dict, *, creating: bool, today: dt.date) -> list[ProductCategory] | None:
    """Parse ``changes`` onto ``need``, validate it as a whole; returns new categories if given."""
    errors = _Errors()
    has = changes.__contains__
    categories = _need_categories(errors, changes["categories"]) if has("categories") else None
    if has("title"):
        need.title = _text(errors, "title", changes["title"], max_length=120, required=True)
    if has("description"):
        need.description = _text(errors, "description", changes["description"], max_length=5000)
    if has("quantity"):
        need.quantity = _decimal(errors, "quantity", changes["quantity"], QTY_DIGITS)
    if has("unit"):
        unit = _choice(errors, "unit", changes["unit"], Unit.values, _("Unité inconnue."))
        if unit == Unit.CRATE:
            errors.add("unit", _("Exprimez un besoin en kg, litres, pièces ou douzaines."), "invalid_choice")
        need.unit = unit or need.unit
    for field in ("window_start", "window_end"):
        if has(field):
            setattr(need, field, _date(errors, field, changes[field]))
    if has("frequency"):
        need.frequency = (
            _choice(errors, "frequency", changes["frequency"], NEED_FREQUENCIES, _("Fréquence inconnue."))
            or need.frequency
        )
    if has("accepted_pricing"):
        accepted = _choice(
            errors,
            "accepted_pricing",
            changes["accepted_pricing"],
            Need.AcceptedPricing.values,
            _("Condition inconnue."),
        )
        if accepted:
            if not creating and accepted == Need.AcceptedPricing.DONATION_ONLY:
                if not has("max_price_per_unit"):
                    need.max_price_per_unit = None
                if not has("budget_eur"):
                    need.budget_eur = None
            need.accepted_pricing = accepted
    for field in ("max_price_per_unit", "budget_eur"):
        if has(field):
            setattr(need, field, _decimal(errors, field, changes[field], PRICE_DIGITS, required=False))
    if has("urgency"):
        urgency = changes["urgency"]
        if isinstance(urgency, bool) or urgency not in Need.Urgency.values:
            errors.add("urgency", _("Urgence inconnue (1, 2 ou 3)."), "invalid_choice")
        else:
            need.urgency = int(urgency)
    if has("preferred_labels"):
        need.preferred_labels = _labels(errors, "preferred_labels", changes["preferred_labels"])
    # Storage and pick-up capacity: None means "as in the structure's profile".
    profile = None
    prefill = {"has_fridge", "chilled_capacity_kg", "has_freezer", "frozen_capacity_kg", "pickup_radius_km"}
    if any(has(f) and changes[f] is None for f in (*prefill, "has_vehicle")):
        profile = StructureProfile.objects.filter(organization_id=need.organization_id).first()
    for field in ("has_fridge", "has_freezer", "has_vehicle"):
        if not has(field):
            continue
        value = changes[field]
        if value is None:
            if field == "has_vehicle":
                value = bool(profile and profile.vehicle != FarmProfile.Vehicle.NONE)
            else:
                value = bool(profile and getattr(profile, field))
        setattr(need, field, _flag(errors, field, value))
    for field in ("chilled_capacity_kg", "frozen_capacity_kg"):
        if has(field):
            value = changes[field]
            if value is None:
                value = getattr(profile, field) if profile else 0
            setattr(need, field, _positive_int(errors, field, value))
    if has("pickup_radius_km"):
        value = changes["pickup_radius_km"]
        if value is None:
            value = profile.pickup_radius_km if profile else 0
        need.pickup_radius_km = _decimal(errors, "pickup_radius_km", value, RADIUS_DIGITS)

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
        elif (creating or {"window_start", "window_end"} & set(changes)) and need.window_end < today:
            errors.add("window_end", _("Cette période est déjà passée."), "window_past")
    if need.accepted_pricing == Need.AcceptedPricing.DONATION_ONLY:
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
    errors.raise_if_any()
    return categories


@transaction.atomic
def need_create(
    *,
    by,
    organization: Organization,
    categories,
    title: str,
    quantity,
    unit: str,
    window_start,
    window_end,
    accepted_pricing: str = "donation_only",
    max_price_per_unit=None,
    budget_eur=None,
    frequency: str = "once",
    urgency: int = 2,
    preferred_labels=(),
    description: str = "",
    has_fridge: bool | None = None,
    chilled_capacity_kg: int | None = None,
    has_freezer: bool | None = None,
    frozen_capacity_kg: int | None = None,
    pickup_radius_km=None,
    has_vehicle: bool | None = None,
    publish: bool = True,
) -> Need:
    """A food-aid structure posts what it needs. Storage and pick-up capacity left to None
    are prefilled from the structure's profile."""
    require_edit_organization(by, organization)
    _require_kind(organization, NEED_KINDS, _("Seule une structure d'aide alimentaire peut publier un besoin."))
    need = Need(organization=organization, created_by=as_user(by), quantity_covered=Decimal(0))
    changes = {
        "categories": categories,
        "title": title,
        "quantity": quantity,
        "unit": unit,
        "window_start": window_start,
        "window_end": window_end,
        "accepted_pricing": accepted_pricing,
        "max_price_per_unit": max_price_per_unit,
        "budget_eur": budget_eur,
        "frequency": frequency,
        "urgency": urgency,
        "preferred_labels": list(preferred_labels or ()),
        "description": description,
        "has_fridge": has_fridge,
        "chilled_capacity_kg": chilled_capacity_kg,
        "has_freezer": has_freezer,
        "frozen_capacity_kg": frozen_capacity_kg,
        "pickup_radius_km": pickup_radius_km,
        "has_vehicle": has_vehicle,
    }
    new_categories = _apply_need(need, changes, creating=True, today=timezone.localdate())
    return _save_new(need, kind=_NEED, categories=new_categories or [], publish=publish, by=by)


def _lock_need(need: Need) -> Need:
    return Need.objects.select_for_update().select_related("organization").get(pk=need.pk)


@transaction.atomic
def need_update(*, need: Need, by, **fields) -> Need:
    return _update(need, kind=_NEED, by=by, fields=fields)


@transaction.atomic
def need_publish(*, need: Need, by) -> Need:
    return _publish(need, kind=_NEED, by=by)


@transaction.atomic
def need_withdraw(*, need: Need, by) -> Need:
    return _withdraw(need, kind=_NEED, by=by)


@transaction.atomic
def need_delete(*, need: Need, by) -> bool:
    """Delete a need that never had a match; one with matches is withdrawn instead."""
    return _delete(need, kind=_NEED, by=by)


def need_refresh_status(need: Need) -> Need:
    """Recompute published / partly / fully matched from ``quantity_covered`` (see
    ``offer_refresh_status``)."""
    return _refresh_status(need, kind=_NEED)


_NEED = _Kind(
    name="need",
    fields=NEED_FIELDS,
    lock=_lock_need,
    apply=_apply_need,
    taken="quantity_covered",
    last_day=lambda need: need.window_end,
)


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
    # update() skips auto_now: set updated_at by hand so that partner apps see the change.
    expired_offers = offers.update(status=Status.EXPIRED, updated_at=now)
    expired_needs = needs.update(status=Status.EXPIRED, updated_at=now)
    for organization_id in sorted(organization_ids):
        _changed(organization_id)
    if expired_offers or expired_needs:
        transaction.on_commit(lambda: listings_bulk_changed.send(sender=Offer))
    if expired_offers or expired_needs:
        logger.info("expired %s offers and %s needs", expired_offers, expired_needs)
    return {"offers": expired_offers, "needs": expired_needs}
