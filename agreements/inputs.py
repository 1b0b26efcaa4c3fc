"""The input of each agreements use case, declared once (pattern: ``offers/inputs.py``).

Pages bind these forms; the API calls ``agreement_data`` / ``funding_line_data`` on a plain
mapping. The service receives typed values and the field errors, adds the rules that need the
database or several fields (the period, the recurrence over it, the prices, the funding line),
and raises one ``DomainError`` with all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actors.models import Organization
from agreements import recurrence
from agreements.models import Funder, FundingLine
from miam.inputs import ChoiceInput, CountField, DayField, FieldErrors, NumberField, TextField, as_id, parse
from offers.inputs import PRICE_DIGITS, QTY_DIGITS, CategoriesField, CategoryField, OrganizationField
from products.models import ProductCategory, Unit

AMOUNT_DIGITS = (12, 2)


FIRST_YEAR, LAST_YEAR = 2000, 2099


def _within_years(value: dt.date | None) -> None:
    if value is not None and not (FIRST_YEAR <= value.year <= LAST_YEAR):
        raise ValidationError(
            _("Une date entre %(first)s et %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}, code="out_of_range"
        )


class Day(DayField):
    """A day of this century (an agreement's, a funding line's, a receipt's period)."""

    def validate(self, value) -> None:
        super().validate(value)
        _within_years(value)


class MonthField(forms.Field):
    """A month, « 2026-10 » (or a day of it): its first day."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return value.replace(day=1)
        if not isinstance(value, str):
            raise ValidationError(_("Mois attendu, au format AAAA-MM."), code="invalid")
        try:
            return dt.date.fromisoformat(value.strip()[:7] + "-01")
        except ValueError:
            raise ValidationError(_("Mois attendu, au format AAAA-MM."), code="invalid") from None

    def validate(self, value) -> None:
        if value is None:
            raise ValidationError(_("Ce champ est obligatoire."), code="required")
        _within_years(value)


class OrganizationsField(forms.Field):
    """One or more organizations, by id (a list), each once."""

    widget = forms.SelectMultiple
    takes_list = True

    def to_python(self, value) -> list[Organization]:
        if value in (None, ""):
            return []
        if isinstance(value, Organization | int | str) and not isinstance(value, bool):
            value = [value]
        if isinstance(value, bytes | Mapping) or not isinstance(value, Iterable):
            raise ValidationError(_("Une liste est attendue."), code="invalid")
        ids, unknown = [], []
        for item in value:
            pk = item.pk if isinstance(item, Organization) else as_id(item)
            if pk is None:
                unknown.append(str(item))
            elif pk not in ids:
                ids.append(pk)
        found = {o.pk: o for o in Organization.objects.filter(pk__in=ids)}
        unknown += [str(i) for i in ids if i not in found]
        if unknown:
            raise ValidationError(
                _("Organisation inconnue : %(values)s.") % {"values": ", ".join(unknown)}, code="unknown_organization"
            )
        return [found[i] for i in ids]

    def validate(self, value) -> None:
        if self.required and not value:
            raise ValidationError(_("Choisissez au moins une structure."), code="required")


class RecurrenceField(forms.CharField):
    """« chaque mardi », « un jeudi sur deux », a preset code or an RRULE → (RRULE, label)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str):
            raise ValidationError(_("Texte attendu."), code="invalid")
        try:
            return recurrence.parse(value)
        except recurrence.RecurrenceError as error:
            raise ValidationError(str(error), code="invalid_recurrence") from None

    def validate(self, value) -> None:
        if value is None and self.required:
            raise ValidationError(_("Ce champ est obligatoire."), code="required")


