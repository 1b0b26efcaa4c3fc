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

from actors.models import Commune, Organization, Territory, User
from logistics.models import Hub, Vehicle
from miam.inputs import (
    ChoiceInput,
    ClockField,
    CountField,
    DayField,
    FieldErrors,
    FlagField,
    NumberField,
    TextField,
    WeekdayField,
    WeekdaysField,
    as_id,
    parse,
)
from offers.inputs import OrganizationField
from offers.models import Offer

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
        if (pk := as_id(value)) is not None:
            found = self.model.objects.filter(pk=pk).first()
            if found is not None:
                return found
        raise ValidationError(str(self.unknown), code="unknown")

    def validate(self, value) -> None:
        if value is None and self.required:
            raise ValidationError(_("Ce champ est obligatoire."), code="required")


class CommuneField(forms.Field):
    """A commune by INSEE code (or instance); on a page, its name as people type it (« Cluny »,
    « Cluny (71) », read by ``actors.forms.CommuneField``: a shared name is an error listing them)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Commune):
            return value
        if isinstance(value, str | int) and not isinstance(value, bool):
            found = Commune.objects.filter(insee_code=str(value).strip()).first()
            if found is not None:
                return found
            if isinstance(value, str) and not value.strip().isdecimal():
                from actors.forms import CommuneField as NamedCommune

                return NamedCommune().clean(value)
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
            if isinstance(item, bool) or not text.isdecimal():
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
    kind = ChoiceInput(choices=Vehicle.Kind.choices, message=gettext_lazy("Type de véhicule inconnu."), required=False)
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
    kind: str | None = None
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
    weekday = WeekdayField()
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


class HoursRowInput(forms.Form):
    """One opening window of a week: a weekday, from, to."""

    weekday = WeekdayField()
    opens_at = ClockField()
    closes_at = ClockField()


@dataclass(frozen=True)
class HoursRow:
    weekday: int
    opens_at: dt.time
    closes_at: dt.time


@dataclass
class WeekHoursData:
    """An organization's whole week of opening hours (what replaces the recorded one)."""

    hours: list[HoursRow] = field(default_factory=list)
    errors: FieldErrors = field(default_factory=FieldErrors)


#: Opening windows a week may hold per day (a morning and an afternoon, and some room).
MAX_WINDOWS_PER_DAY = 4


