"""The input of each offers use case, declared once: pages, the API, imports and interop use it.

Each ``…Input`` form says the types, lengths, choices and digits of a use case's fields, with
the domain's messages (``miam.inputs``). Pages subclass it (``offers/forms.py``: widgets, the
organization chooser); the API and imports call ``offer_data`` / ``need_data`` on a plain
mapping. Either way the service receives an ``OfferData`` or ``NeedData``: typed values, the
names of the fields given, and the field errors found, which the service raises together with
the rules it checks (``offers.services.listings``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actors.models import Organization
from miam.inputs import (
    ChoiceInput,
    CodeListField,
    CountField,
    DayField,
    FieldErrors,
    FlagField,
    NumberField,
    TextField,
    WeekdaysField,
    as_id,
    parse,
)
from offers.models import NEED_FREQUENCY_CHOICES, Logistics, Need, Pricing, Recurrence
from offers.validators import image_reencode
from products.labels import FARM_LABELS
from products.models import ProductCategory, Storage, Unit

#: (max_digits, decimal_places) of the model fields, so that nothing overflows in the database.
QTY_DIGITS = (12, 3)
PRICE_DIGITS = (9, 2)
RADIUS_DIGITS = (6, 1)


# --- Fields of the offers domain ------------------------------------------------------------


def category_resolve(value) -> ProductCategory | None:
    """A category from an instance, an id or a code; None when unknown."""
    if isinstance(value, ProductCategory):
        return value
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or "\x00" in text:
        return None
    if text.isdecimal():
        return ProductCategory.objects.filter(pk=int(text)).select_related("parent").first()
    return ProductCategory.objects.filter(code=text).select_related("parent").first()


def _unknown_category(values) -> ValidationError:
    return ValidationError(
        _("Catégorie inconnue : « %(value)s ».") % {"value": ", ".join(str(v) for v in values)},
        code="unknown_category",
    )


class CategoryField(forms.Field):
    """A product category, by code (``potatoes``), id or instance."""

    widget = forms.Select

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | ProductCategory):
            raise ValidationError(_("Code ou identifiant de catégorie attendu."), code="invalid")
        category = category_resolve(value)
        if category is None:
            raise _unknown_category([value])
        return category


class CategoriesField(forms.Field):
    """One or more product categories (a list of codes, ids or instances), each once."""

    widget = forms.CheckboxSelectMultiple
    takes_list = True

    def to_python(self, value) -> list[ProductCategory]:
        if value in (None, ""):
            return []
        if isinstance(value, ProductCategory):
            value = [value]
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise ValidationError(_("Une liste est attendue."), code="invalid")
        categories: list[ProductCategory] = []
        unknown: list[str] = []
        for item in value:
            category = category_resolve(item)
            if category is None:
                unknown.append(str(item))
            elif category not in categories:
                categories.append(category)
        if unknown:
            raise _unknown_category(unknown)
        return categories

    def validate(self, value) -> None:
        if not value:
            raise ValidationError(_("Choisissez au moins une catégorie."), code="required")


class LogisticsPartnerField(forms.Field):
    """An organization of kind "logistique", by id or instance."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Organization):
            organization = value
        elif (pk := as_id(value)) is not None:
            organization = Organization.objects.filter(pk=pk).first()
        else:
            organization = None
        if organization is None or organization.kind != Organization.Kind.LOGISTICS:
            raise ValidationError(
                _("Le partenaire logistique doit être un acteur de type logistique."), code="wrong_kind"
            )
        return organization