class FundingLineField(forms.Field):
    """A funding line, by id; an unknown one is an unknown funder."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, FundingLine):
            return value
        if (pk := as_id(value)) is not None:
            line = FundingLine.objects.select_related("funder").filter(pk=pk).first()
            if line is not None:
                return line
        raise ValidationError(
            _("Financeur inconnu : aucune ligne de financement « %(value)s ».") % {"value": value},
            code="unknown_funder",
        )


class EligibleCategoriesField(CategoriesField):
    """Categories a funding line is limited to; none: every category."""

    def validate(self, value) -> None:
        return None


class FunderField(forms.Field):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Funder):
            return value
        if (pk := as_id(value)) is not None:
            funder = Funder.objects.filter(pk=pk).first()
            if funder is not None:
                return funder
        raise ValidationError(_("Financeur inconnu : « %(value)s ».") % {"value": value}, code="unknown_funder")

    def validate(self, value) -> None:
        if value is None:
            raise ValidationError(_("Ce champ est obligatoire."), code="required")


# --- Agreements -----------------------------------------------------------------------------


class AgreementInput(forms.Form):
    """What a season agreement is made of. The order of the fields is the order of their errors."""

    farm = OrganizationField()
    structures = OrganizationsField()
    category = CategoryField()
    product_name = TextField(max_length=120)
    unit = ChoiceInput(choices=Unit.choices, message=gettext_lazy("Unité inconnue."), required=False)
    pack_size = NumberField(digits=QTY_DIGITS, required=False)
    quantity_per_delivery = NumberField(
        digits=QTY_DIGITS, minimum="0.001", below=(gettext_lazy("La quantité doit être positive."), "not_positive")
    )
    recurrence = RecurrenceField()
    start_date = Day()
    end_date = Day()
    fair_price_per_unit = NumberField(
        digits=PRICE_DIGITS, minimum=0, below=(gettext_lazy("Le prix ne peut être négatif."), "negative")
    )
    price_paid_per_unit = NumberField(
        digits=PRICE_DIGITS, minimum=0, below=(gettext_lazy("Le prix ne peut être négatif."), "negative")
    )
    usual_price_per_unit = NumberField(digits=PRICE_DIGITS, required=False)
    household_price_per_unit = NumberField(
        digits=PRICE_DIGITS,
        required=False,
        minimum=0,
        below=(gettext_lazy("Le prix payé par le ménage ne peut être négatif."), "negative"),
    )
    carrier = OrganizationField()
    transport_payer = OrganizationField()
    transport_cost_eur = NumberField(
        digits=PRICE_DIGITS,
        required=False,
        minimum=0,
        below=(gettext_lazy("Le coût ne peut être négatif."), "negative"),
    )
    funding_line = FundingLineField(required=False)


@dataclass(frozen=True, kw_only=True)
class AgreementData:
    farm: Organization | None = None
    structures: list[Organization] = field(default_factory=list)
    category: ProductCategory | None = None
    product_name: str = ""
    unit: str | None = None
    pack_size: Decimal | None = None
    quantity_per_delivery: Decimal | None = None
    recurrence: tuple[str, str] | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    fair_price_per_unit: Decimal | None = None
    price_paid_per_unit: Decimal | None = None
    usual_price_per_unit: Decimal | None = None
    household_price_per_unit: Decimal | None = None
    carrier: Organization | None = None
    transport_payer: Organization | None = None
    transport_cost_eur: Decimal | None = None
    funding_line: FundingLine | None = None
    given: frozenset[str] = frozenset()
    errors: FieldErrors = field(default_factory=FieldErrors)


def agreement_data(values: Mapping, *, partial: bool = False, strict: bool = True) -> AgreementData:
    cleaned, errors, given = parse(AgreementInput, values, partial=partial, strict=strict)
    return AgreementData(**cleaned, given=given, errors=errors)


class OccurrenceChangeInput(forms.Form):
    """Move or resize one occurrence, or set the price its household pays (any of them)."""

    date = Day(required=False)
    quantity = NumberField(
        digits=QTY_DIGITS,
        required=False,
        minimum="0.001",
        below=(gettext_lazy("La quantité doit être positive."), "not_positive"),
    )
    household_price_per_unit = NumberField(
        digits=PRICE_DIGITS,
        required=False,
        minimum=0,
        below=(gettext_lazy("Le prix payé par le ménage ne peut être négatif."), "negative"),
    )


class EndInput(forms.Form):
    on = Day()


class SignInput(forms.Form):
    """The organization signing (required when a person belongs to several parties)."""

    organization = CountField(required=False)


class InvoicingInput(forms.Form):
    """A public buyer's references for the State's invoicing portal (Chorus Pro)."""

    structure = CountField(required=True)
    service_code = TextField(max_length=100, required=False)
    commitment_number = TextField(max_length=50, required=False)


class StatementInput(forms.Form):
    organization = CountField(required=True)
    month = MonthField()


class ReceiptInput(forms.Form):
    """A donation receipt: the structure issuing it, the donor, the period of the gifts."""

    structure = OrganizationField()
    donor = OrganizationField()
    period_start = Day()
    period_end = Day()


class ReceiptCancelInput(forms.Form):
    reason = TextField(max_length=300, required=False)


class DonorStatementInput(forms.Form):
    donor = CountField(required=True)
    period_start = Day()
    period_end = Day()


class DemandInput(forms.Form):
    """A structure's expected need of a category in a month (0: none)."""

    structure = OrganizationField()
    category = CategoryField()
    month = MonthField()
    quantity_kg = NumberField(
        digits=QTY_DIGITS, minimum=0, below=(gettext_lazy("La quantité ne peut être négative."), "negative")
    )