def week_hours_data(values: Mapping) -> WeekHoursData:
    """``{"hours": [{"weekday": 1, "opens_at": "14:00", "closes_at": "17:00"}, …]}``: each
    window is a weekday and two times in order; two windows of one day may not overlap. Every
    error is named by the window's place in the list (``hours.2.closes_at``)."""
    errors = FieldErrors()
    raw = values.get("hours") if isinstance(values, Mapping) else None
    if raw in (None, ""):
        raw = []
    if isinstance(raw, str | bytes | Mapping) or not hasattr(raw, "__iter__"):
        errors.add("hours", _("Une liste de créneaux est attendue."), "invalid")
        return WeekHoursData(errors=errors)
    rows: list[tuple[int, HoursRow]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors.add(f"hours.{index}", _("Un créneau est attendu (jour, de, à)."), "invalid")
            continue
        cleaned, row_errors, _given = parse(HoursRowInput, item)
        hours_in_order(row_errors, cleaned.get("opens_at"), cleaned.get("closes_at"), field_name="closes_at")
        for name, messages in row_errors.fields.items():
            for message in messages:
                errors.add(f"hours.{index}.{name}", message, row_errors.codes[0])
        if not row_errors:
            rows.append((index, HoursRow(**cleaned)))
    by_day: dict[int, list[tuple[int, HoursRow]]] = {}
    for index, row in sorted(rows, key=lambda r: (r[1].weekday, r[1].opens_at)):
        same_day = by_day.setdefault(row.weekday, [])
        if same_day and row.opens_at < same_day[-1][1].closes_at:
            other = same_day[-1][1]
            errors.add(
                f"hours.{index}.opens_at",
                _("Ce créneau chevauche celui de %(start)s à %(end)s le même jour.")
                % {"start": f"{other.opens_at:%H:%M}", "end": f"{other.closes_at:%H:%M}"},
                "windows_overlap",
            )
        same_day.append((index, row))
    for windows in by_day.values():
        if len(windows) > MAX_WINDOWS_PER_DAY:
            errors.add(
                f"hours.{windows[-1][0]}.opens_at",
                _("Au plus %(n)s créneaux par jour.") % {"n": MAX_WINDOWS_PER_DAY},
                "too_many_windows",
            )
    return WeekHoursData(hours=[row for _index, row in sorted(rows)], errors=errors)


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
    cross_dock = FlagField()


class MatchesField(forms.Field):
    """Matches by id, each once."""

    takes_list = True

    def to_python(self, value) -> list:
        from offers.models import Match

        if value in (None, "", []):
            return []
        if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
            raise ValidationError(_("Une liste est attendue."), code="invalid")
        ids = []
        for item in value:
            text = str(item).strip()
            if isinstance(item, bool) or not text.isdecimal():
                raise ValidationError(_("Identifiant invalide : « %(value)s ».") % {"value": item}, code="invalid")
            if int(text) not in ids:
                ids.append(int(text))
        found = {
            m.pk: m
            for m in Match.objects.filter(pk__in=ids).select_related(
                "offer", "offer__organization__commune", "need", "need__organization__commune"
            )
        }
        unknown = [str(i) for i in ids if i not in found]
        if unknown:
            raise ValidationError(
                _("Mise en relation inconnue : %(values)s.") % {"values": ", ".join(unknown)}, code="unknown_match"
            )
        return [found[i] for i in ids]

    def validate(self, value) -> None:
        if not value and self.required:
            raise ValidationError(_("Choisissez au moins une mise en relation."), code="required")


class RoundInput(forms.Form):
    """A round by hand: chosen matches on one vehicle, a day, a territory."""

    territory = TerritoryField()
    day = DayField()
    vehicle = VehicleField()
    matches = MatchesField()


class RoundChangeInput(forms.Form):
    """A round by hand changed before it runs: its day, vehicle and matches (not its territory)."""

    day = DayField()
    vehicle = VehicleField()
    matches = MatchesField()


def round_change_data(values: Mapping, *, strict: bool = True) -> tuple[dict, FieldErrors]:
    cleaned, errors, _given = parse(RoundChangeInput, values, strict=strict)
    return cleaned, errors


def round_data(values: Mapping, *, strict: bool = True) -> tuple[dict, FieldErrors]:
    cleaned, errors, _given = parse(RoundInput, values, strict=strict)
    return cleaned, errors


def round_plan_data(values: Mapping, *, strict: bool = True) -> tuple[dict, FieldErrors]:
    cleaned, errors, _given = parse(RoundPlanInput, values, strict=strict)
    return cleaned, errors


# --- Gleaning days --------------------------------------------------------------------------


class OfferField(_ById):
    model = Offer
    unknown = gettext_lazy("Offre inconnue.")


class OrganizationRefField(_ById):
    model = Organization
    unknown = gettext_lazy("Organisation inconnue.")


class SlotsField(forms.Field):
    """A list of slots, each ``{"starts_at", "ends_at", "volunteer_capacity"}``; every error is
    named by the slot's place in the list (``slots.0.volunteer_capacity``)."""

    takes_list = True

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, "", []):
            return []
        if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
            raise ValidationError(_("Une liste de créneaux est attendue."), code="invalid")
        return list(value)

    def validate(self, value) -> None:
        return None


class SlotInput(forms.Form):
    starts_at = ClockField()
    ends_at = ClockField()
    volunteer_capacity = CountField(required=True)


class GleaningInput(forms.Form):
    offer = OfferField()
    place = TextField(max_length=200)
    commune = CommuneField()
    date = DayField()
    starts_at = ClockField()
    ends_at = ClockField()
    agreement_reference = TextField(max_length=200, required=False)
    insurance_reference = TextField(max_length=200, required=False)
    slots = SlotsField()


@dataclass
class SlotData:
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    volunteer_capacity: int | None = None


@dataclass
class GleaningData:
    offer: object = None
    place: str = ""
    commune: Commune | None = None
    date: dt.date | None = None
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    agreement_reference: str = ""
    insurance_reference: str = ""
    slots: list[SlotData] = field(default_factory=list)
    given: frozenset[str] = frozenset()
    errors: FieldErrors = field(default_factory=FieldErrors)


