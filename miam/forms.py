"""Form fields every page shares.

``DecimalCommaField`` reads a number the way people type it in French (« 1,2 », « 1 234,5 ») or
in English (1.2), shows it back in the person's format without trailing zeros (« 25 », not
« 25.000 »), and refuses what could be read two ways instead of guessing: « 1,2 » never becomes
12 as a browser's number field made it, and « 1.234 » on a French page (a thousands point or a
decimal point?) gets a clear question. Values that already are numbers (the API's JSON) pass as
they are.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal

from django import forms
from django.utils import formats
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from miam.inputs import NumberField

AMBIGUOUS_MESSAGE = _(
    "« %(value)s » peut se lire de deux façons : écrivez le nombre sans séparateur de milliers, "
    "avec une virgule pour les décimales (par exemple 1234,5)."
)
GROUPING_SPACES = re.compile(r"[\s\u00a0\u202f']")
NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


class DecimalInput(forms.TextInput):
    """A text input with the phone's decimal keypad: a browser's number input rejects or
    silently rewrites « 1,2 » depending on its own locale, so the server reads the text."""

    input_type = "text"

    def __init__(self, attrs=None):
        attrs = {k: v for k, v in (attrs or {}).items() if k not in ("step", "min", "max")}
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **attrs})


def parse_decimal_text(text: str, *, language: str | None = None) -> str:
    """The number in ``text`` written with a decimal point, or ValueError with a reason code."""
    text = GROUPING_SPACES.sub("", text.strip())
    if not text:
        return ""
    if not NUMBER.fullmatch(text):
        if "," in text and "." in text:
            raise ValueError("ambiguous")
        raise ValueError("invalid")
    separator = "," if "," in text else "." if "." in text else ""
    if separator:
        whole, _sep, decimals = text.partition(separator)
        language = (language or get_language() or "fr").lower()
        thousands = "." if language.startswith("fr") else ","
        # « 1.234 » on a French page, "1,234" on an English one: a thousands separator or a
        # decimal one? Ask rather than guess.
        if separator == thousands and len(decimals) == 3 and whole.lstrip("+-") not in ("", "0"):
            raise ValueError("ambiguous")
    return text.replace(",", ".")


class DecimalCommaField(forms.DecimalField):
    widget = DecimalInput
    default_error_messages = {"ambiguous": AMBIGUOUS_MESSAGE}

    def __init__(self, *args, **kwargs):
        widget = kwargs.get("widget")
        if widget is None or isinstance(widget, forms.NumberInput) or widget is forms.NumberInput:
            attrs = getattr(widget, "attrs", None)
            kwargs["widget"] = DecimalInput(attrs)
        kwargs.setdefault("localize", True)
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        # No "step"/"min"/"max": they belong to number inputs (the server checks the bounds).
        return forms.Field.widget_attrs(self, widget)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return super().to_python(str(value))
        text = str(value)
        try:
            normalised = parse_decimal_text(text)
        except ValueError as error:
            if str(error) == "ambiguous":
                raise forms.ValidationError(
                    self.error_messages["ambiguous"], code="ambiguous", params={"value": text.strip()}
                ) from None
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not normalised:
            return None
        return Decimal(normalised)

    def prepare_value(self, value):
        if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
            number = Decimal(str(value)).normalize()
            if number.as_tuple().exponent > 0:
                number = number.quantize(Decimal(1))
            return formats.number_format(number, use_l10n=True) if self.localize else format(number, "f")
        return value


def people_decimal(text: str, *, places: int) -> Decimal | None:
    """A number typed on a page (``miam.inputs.NumberField`` with ``typed_by_people``): read
    the French or the English way, refused when it reads two ways or has more decimals than
    the field keeps (rounding « 1,234 » € to 1,23 € would be a silent guess too)."""
    try:
        normalised = parse_decimal_text(text)
    except ValueError as error:
        if str(error) == "ambiguous":
            raise forms.ValidationError(AMBIGUOUS_MESSAGE, code="ambiguous", params={"value": text.strip()}) from None
        raise forms.ValidationError(_("Nombre invalide."), code="invalid") from None
    if not normalised:
        return None
    number = Decimal(normalised)
    if -number.as_tuple().exponent > places and number != number.quantize(Decimal(1).scaleb(-places)):
        raise forms.ValidationError(
            ngettext(
                "Au plus %(places)d chiffre après la virgule.", "Au plus %(places)d chiffres après la virgule.", places
            )
            % {"places": places},
            code="too_precise",
        )
    return number


def people_decimal_text(value):
    """A decimal shown back on a page: « 25 », « 10,8 » in French (no trailing zeros)."""
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        number = Decimal(str(value)).normalize()
        if number.as_tuple().exponent > 0:
            number = number.quantize(Decimal(1))
        return formats.number_format(number, use_l10n=True)
    return value


def typed_by_people(field):
    """Dress a ``miam.inputs.NumberField`` for a page: a text input with the decimal keypad,
    text read as people type it (the API keeps reading JSON numbers strictly)."""
    field.typed_by_people = True
    field.widget = DecimalInput(getattr(field.widget, "attrs", None))
    return field


class Dressed:
    """A use case's input (``miam.inputs``) dressed for a page: the labels, help texts, widgets,
    choices and initial values of its fields, declared as a ``ModelForm``'s ``Meta`` declares
    them for model fields. The fields themselves, and so the parsing, stay the input's.

    ``widgets``: a widget (copied), given the field's choices if it has some; ``choices``: the
    choices a page offers instead of the input's; ``shown_required``: fields marked « * »
    though the input does not require them (the service does, for some choices);
    ``people_numbers``: every ``NumberField`` read the way people type numbers."""

    labels: dict = {}
    help_texts: dict = {}
    widgets: dict = {}
    choices: dict = {}
    initials: dict = {}
    shown_required: tuple[str, ...] = ()
    people_numbers: bool = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in self.labels:
                field.label = self.labels[name]
            if name in self.help_texts:
                field.help_text = self.help_texts[name]
            if name in self.initials:
                field.initial = self.initials[name]
            if name in self.widgets:
                widget = copy.deepcopy(self.widgets[name])
                if hasattr(field, "choices"):
                    widget.choices = field.choices
                widget.is_required = field.required
                widget.attrs.update(field.widget_attrs(widget))
                field.widget = widget
            if name in self.choices:
                field.choices = self.choices[name]
                field.widget.choices = field.choices
            if self.people_numbers and isinstance(field, NumberField):
                typed_by_people(field)
        for name in self.shown_required:
            self.fields[name].shown_required = True