class CommitmentInput(forms.Form):
    """A farmer's answer to a gap: so many kg a month from one month to another."""

    farm = OrganizationField()
    structure = OrganizationField()
    category = CategoryField()
    kg_per_month = NumberField(
        digits=QTY_DIGITS, minimum="0.001", below=(gettext_lazy("La quantité doit être positive."), "not_positive")
    )
    first_month = MonthField()
    last_month = MonthField()
    fair_price_per_kg = NumberField(
        digits=PRICE_DIGITS, minimum=0, below=(gettext_lazy("Le prix ne peut être négatif."), "negative")
    )
    price_paid_per_kg = NumberField(
        digits=PRICE_DIGITS, minimum=0, below=(gettext_lazy("Le prix ne peut être négatif."), "negative")
    )


class OfferField(forms.Field):
    """A farm's planned production (an offer), by id."""

    def to_python(self, value):
        from offers.models import Offer

        if value in self.empty_values:
            return None
        if isinstance(value, Offer):
            return value
        if (pk := as_id(value)) is not None:
            offer = Offer.objects.filter(pk=pk).first()
            if offer is not None:
                return offer
        raise ValidationError(_("Production inconnue : « %(value)s ».") % {"value": value}, code="unknown_offer")

    def validate(self, value) -> None:
        if value is None:
            raise ValidationError(_("Ce champ est obligatoire."), code="required")


class PreorderInput(forms.Form):
    """A structure pre-orders a farm's planned harvest: so much a month, from one month to another."""

    offer = OfferField()
    structure = OrganizationField()
    quantity_per_month = NumberField(
        digits=QTY_DIGITS, minimum="0.001", below=(gettext_lazy("La quantité doit être positive."), "not_positive")
    )
    first_month = MonthField()
    last_month = MonthField()


class NoteInput(forms.Form):
    note = TextField(max_length=300, required=False)


def action_input(form_class: type[forms.Form], values: Mapping) -> dict:
    """An action's input, typed, or a ``DomainError`` with every field error."""
    cleaned, errors, _given = parse(form_class, values)
    errors.raise_if_any()
    return {name: cleaned.get(name) for name in form_class.base_fields}


# --- Funding lines --------------------------------------------------------------------------


class FunderInput(forms.Form):
    territory = CountField(required=True)
    name = TextField(max_length=200)
    kind = ChoiceInput(choices=Funder.Kind.choices, message=gettext_lazy("Type de financeur inconnu."), required=False)
    siret = TextField(max_length=14, required=False)


class FundingLineInput(forms.Form):
    funder = FunderField()
    name = TextField(max_length=200)
    amount_eur = NumberField(
        digits=AMOUNT_DIGITS, minimum=0, below=(gettext_lazy("Le montant ne peut être négatif."), "negative")
    )
    period_start = Day()
    period_end = Day()
    share_per_kg_eur = NumberField(
        digits=PRICE_DIGITS,
        minimum="0.01",
        below=(gettext_lazy("La prise en charge doit être positive."), "not_positive"),
    )
    categories = EligibleCategoriesField(required=False)
    structures = OrganizationsField(required=False)
    alert_percent = CountField(required=False)


@dataclass(frozen=True, kw_only=True)
class FundingLineData:
    funder: Funder | None = None
    name: str = ""
    amount_eur: Decimal | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    share_per_kg_eur: Decimal | None = None
    categories: list[ProductCategory] = field(default_factory=list)
    structures: list[Organization] = field(default_factory=list)
    alert_percent: int | None = None
    given: frozenset[str] = frozenset()
    errors: FieldErrors = field(default_factory=FieldErrors)


def funding_line_data(values: Mapping, *, partial: bool = False, strict: bool = True) -> FundingLineData:
    cleaned, errors, given = parse(FundingLineInput, values, partial=partial, strict=strict)
    return FundingLineData(**cleaned, given=given, errors=errors)