def slots_parse(raw, errors: FieldErrors) -> list[SlotData]:
    out = []
    for index, item in enumerate(raw or []):
        if not isinstance(item, Mapping):
            errors.add(f"slots.{index}", _("Un créneau est attendu (début, fin, bénévoles)."), "invalid")
            continue
        cleaned, slot_errors, _given = parse(SlotInput, item)
        cleaned = SlotData(**cleaned)
        if not slot_errors.has("volunteer_capacity") and cleaned.volunteer_capacity == 0:
            slot_errors.add("volunteer_capacity", _("Un créneau attend au moins un·e bénévole."), "not_positive")
        hours_in_order(slot_errors, cleaned.starts_at, cleaned.ends_at, field_name="ends_at")
        for name, messages in slot_errors.fields.items():
            for message in messages:
                errors.add(f"slots.{index}.{name}", message, slot_errors.codes[0])
        out.append(cleaned)
    return out


def gleaning_data(values: Mapping, *, partial: bool = False, strict: bool = True) -> GleaningData:
    cleaned, errors, given = parse(GleaningInput, values, partial=partial, strict=strict)
    slots = slots_parse(cleaned.pop("slots", []), errors)
    hours_in_order(errors, cleaned.get("starts_at"), cleaned.get("ends_at"), field_name="ends_at")
    return GleaningData(**cleaned, slots=slots, given=given, errors=errors)


#: A gleaning agreement or an insurance certificate: a PDF, at most this size.
PAPER_MAX_BYTES = 5 * 1024 * 1024


class PdfField(forms.Field):
    """An uploaded PDF (its first bytes say so, whatever its name), at most ``PAPER_MAX_BYTES``."""

    widget = forms.ClearableFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values or value is False:
            return None
        if not hasattr(value, "read") or not hasattr(value, "name"):
            raise ValidationError(_("Un fichier PDF est attendu."), code="invalid")
        size = getattr(value, "size", None) or 0
        if size > PAPER_MAX_BYTES:
            raise ValidationError(
                _("Le document est trop lourd (maximum %(limit)s Mo).") % {"limit": PAPER_MAX_BYTES // 1_048_576},
                code="too_large",
            )
        value.seek(0)
        head = value.read(5)
        value.seek(0)
        if head != b"%PDF-":
            raise ValidationError(_("Le document doit être un PDF."), code="not_pdf")
        return value

    def validate(self, value) -> None:
        return None


class PapersInput(forms.Form):
    """The gleaning agreement and the civil-liability insurance: a reference or a PDF each."""

    agreement_reference = TextField(max_length=200, required=False)
    agreement_document = PdfField()
    insurance_reference = TextField(max_length=200, required=False)
    insurance_document = PdfField()


def papers_data(values: Mapping, files: Mapping | None = None) -> tuple[dict, FieldErrors]:
    """Only what was given: an absent reference or document leaves the recorded one."""
    merged = {k: v for k, v in values.items() if k in PapersInput.base_fields}
    merged.update({k: v for k, v in (files or {}).items() if k in PapersInput.base_fields})
    cleaned, errors, _given = parse(PapersInput, merged, partial=True)
    return cleaned, errors


class MoveInput(forms.Form):
    date = DayField()
    starts_at = ClockField()
    ends_at = ClockField()


def move_data(values: Mapping) -> tuple[dict, FieldErrors]:
    cleaned, errors, _given = parse(MoveInput, values)
    hours_in_order(errors, cleaned.get("starts_at"), cleaned.get("ends_at"), field_name="ends_at")
    return cleaned, errors


class SignupInput(forms.Form):
    name = TextField(max_length=120)
    email = TextField(max_length=254, required=False)
    volunteers = CountField()
    consent = FlagField()
    structure = OrganizationRefField(required=False)


@dataclass
class SignupData:
    name: str = ""
    email: str = ""
    volunteers: int | None = None
    consent: bool | None = None
    structure: object = None
    errors: FieldErrors = field(default_factory=FieldErrors)


def signup_data(values: Mapping, *, strict: bool = False) -> SignupData:
    cleaned, errors, _given = parse(SignupInput, values, strict=strict)
    email = cleaned.get("email") or ""
    if email and ("@" not in email or " " in email):
        errors.add("email", _("Adresse e-mail invalide."), "invalid")
    if cleaned.get("volunteers") == 0:
        errors.add("volunteers", _("Au moins une personne."), "not_positive")
    return SignupData(**cleaned, errors=errors)


class HarvestInput(forms.Form):
    structure = OrganizationRefField()
    quantity_kg = NumberField(
        digits=KG_DIGITS,
        minimum=Decimal("0.1"),
        below=(gettext_lazy("La quantité glanée doit être strictement positive."), "not_positive"),
    )


def harvest_data(values: Mapping) -> tuple[dict, FieldErrors]:
    cleaned, errors, _given = parse(HarvestInput, values, strict=False)
    return cleaned, errors