class PhotoField(forms.FileField):
    """A photo that is really an image (JPEG, PNG, WebP, GIF), within the size limit."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not hasattr(value, "read"):
            raise ValidationError(_("Ce fichier n'est pas une image lisible."), code="not_an_image")
        return image_reencode(value)  # checked, then stored as re-encoded (offers/validators.py)

    def validate(self, value) -> None:
        return None


class OrganizationField(forms.Field):
    """The organization a listing is posted for, by id (the API's ``organization``)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Organization):
            return value
        if (pk := as_id(value)) is not None:
            organization = Organization.objects.filter(pk=pk).first()
            if organization is not None:
                return organization
        raise ValidationError(_("Organisation inconnue."), code="unknown_organization")

    def validate(self, value) -> None:
        if value is None:
            raise ValidationError(_("Ce champ est obligatoire."), code="required")


def _labels(**kwargs) -> CodeListField:
    return CodeListField(
        choices=FARM_LABELS.items(),
        unknown=gettext_lazy("Label inconnu : %(values)s."),
        unknown_code="unknown_label",
        **kwargs,
    )


# --- Offers ---------------------------------------------------------------------------------


class OfferInput(forms.Form):
    """What an offer is made of. The order of the fields is the order of their errors."""

    category = CategoryField()
    product_name = TextField(max_length=120)
    description = TextField(max_length=5000, required=False)
    quantity = NumberField(digits=QTY_DIGITS)
    min_quantity = NumberField(digits=QTY_DIGITS, required=False)
    unit = ChoiceInput(choices=Unit.choices, message=gettext_lazy("Unité inconnue."))
    crate_kg = NumberField(digits=QTY_DIGITS, required=False)
    pack_size = NumberField(digits=QTY_DIGITS, required=False)
    window_start = DayField()
    window_end = DayField()
    use_by = DayField(required=False)
    recurrence = ChoiceInput(choices=Recurrence.choices, message=gettext_lazy("Récurrence inconnue."), required=False)
    pricing = ChoiceInput(choices=Pricing.choices, message=gettext_lazy("Condition inconnue."))
    price_per_unit = NumberField(digits=PRICE_DIGITS, required=False)
    usual_price_per_unit = NumberField(digits=PRICE_DIGITS, required=False)
    labels = _labels()
    storage = ChoiceInput(
        choices=Storage.choices, message=gettext_lazy("Mode de conservation inconnu."), required=False
    )
    logistics = CodeListField(
        choices=Logistics.choices, unknown=gettext_lazy("Mode d'acheminement inconnu : %(values)s.")
    )
    delivery_radius_km = NumberField(digits=RADIUS_DIGITS, required=False)
    logistics_partner = LogisticsPartnerField(required=False)
    lot_number = TextField(max_length=60, required=False)
    photo = PhotoField(required=False)


@dataclass(frozen=True, kw_only=True)
class OfferData:
    """An offer's input, typed. ``given``: the fields the caller set (all of them for a new
    offer, defaults included); ``errors``: those the input layer refused."""

    category: ProductCategory | None = None
    product_name: str = ""
    description: str = ""
    quantity: Decimal | None = None
    min_quantity: Decimal | None = None  # None: none (0)
    unit: str | None = None
    crate_kg: Decimal | None = None
    pack_size: Decimal | None = None  # None: any quantity (whole pieces and dozens)
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    use_by: dt.date | None = None
    recurrence: str | None = None  # None: once (new offer), unchanged (update)
    pricing: str | None = None
    price_per_unit: Decimal | None = None
    usual_price_per_unit: Decimal | None = None
    labels: list[str] = field(default_factory=list)
    storage: str | None = None  # None: the category's
    logistics: list[str] = field(default_factory=list)  # empty: pick-up at the farm
    delivery_radius_km: Decimal | None = None  # None: the farm profile's, when the farm delivers
    logistics_partner: Organization | None = None
    lot_number: str = ""
    photo: Any = None  # None on an update: the photo is removed
    given: frozenset[str] = frozenset()
    errors: FieldErrors = field(default_factory=FieldErrors)


def offer_data(values: Mapping, *, partial: bool = False, strict: bool = True) -> OfferData:
    """An offer's input from a plain mapping (an API body, an import line, keyword arguments).

    ``partial``: an update, only the fields present change. ``strict``: a key that is no field
    of an offer is refused (``unknown_field``); the API leaves it off (its own keys)."""
    cleaned, errors, given = parse(OfferInput, values, partial=partial, strict=strict)
    return OfferData(**cleaned, given=given, errors=errors)


# --- Needs ----------------------------------------------------------------------------------


class NeedUnitField(ChoiceInput):
    def validate(self, value) -> None:
        if value == Unit.CRATE:
            raise ValidationError(_("Exprimez un besoin en kg, litres, pièces ou douzaines."), code="invalid_choice")
        super().validate(value)


class NeedInput(forms.Form):
    """What a need is made of. Storage and pick-up fields left empty come from the profile."""

    categories = CategoriesField()
    title = TextField(max_length=120)
    description = TextField(max_length=5000, required=False)
    quantity = NumberField(digits=QTY_DIGITS)
    unit = NeedUnitField(choices=Unit.choices, message=gettext_lazy("Unité inconnue."))
    window_start = DayField()
    window_end = DayField()
    frequency = ChoiceInput(choices=NEED_FREQUENCY_CHOICES, message=gettext_lazy("Fréquence inconnue."), required=False)
    accepted_pricing = ChoiceInput(
        choices=Need.AcceptedPricing.choices, message=gettext_lazy("Condition inconnue."), required=False
    )
    max_price_per_unit = NumberField(digits=PRICE_DIGITS, required=False)
    budget_eur = NumberField(digits=PRICE_DIGITS, required=False)
    urgency = ChoiceInput(
        choices=Need.Urgency.choices, message=gettext_lazy("Urgence inconnue (1, 2 ou 3)."), coerce=int, required=False
    )
    preferred_labels = _labels()
    has_fridge = FlagField()
    has_freezer = FlagField()
    has_vehicle = FlagField()
    chilled_capacity_kg = CountField()
    frozen_capacity_kg = CountField()
    pickup_radius_km = NumberField(digits=RADIUS_DIGITS, required=False)
    distribution_days = WeekdaysField(required=False)


@dataclass(frozen=True, kw_only=True)
class NeedData:
    """A need's input, typed (see ``OfferData``). ``None`` for a storage or pick-up field:
    as in the structure's profile."""

    categories: list[ProductCategory] | None = None
    title: str = ""
    description: str = ""
    quantity: Decimal | None = None
    unit: str | None = None
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    frequency: str | None = None
    accepted_pricing: str | None = None
    max_price_per_unit: Decimal | None = None
    budget_eur: Decimal | None = None
    urgency: int | None = None
    preferred_labels: list[str] = field(default_factory=list)
    has_fridge: bool | None = None
    has_freezer: bool | None = None
    has_vehicle: bool | None = None
    chilled_capacity_kg: int | None = None
    frozen_capacity_kg: int | None = None
    pickup_radius_km: Decimal | None = None
    distribution_days: list[int] | None = None  # None: the structure's
    given: frozenset[str] = frozenset()
    errors: FieldErrors = field(default_factory=FieldErrors)


def need_data(values: Mapping, *, partial: bool = False, strict: bool = True) -> NeedData:
    """A need's input from a plain mapping (see ``offer_data``)."""
    cleaned, errors, given = parse(NeedInput, values, partial=partial, strict=strict)
    return NeedData(**cleaned, given=given, errors=errors)


# --- The API's doors: who posts, and whether to publish -------------------------------------


class ListingPost(forms.Form):
    organization = OrganizationField()
    publish = FlagField()


def listing_post(values: Mapping) -> tuple[Organization | None, bool, FieldErrors]:
    """The organization a listing is posted for and whether it is published at once (yes by default)."""
    cleaned, errors, _given = parse(ListingPost, values)
    publish = cleaned.get("publish")
    return cleaned.get("organization"), True if publish is None else publish, errors


# --- Matches --------------------------------------------------------------------------------


class DeclineInput(forms.Form):
    reason = TextField(max_length=300, required=False)


class CancelInput(DeclineInput):
    pass


class ScheduleInput(forms.Form):
    date = DayField()
    mode = ChoiceInput(choices=Logistics.choices, message=gettext_lazy("Choisissez un mode proposé."))


class DeliveryInput(forms.Form):
    quantity_received = NumberField(digits=QTY_DIGITS)
    delivered_on = DayField(required=False)
    note = TextField(max_length=300, required=False)


class AcceptInput(forms.Form):
    """The side an acceptance is for: required when acting on a side's behalf."""

    side = ChoiceInput(
        choices=[("farm", gettext_lazy("producteur")), ("structure", gettext_lazy("structure"))],
        message=gettext_lazy("« farm » ou « structure »."),
        required=False,
    )


class ProposeInput(forms.Form):
    offer = CountField(required=True)
    need = CountField(required=True)
    quantity = NumberField(digits=QTY_DIGITS)


class RequestInput(ProposeInput):
    """« Je suis intéressé·e » : an offer, one of the structure's needs, the quantity asked."""


class FillRatesInput(forms.Form):
    territory = CountField(required=True)
    date_from = DayField(required=False)
    date_to = DayField(required=False)


class MatchingRunInput(forms.Form):
    territory = CountField(required=True)


def match_input(form_class: type[forms.Form], values: Mapping) -> dict:
    """A match action's input, typed, or a ``DomainError`` with every field error."""
    cleaned, errors, _given = parse(form_class, values)
    errors.raise_if_any()
    fields = form_class.base_fields
    return {name: cleaned[name] if name in cleaned else fields[name].clean(None) for name in fields}
