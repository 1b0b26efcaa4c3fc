"""The one validation layer: what a door received becomes typed values, declared once per use case.

A use case's input is a Django ``forms.Form`` (``offers/inputs.py``): its fields say the types,
lengths, choices and digits, with the domain's own French messages and codes. Every door uses it:

- a page binds and renders it like any form (a subclass adds widgets and page-only fields);
- the API, an import line or a DFC item calls ``parse`` on a plain mapping (JSON values, a
  spreadsheet row): the same fields clean the values, without widgets, so that a JSON list is a
  list and a missing key is "not given".

``parse`` never raises for a bad value: it returns the typed values of the fields that are valid
and a ``FieldErrors`` for the others. The service then checks who acts, adds the rules that need
the database or several fields, and raises one ``DomainError`` with every error at once.

The fields below refuse what JSON may send but the value cannot be (an object for a number, a
number for a date...) instead of turning it into text, as Django's own fields would.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from miam.errors import DomainError

MAX_POSITIVE_INT = 2_147_483_647
REQUIRED = gettext_lazy("Ce champ est obligatoire.")


class FieldErrors:
    """Field errors collected in order, so that a form or an API client sees all of them at once.
    The first error's code is the code of the ``DomainError`` they become."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.codes: list[str] = []

    def add(self, field: str, message, code: str = "invalid") -> None:
        self.fields.setdefault(field, []).append(str(message))
        self.codes.append(code)

    def add_validation_error(self, field: str, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):  # the items of a list, by position: ``emails.0``
            for key, items in error.error_dict.items():
                for item in items:
                    self.add_validation_error(f"{field}.{key}", item)
            return
        for item in error.error_list:
            message = item.message % item.params if item.params else item.message
            # An error about one item of a list names it (``labels.0``), as the API always did.
            at = (item.params or {}).get("at")
            self.add(field if at is None else f"{field}.{at}", message, item.code or "invalid")

    def has(self, field: str) -> bool:
        return field in self.fields

    def __bool__(self) -> bool:
        return bool(self.fields)

    def merge(self, other: FieldErrors) -> None:
        for field, messages in other.fields.items():
            self.fields.setdefault(field, []).extend(messages)
        self.codes.extend(other.codes)

    def copy(self) -> FieldErrors:
        other = FieldErrors()
        other.fields = {k: list(v) for k, v in self.fields.items()}
        other.codes = list(self.codes)
        return other

    def error(self) -> DomainError:
        return DomainError(self.codes[0], _("Certaines données sont invalides."), fields=self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise self.error()


_SHARED_FIELDS: dict[type, bool] = {}


def _fields_of(form_class: type[forms.Form]):
    """The fields that clean an input. A form builds a deep copy of its fields each time it is
    made (about half a millisecond for an organization's): an import of 10,000 lines would
    spend seconds on copies. Cleaning never changes a Django field, so the class's own fields
    are used as they are, unless the form changes them in its ``__init__`` (choices known at
    run time) or holds a DRF field (which a read binds to its name): those get their copy."""
    shared = _SHARED_FIELDS.get(form_class)
    if shared is None:
        shared = form_class.__init__ is forms.Form.__init__ and not any(
            isinstance(field, SerializerField) for field in form_class.base_fields.values()
        )
        _SHARED_FIELDS[form_class] = shared
    return form_class.base_fields if shared else form_class().fields


def parse(form_class: type[forms.Form], values: Mapping, *, partial: bool = False, strict: bool = False):
    """Clean ``values`` with the fields of ``form_class``.

    ``partial``: only the fields present are cleaned (an update); otherwise every field is, a
    missing required one being an error and a missing optional one left to its default.
    ``strict``: a key the form does not know is refused at once (``unknown_field``); doors that
    receive extra keys they do not own (an API body) leave it off. Returns the typed values of
    the valid fields, the errors of the others, and the names of the fields given."""
    fields = _fields_of(form_class)
    if strict:
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise DomainError(
                "unknown_field",
                _("Certaines données sont invalides."),
                fields={name: [_("Champ inconnu ou non modifiable.")] for name in unknown},
            )
    cleaned: dict = {}
    errors = FieldErrors()
    given = []
    for name, field in fields.items():
        if isinstance(field, SerializerField):  # reads its own key: missing, null and defaults as DRF does
            if name not in values and partial:
                continue
            try:
                value = field.read(values, name)
            except ValidationError as error:
                errors.add_validation_error(name, error)
                given.append(name)
                continue
            if value is not SKIP:
                cleaned[name] = value
                given.append(name)
            continue
        if name not in values:
            if partial:
                continue
            if not field.required:
                given.append(name)  # left to its default
                continue
        given.append(name)
        value = (
            values.getlist(name)
            if getattr(field, "takes_list", False) and hasattr(values, "getlist")
            else values.get(name)
        )
        try:
            cleaned[name] = field.clean(value)
        except ValidationError as error:
            errors.add_validation_error(name, error)
    return cleaned, errors, frozenset(given)


def input_values(form_class: type[forms.Form], values: Mapping, *, partial: bool = False) -> dict:
    """The typed values of ``values``, or a ``DomainError`` with every field error (the doors
    whose input is checked before anything else: the meetings and the action plans)."""
    cleaned, errors, _given = parse(form_class, values, partial=partial)
    errors.raise_if_any()
    return cleaned


class ValidatedByInput:
    """A write serializer that validates through its use case's input (``input_class``, and
    ``update_input_class`` for an update when it differs): its declared fields stay the schema
    of the request body, the input alone parses it."""

    input_class: type[forms.Form]
    update_input_class: type[forms.Form] | None = None

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # DRF's own "a dictionary is expected"
        form_class = self.input_class
        if getattr(self, "instance", None) is not None and self.update_input_class is not None:
            form_class = self.update_input_class
        return input_values(form_class, data, partial=getattr(self, "partial", False))


def bound_errors(form: forms.Form) -> FieldErrors:
    """A bound form's errors (a page's), in the form's field order."""
    errors = FieldErrors()
    for name, error_list in form.errors.as_data().items():
        for error in error_list:
            errors.add_validation_error(name, error)
    return errors


# --- Fields ------------------------------------------------------------------------------


def _required(field: forms.Field):
    raise ValidationError(REQUIRED, code="required")


class TextField(forms.CharField):
    """Text: spaces trimmed, no NUL character, at most ``max_length`` characters."""

    def __init__(self, *, max_length: int | None = None, **kwargs) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)
        self.max_length_allowed = max_length
        if max_length:
            self.widget.attrs.setdefault("maxlength", str(max_length))

    def to_python(self, value):
        if value in self.empty_values:
            return ""
        if not isinstance(value, str):
            raise ValidationError(_("Texte attendu."), code="invalid")
        return value.strip()

    def validate(self, value) -> None:
        if "\x00" in value:
            raise ValidationError(_("Caractère non autorisé."), code="invalid")
        if self.required and not value:
            _required(self)
        if self.max_length_allowed and len(value) > self.max_length_allowed:
            raise ValidationError(_("%(max)s caractères au plus.") % {"max": self.max_length_allowed}, code="too_long")

    def run_validators(self, value) -> None:
        return None  # lengths are checked above, with the domain's message


