"""The input of each actors use case, declared once: pages, the API and imports use it.

An organization's input is an ``OrganizationInput`` (who it is, where) and, for a farm or a
food-aid structure, a ``FarmProfileInput`` or a ``StructureProfileInput``. The page
(``actors.forms.OrganizationForm``) dresses these fields; the API and an import line call
``organization_data`` on a plain mapping (nested ``farm_profile`` / ``structure_profile``, as
the API's body has them). Either way the service (``actors.services``) receives an
``OrganizationData``: typed values, the fields given, the errors found, which it raises together
with the rules that need the database (who may register where, the profile matching the kind).

The messages are the ones the API always answered (``tests/api/error_bodies.json`` pins them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actors.models import Commune, FarmProfile, Membership, Organization, StructureProfile, TerritoryRole, User
from actors.validators import validate_siret
from miam.inputs import (
    ChoiceInput,
    CountField,
    FieldErrors,
    FlagField,
    NumberField,
    TextField,
    WeekdaysField,
    parse,
)
from products.labels import FARM_LABELS
from products.models import ProductCategory

RADIUS_DIGITS = (6, 1)
BUDGET_DIGITS = (9, 2)
NOT_NEGATIVE = (gettext_lazy("Assurez-vous que cette valeur est supérieure ou égale à 0."), "invalid")
NOT_A_CHOICE = gettext_lazy("« %(value)s » n'est pas un choix valide.")


class ValueChoiceField(ChoiceInput):
    """One of ``choices``; the message names the value refused."""

    def __init__(self, *, choices, **kwargs) -> None:
        super().__init__(choices=choices, message=NOT_A_CHOICE, **kwargs)

    def validate(self, value) -> None:
        if value is None:
            super().validate(value)
            return
        if not isinstance(value, str | int) or not self.valid_value(value):
            raise ValidationError(NOT_A_CHOICE, params={"value": value}, code="invalid")


class CommuneCodeField(forms.Field):
    """A commune by its INSEE code (or a ``Commune``)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Commune):
            return value
        code = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
        commune = Commune.objects.select_related("departement").filter(insee_code=code).first() if code else None
        if commune is None:
            raise ValidationError(_("Commune inconnue : « %(code)s ».") % {"code": value}, code="unknown_commune")
        return commune

    def validate(self, value) -> None:
        if value is None and self.required:
            raise ValidationError(_("Ce champ est obligatoire."), code="required")


