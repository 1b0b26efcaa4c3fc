"""The input of each logistics use case, declared once: pages and the API use it
(``miam.inputs`` for the pattern). Services receive the typed values and check the rules
that need the database or several fields (hours in order, drivers of the organization...)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actors.models import Commune, Territory, User
from logistics.models import Hub, Vehicle
from miam.inputs import ClockField, CountField, DayField, FieldErrors, FlagField, NumberField, TextField, parse
from offers.inputs import OrganizationField, WeekdaysField

KG_DIGITS = (10, 1)


class _ById(forms.Field):
    """An instance of ``model`` by id (or the instance itself)."""

    model = None
    unknown = ""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, self.model):
            return value
        if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip().isdigit():
            found = self.model.objects.filter(pk=int(value)).first()
            if found is not None:
                return found
        raise ValidationError(str(self.unknown), code="unknown")

    def validate(self, value) -> None:
        if value is None and self.required:
            raise ValidationError(_("Ce champ est obligatoire."), code="required")


class CommuneField(forms.Field):
    """A commune by INSEE code (or instance)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Commune):
            return value
        if isinstance(value, str | int) and not isinstance(value, bool):
            found = Commune.objects.filter(insee_code=str(value).strip()).first()
            if found is not None:
                return found
        raise ValidationError(_("Commune inconnue (code INSEE attendu)."), code="unknown_commune")

    def validate(self, value) -> None:
        if value is None and self.required:
            raise ValidationError(_("Ce champ est obligatoire."), code="required")


class UsersField(forms.Field):
    """People by id, each once."""

    takes_list = True

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> list:
        if value in (None, "", []):
            return []
        if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
            raise ValidationError(_("Une liste est attendue."), code="invalid")
        ids = []
        for item in value:
            text = str(item).strip()
            if isinstance(item, bool) or not text.isdigit():
                raise ValidationError(_("Identifiant de personne invalide : « %(value)s ».") % {"value": item})
            if int(text) not in ids:
                ids.append(int(text))
        users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
        unknown = [str(i) for i in ids if i not in users]
        if unknown:
            raise ValidationError(
                _("Personne inconnue : %(values)s.") % {"values": ", ".join(unknown)}, code="unknown_user"
            )
        return [users[i] for i in ids]

    def validate(self, value) -> None:
        return None


# --- Vehicles -------------------------------------------------------------------------------


class VehicleInput(forms.Form):
    organization = OrganizationField()
    name = TextField(max_length=120)
    capacity_kg = NumberField(
        digits=KG_DIGITS,
        minimum=Decimal("0.1"),
        below=(gettext_lazy("La charge utile doit être strictement positive."), "not_positive"),
    )
    is_refrigerated = FlagField()
    days_available = WeekdaysField(required=False)
    available_from = ClockField(required=False)
    available_until = ClockField(required=False)
    max_duration_min = CountField()
    drivers = UsersField()


@dataclass
class VehicleData:
    organization: object = None
    name: str = ""
    capacity_kg: Decimal | None = None
    is_refrigerated: bool | None = None
    days_available: list[int] | None = None
    available_from: dt.time | None = None
    available_until: dt.time | None = None
    max_duration_min: int | None = None
    drivers: list = field(default_factory=list)
    given: frozenset[str] = frozenset()
    errors: FieldErrors = field(default_factory=FieldErrors)


def vehicle_data(values: Mapping, *, partial: bool = False, strict: bool = True) -> VehicleData:
    cleaned, errors, given = parse(VehicleInput, values, partial=partial, strict=strict)
    return VehicleData(**cleaned, given=given, errors=errors)


# --- Hubs and cold rooms --------------------------------------------------------------------


class HubInput(forms.Form):
    organization = OrganizationField()
    name = TextField(max_length=120)
    commune = CommuneField()
    chilled_capacity_kg = CountField()
    frozen_capacity_kg = CountField()
    dry_capacity_kg = CountField()
    opening_days = WeekdaysField(required=False)
    opens_at = ClockField(required=False)
    closes_at = ClockField(required=False)


@dataclass
class HubData:
    organization: object = None
    name: str = ""
    commune: Commune | None = None
    chilled_capacity_kg: int | None = None
    frozen_capacity_kg: int | None = None
    dry_capacity_kg: int | None = None
    opening_days: list[int] | None = None
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    given: frozenset[str] = frozenset()
    errors: FieldErrors = field(default_factory=FieldErrors)


def hub_data(values: Mapping, *, partial: bool = False, strict: bool = True) -> HubData:
    cleaned, errors, given = parse(HubInput, values, partial=partial, strict=strict)
    return HubData(**cleaned, given=given, errors=errors)


# --- Opening hours (pick-up at a farm, reception at a structure) -----------------------------


class OpeningHoursInput(forms.Form):
    organization = OrganizationField()
    weekday = CountField(required=True)
    opens_at = ClockField()
    closes_at = ClockField()


@dataclass
class OpeningHoursData:
    organization: object = None
    weekday: int | None = None
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    given: frozenset[str] = frozenset()
    errors: FieldErrors = field(default_factory=FieldErrors)


def opening_hours_data(values: Mapping, *, strict: bool = True) -> OpeningHoursData:
    cleaned, errors, given = parse(OpeningHoursInput, values, strict=strict)
    return OpeningHoursData(**cleaned, given=given, errors=errors)


def hours_in_order(errors: FieldErrors, start: dt.time | None, end: dt.time | None, *, field_name: str) -> None:
    """A window that ends before (or when) it starts is refused, on its end field."""
    if start is not None and end is not None and end <= start:
        errors.add(field_name, _("L'heure de fin doit être après l'heure de début."), "window_reversed")


# --- Rounds ---------------------------------------------------------------------------------


class TerritoryField(_ById):
    model = Territory
    unknown = gettext_lazy("Territoire inconnu.")


class HubField(_ById):
    model = Hub
    unknown = gettext_lazy("Hub inconnu.")


class VehicleField(_ById):
    model = Vehicle
    unknown = gettext_lazy("Véhicule inconnu.")


class RoundPlanInput(forms.Form):
    territory = TerritoryField()
    day = DayField()
    hub = HubField(required=False)


def round_plan_data(values: Mapping, *, strict: bool = True) -> tuple[dict, FieldErrors]:
    cleaned, errors, _given = parse(RoundPlanInput, values, strict=strict)
    return cleaned, errors