class NumberField(forms.Field):
    """A decimal number, rounded to ``places`` (half up), no larger than ``digits`` allow.

    ``minimum``: the smallest value allowed, with its message and code (``below``)."""

    widget = forms.NumberInput
    # A page sets it (``miam.forms.typed_by_people``): text is then read the way people type it
    # (« 1,2 »), an ambiguous one refused, shown back in the person's format.
    typed_by_people = False

    def __init__(self, *, digits: tuple[int, int], minimum=None, below=None, **kwargs) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)
        self.max_digits, self.places = digits
        self.minimum = None if minimum is None else Decimal(minimum)
        self.below = below  # (message, code)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if self.typed_by_people and isinstance(value, str):
            from miam.forms import people_decimal

            value = people_decimal(value, places=self.places)
            if value is None:
                return None
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise ValidationError(_("Nombre invalide."), code="invalid")
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError(_("Nombre invalide."), code="invalid") from None
        if not number.is_finite():
            raise ValidationError(_("Nombre invalide."), code="invalid")
        number = number.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)
        if abs(number) >= Decimal(10) ** (self.max_digits - self.places):
            raise ValidationError(_("Ce nombre est trop grand."), code="too_large")
        return number

    def validate(self, value) -> None:
        if value is None:
            if self.required:
                _required(self)
            return
        if self.minimum is not None and value < self.minimum:
            message, code = self.below
            raise ValidationError(message, code=code)

    def prepare_value(self, value):
        if self.typed_by_people:
            from miam.forms import people_decimal_text

            return people_decimal_text(value)
        return value


class CountField(forms.Field):
    """A whole number from 0 to 2,147,483,647 (a database's positive integer)."""

    widget = forms.NumberInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
            raise ValidationError(_("Nombre entier attendu."), code="invalid")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError(_("Nombre entier attendu."), code="invalid") from None
        if number < 0:
            raise ValidationError(_("Ce nombre ne peut pas être négatif."), code="negative")
        if number > MAX_POSITIVE_INT:
            raise ValidationError(_("Ce nombre est trop grand."), code="too_large")
        return number