class CoordinateField(forms.Field):
    """A latitude or a longitude in degrees, within ``limit``."""

    def __init__(self, *, limit: int, message, code: str, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.limit, self.message, self.code = limit, message, code

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValidationError(_("Coordonnées invalides."), code="invalid_coordinates")
        try:
            number = float(str(value).strip().replace(",", "."))
        except ValueError:
            raise ValidationError(_("Coordonnées invalides."), code="invalid_coordinates") from None
        if number != number or not -self.limit <= number <= self.limit:
            raise ValidationError(self.message, code=self.code)
        return number


class SiretField(TextField):
    """A SIRET: spaces removed, 14 digits passing its check key (``actors.validators``)."""

    def to_python(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super().to_python(value).replace(" ", "").replace("\u00a0", "")

    def validate(self, value) -> None:
        super().validate(value)
        validate_siret(value)


class EmailInput(TextField):
    def validate(self, value) -> None:
        super().validate(value)
        if value:
            try:
                validate_email(value)
            except ValidationError:
                raise ValidationError(_("Adresse e-mail invalide."), code="invalid_email") from None


class WebsiteField(TextField):
    def to_python(self, value):
        text = super().to_python(value)
        if text and "://" not in text:
            text = f"https://{text}"
        return text

    def validate(self, value) -> None:
        super().validate(value)
        if value:
            try:
                URLValidator()(value)
            except ValidationError:
                raise ValidationError(_("Adresse web invalide."), code="invalid_url") from None


class LabelsField(forms.Field):
    """Farm labels (AB, HVE…): each refused one is named at its place in the list."""

    widget = forms.CheckboxSelectMultiple
    takes_list = True

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.choices = list(FARM_LABELS.items())
        self.widget.choices = self.choices

    def to_python(self, value) -> list[str]:
        if value in (None, ""):
            return []
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise ValidationError(_("Une liste est attendue."), code="invalid")
        items = list(value)
        errors = [
            ValidationError(NOT_A_CHOICE, params={"value": item, "at": at}, code="invalid")
            for at, item in enumerate(items)
            if not isinstance(item, str) or item not in FARM_LABELS
        ]
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(items))

    def validate(self, value) -> None:
        return None


class ProductionsField(forms.Field):
    """What a farm produces: product categories by code, id or instance."""

    takes_list = True

    def to_python(self, value) -> list[ProductCategory]:
        if value in (None, ""):
            return []
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise ValidationError(_("Une liste est attendue."), code="invalid")
        found: list[ProductCategory] = []
        unknown: list[str] = []
        for item in value:
            if isinstance(item, ProductCategory):
                category = item
            elif isinstance(item, int) and not isinstance(item, bool):
                category = ProductCategory.objects.filter(pk=item).first()
            elif isinstance(item, str) and item.strip():
                category = ProductCategory.objects.filter(code=item.strip()).first()
            else:
                category = None
            if category is None:
                unknown.append(str(item))
            elif category not in found:
                found.append(category)
        if unknown:
            raise ValidationError(
                _("Catégorie inconnue : « %(value)s ».") % {"value": ", ".join(unknown)}, code="unknown_category"
            )
        return found

    def validate(self, value) -> None:
        return None


# --- Organizations --------------------------------------------------------------------------


class OrganizationInput(forms.Form):
    """Who an organization is and where. The order of the fields is the order of their errors."""

    kind = ValueChoiceField(choices=Organization.Kind.choices)
    name = TextField(max_length=200)
    commune = CommuneCodeField()
    address = TextField(max_length=300, required=False)
    latitude = CoordinateField(
        limit=90,
        message=gettext_lazy("La latitude doit être comprise entre -90 et 90."),
        code="latitude_out_of_range",
    )
    longitude = CoordinateField(
        limit=180,
        message=gettext_lazy("La longitude doit être comprise entre -180 et 180."),
        code="longitude_out_of_range",
    )
    siret = SiretField(max_length=17, required=False)
    email = EmailInput(max_length=254, required=False)
    phone = TextField(max_length=30, required=False)
    website = WebsiteField(max_length=200, required=False)
    description = TextField(max_length=5000, required=False)
    is_active = FlagField()


class FarmProfileInput(forms.Form):
    labels = LabelsField()
    delivery_radius_km = NumberField(digits=RADIUS_DIGITS, minimum=0, below=NOT_NEGATIVE, required=False)
    vehicle = ValueChoiceField(choices=FarmProfile.Vehicle.choices, required=False)
    accepts_donation = FlagField()
    accepts_solidarity_price = FlagField()
    accepts_market_price = FlagField()
    productions = ProductionsField(required=False)


class StructureProfileInput(forms.Form):
    structure_type = ValueChoiceField(choices=StructureProfile.StructureType.choices, required=False)
    people_served_per_week = CountField()
    distribution_days = WeekdaysField(required=False)
    distribution_hours = TextField(max_length=200, required=False)
    has_dry_storage = FlagField()
    dry_capacity_kg = CountField()
    has_fridge = FlagField()
    chilled_capacity_kg = CountField()
    has_freezer = FlagField()
    frozen_capacity_kg = CountField()
    vehicle = ValueChoiceField(choices=FarmProfile.Vehicle.choices, required=False)
    pickup_radius_km = NumberField(digits=RADIUS_DIGITS, minimum=0, below=NOT_NEGATIVE, required=False)
    monthly_budget_eur = NumberField(digits=BUDGET_DIGITS, minimum=0, below=NOT_NEGATIVE, required=False)
    gleaning_volunteers = CountField()
    issues_donation_receipts = FlagField()
    donation_receipt_reference = TextField(max_length=200, required=False)


@dataclass(frozen=True, kw_only=True)
class ProfileData:
    """A farm's or a structure's profile, typed: only the ``values`` given change."""

    values: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class OrganizationData:
    """An organization's input, typed. ``given``: the fields the caller set; ``errors``: those
    the input layer refused (nested ones named ``farm_profile.<field>``)."""

    kind: str | None = None
    name: str = ""
    commune: Commune | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    siret: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    description: str = ""
    is_active: bool | None = None
    farm_profile: ProfileData | None = None
    structure_profile: ProfileData | None = None
    given: frozenset[str] = frozenset()
    errors: FieldErrors = field(default_factory=FieldErrors)

    def fields(self) -> dict:
        """The organization's own fields given (profiles aside), typed."""
        names = set(OrganizationInput.base_fields) & set(self.given)
        return {name: getattr(self, name) for name in OrganizationInput.base_fields if name in names}


def _profile(values, form_class, name: str, errors: FieldErrors, *, strict: bool) -> ProfileData | None:
    if values is None:
        return None
    if not isinstance(values, Mapping):
        errors.add(name, _("Un objet est attendu."), "invalid")
        return None
    cleaned, profile_errors, _given = parse(form_class, values, partial=True)
    unknown = sorted(set(values) - set(form_class.base_fields)) if strict else []
    for key in unknown:
        profile_errors.add(key, _("Champ inconnu."))
    for key, messages in profile_errors.fields.items():
        errors.fields.setdefault(f"{name}.{key}", []).extend(messages)
    errors.codes.extend(profile_errors.codes)
    return ProfileData(values=cleaned)


def organization_data(values: Mapping, *, partial: bool = False, strict: bool = True) -> OrganizationData:
    """An organization's input from a plain mapping (an API body, an import line, keyword
    arguments). ``partial``: an update, only the fields present change. ``strict``: a key that
    is no field of an organization is refused (``unknown_field``)."""
    farm, structure = values.get("farm_profile"), values.get("structure_profile")
    values = {key: value for key, value in values.items() if key not in ("farm_profile", "structure_profile")}
    cleaned, errors, given = parse(OrganizationInput, values, partial=partial, strict=strict)
    one_coordinate = (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None)
    if one_coordinate and not (errors.has("latitude") or errors.has("longitude")):
        errors.add("longitude", _("Donnez la latitude et la longitude, ou aucune."), "invalid")
    farm_profile = _profile(farm, FarmProfileInput, "farm_profile", errors, strict=strict)
    structure_profile = _profile(structure, StructureProfileInput, "structure_profile", errors, strict=strict)
    if farm is not None:
        given |= {"farm_profile"}
    if structure is not None:
        given |= {"structure_profile"}
    return OrganizationData(
        **cleaned, farm_profile=farm_profile, structure_profile=structure_profile, given=given, errors=errors
    )


# --- People and invitations ------------------------------------------------------------------
# Their doors are pages (no API yet): the fields, labels and messages are the model's and
# Django's own, as these pages always showed them. The services parse what they are given with
# these inputs, so that a page, another service or a script meets one validation; the pages'
# forms (``actors.forms``) dress these fields and add only their choosers.


def _user_field(name: str, **kwargs) -> forms.Field:
    return User._meta.get_field(name).formfield(**kwargs)


class ProfileInput(forms.Form):
    """A person's own profile."""

    first_name = _user_field("first_name")
    last_name = _user_field("last_name")
    phone = _user_field("phone")
    language = _user_field("language")
    wants_email_notifications = _user_field("wants_email_notifications")
    wants_daily_digest = _user_field("wants_daily_digest")


class InvitationInput(forms.Form):
    """Whom to invite (an e-mail address), as what: a role in an organization, on a territory, or
    both. Which of the two the invitation is for, and the role it needs, is the service's rule."""

    email = forms.EmailField(max_length=254)
    organization_role = forms.ChoiceField(choices=Membership.Role.choices, required=False)
    territory_role = forms.ChoiceField(choices=TerritoryRole.Role.choices, required=False)


class InvitationAcceptInput(forms.Form):
    """The account an invitation creates for someone who has none (the password's strength is
    the service's rule: Django's validators)."""

    first_name = _user_field("first_name", required=True)
    last_name = _user_field("last_name", required=True)
    password = forms.CharField(strip=False)