#: The largest id a row can have (a ``BigAutoField``, PostgreSQL's ``bigint``).
MAX_ID = 2**63 - 1


def as_id(value) -> int | None:
    """``value`` (a number, or its text, as a form or JSON gives an id) as a row's id; None
    when it is none: not a whole number, a boolean, zero, or beyond any id. The fields that
    look a row up by its id read it this one way: the lookup never sees a number the database
    cannot hold (SQLite raises on one in a ``pk__in``)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    if not text.isdecimal() or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


def weekday_number(value) -> int | None:
    """``value`` (a number, or its text) as a day of the week, 0 (Monday) to 6 (Sunday); None
    when it is none. ``WeekdayField`` and ``WeekdaysField`` read a day this one way."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdecimal() or int(text) > 6:
        return None
    return int(text)


class WeekdayField(forms.Field):
    """A day of the week: 0 (Monday) to 6 (Sunday)."""

    widget = forms.NumberInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        day = weekday_number(value)
        if day is None:
            raise ValidationError(_("Jour inconnu (0 = lundi … 6 = dimanche)."), code="invalid_weekday")
        return day

    def validate(self, value) -> None:
        if value is None and self.required:
            _required(self)


class DayField(forms.Field):
    """A day: a date, or its ISO form (AAAA-MM-JJ)."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value.strip()) if isinstance(value, str) else _bad_day()
        except ValueError:
            _bad_day()

    def validate(self, value) -> None:
        if value is None and self.required:
            _required(self)


def _bad_day():
    raise ValidationError(_("Date invalide (format AAAA-MM-JJ)."), code="invalid")


class FlagField(forms.Field):
    """Yes or no; ``None`` when not said (the caller's default then applies)."""

    widget = forms.CheckboxInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        raise ValidationError(_("Oui ou non attendu."), code="invalid")

    def validate(self, value) -> None:
        return None


class ChoiceInput(forms.ChoiceField):
    """One of ``choices``; ``message`` says so when it is not (code ``invalid_choice``)."""

    def __init__(self, *, choices, message, coerce=None, **kwargs) -> None:
        kwargs.setdefault("required", True)
        super().__init__(choices=choices, **kwargs)
        self.message = message
        self.coerce = coerce

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if self.coerce is not None:
            try:
                value = self.coerce(value) if not isinstance(value, bool) else object()
            except (TypeError, ValueError):
                value = object()
        return value

    def validate(self, value) -> None:
        if value is None:
            if self.required:
                _required(self)
            return
        if not isinstance(value, str | int) or not self.valid_value(value):
            raise ValidationError(self.message, code="invalid_choice")

    def valid_value(self, value) -> bool:
        return any(value == key or str(value) == str(key) for key, _label in self.choices)


class CodeListField(forms.Field):
    """A list of codes (a JSON list, or the values of checkboxes), each at most once, each one
    of ``choices``; ``unknown`` says which are not (``%(values)s``), with ``unknown_code``."""

    widget = forms.CheckboxSelectMultiple
    takes_list = True

    def __init__(self, *, choices, unknown, unknown_code: str = "invalid", **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.choices = list(choices)
        self.widget.choices = self.choices
        self.unknown, self.unknown_code = unknown, unknown_code

    def to_python(self, value) -> list[str]:
        if value in (None, ""):
            return []
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise ValidationError(_("Une liste est attendue."), code="invalid")
        out: list[str] = []
        for item in value:
            if not isinstance(item, str):
                raise ValidationError(_("Une liste de textes est attendue."), code="invalid")
            if item not in out:
                out.append(item)
        return out

    def validate(self, value) -> None:
        if not value and self.required:
            _required(self)
        known = {str(key) for key, _label in self.choices}
        unknown = [item for item in value if item not in known]
        if unknown:
            raise ValidationError(self.unknown % {"values": ", ".join(unknown)}, code=self.unknown_code)


class ClockField(forms.Field):
    """A time of day: a ``time``, or its text « HH:MM » (« 14h30 » too)."""

    widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.time().replace(second=0, microsecond=0)
        if isinstance(value, dt.time):
            return value
        if not isinstance(value, str):
            raise ValidationError(_("Heure invalide (format HH:MM)."), code="invalid")
        text = value.strip().lower().replace("h", ":").rstrip(":")
        hours, _sep, minutes = text.partition(":")
        if not hours.isdecimal() or (minutes and not minutes.isdecimal()):
            raise ValidationError(_("Heure invalide (format HH:MM)."), code="invalid")
        try:
            return dt.time(int(hours), int(minutes[:2] or 0))
        except ValueError:
            raise ValidationError(_("Heure invalide (format HH:MM)."), code="invalid") from None

    def validate(self, value) -> None:
        if value is None and self.required:
            _required(self)


WEEKDAY_CHOICES = [
    (0, gettext_lazy("lundi")),
    (1, gettext_lazy("mardi")),
    (2, gettext_lazy("mercredi")),
    (3, gettext_lazy("jeudi")),
    (4, gettext_lazy("vendredi")),
    (5, gettext_lazy("samedi")),
    (6, gettext_lazy("dimanche")),
]


class WeekdaysField(forms.Field):
    """Weekdays, 0 (Monday) to 6, as a list of numbers or checkbox values; empty: None (as
    the structure's profile)."""

    widget = forms.CheckboxSelectMultiple
    takes_list = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.choices = WEEKDAY_CHOICES
        self.widget.choices = self.choices

    def to_python(self, value) -> list[int] | None:
        if value in (None, "", []):
            return None
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise ValidationError(_("Une liste de jours est attendue (0 = lundi … 6 = dimanche)."), code="invalid")
        days = set()
        for item in value:
            day = weekday_number(item)
            if day is None:
                raise ValidationError(
                    _("Jour inconnu : « %(value)s » (0 = lundi … 6 = dimanche).") % {"value": item}, code="invalid"
                )
            days.add(day)
        return sorted(days)

    def validate(self, value) -> None:
        return None


# --- Fields in the API's own words ----------------------------------------------------------

SKIP = object()  # not given, and no default: the value is left out


def _validation_error(detail) -> ValidationError:
    """A DRF error detail as a Django one, every message with the code ``invalid`` (as the API
    has always answered a malformed value)."""
    if isinstance(detail, Mapping):
        return ValidationError({str(key): _validation_error(value) for key, value in detail.items()})
    if isinstance(detail, list | tuple):
        return ValidationError([_validation_error(item) for item in detail])
    return ValidationError(str(detail), code="invalid")


class SerializerField(forms.Field):
    """A value read and parsed by a Django REST framework field (``rest_framework.fields``,
    ``rest_framework.relations``): its types, lengths, choices, lookups and messages.

    The meetings and the action plans use these: their API has always answered DRF's wording
    (« Ce champ ne peut être vide. », « « x » n'est pas un choix valide. »), which partner apps
    see and ``tests/api/error_bodies.json`` pins; the parsing is DRF's own, maintained and
    translated, rather than written again. It is declared in an input like any other field:
    ``parse`` reads it from a mapping (JSON or form data, missing, null and defaults as DRF
    reads them), a page binds it with a widget of its own."""

    def __init__(self, drf_field, **kwargs) -> None:
        kwargs.setdefault("required", drf_field.required)
        self.drf = drf_field  # before the widget asks for its attributes
        super().__init__(**kwargs)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.drf = copy.deepcopy(self.drf, memo)
        return result

    def read(self, values: Mapping, name: str):
        """The typed value of ``name`` in ``values``; ``SKIP`` when it is not given and has no
        default; a ``ValidationError`` with DRF's messages when it is malformed."""
        from rest_framework.exceptions import ValidationError as DRFValidationError
        from rest_framework.fields import SkipField

        self.drf.field_name = name
        try:
            return self.drf.run_validation(self.drf.get_value(values))
        except SkipField:
            return SKIP
        except DRFValidationError as error:
            raise _validation_error(error.detail) from None

    def widget_attrs(self, widget) -> dict:
        attrs = super().widget_attrs(widget)
        max_length = getattr(self.drf, "max_length", None)
        if max_length and not widget.is_hidden:
            attrs["maxlength"] = str(max_length)
        return attrs

    def prepare_value(self, value):
        """A page shows a moment in the local time, as Django's own fields do."""
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value)
        return value

    def clean(self, value):
        """A page's value (a widget's): read as DRF reads form data."""
        from django.utils.datastructures import MultiValueDict

        data = MultiValueDict()
        if value is not None:
            data.setlist("value", list(value) if isinstance(value, list | tuple) else [value])
        try:
            result = self.read(data, "value")
        except ValidationError as error:
            messages = error.messages  # a list's items: flat, next to the page's field
            raise ValidationError(messages, code="invalid") from None
        if result is SKIP:  # not sent: empty, as Django's own fields give it
            from rest_framework.fields import CharField, ListField
            from rest_framework.relations import ManyRelatedField

            if isinstance(self.drf, CharField):
                return ""
            return [] if isinstance(self.drf, ListField | ManyRelatedField) else None
        return result
