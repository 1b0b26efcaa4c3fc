"""How numbers, quantities, dates and statuses read on pages, e-mails and exports.

Django's localization does the heavy lifting (decimal comma, month names, the person's
language); this module adds what it leaves to us: a quantity's unit agreeing with its number
(« 1 litre », « 104 litres »), « 1er décembre » in French, and statuses that agree with the
gender of what they describe (an offer is « publiée », a need « publié »).

The filters are template builtins (see TEMPLATES in settings): no ``{% load %}`` needed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.translation import get_language, ngettext, pgettext

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def number_text(value, *, places: int | None = None) -> str:
    """« 1 234,5 » in French, "1,234.5" in English; no trailing zeros unless ``places`` is given."""
    number = _decimal(value)
    if number is None:
        return ""
    if places is None:
        number = number.normalize()
        if number.as_tuple().exponent > 0:  # 1E+2 → 100
            number = number.quantize(Decimal(1))
    else:
        number = number.quantize(Decimal(1).scaleb(-places))
    return formats.number_format(
        number, decimal_pos=None if places is None else places, use_l10n=True, force_grouping=True
    )


def _plural_count(number: Decimal) -> int:
    """The count ngettext should see: French puts a unit in the plural from 2 on (« 1,5 litre »),
    English from anything but exactly 1 ("1.5 litres")."""
    if number == number.to_integral_value():
        return int(abs(number))
    if (get_language() or "fr").startswith("fr"):
        return int(abs(number))
    return 2


def quantity_text(value, unit: str) -> str:
    """« 104 litres », « 1 douzaine », « 2,5 kg », with the number in the person's format."""
    number = _decimal(value)
    if number is None:
        return ""
    q = number_text(number)
    n = _plural_count(number)
    if unit == "kg":
        return ngettext("%(q)s kg", "%(q)s kg", n) % {"q": q}
    if unit in ("l", "litre"):
        return ngettext("%(q)s litre", "%(q)s litres", n) % {"q": q}
    if unit == "piece":
        return ngettext("%(q)s pièce", "%(q)s pièces", n) % {"q": q}
    if unit == "dozen":
        return ngettext("%(q)s douzaine", "%(q)s douzaines", n) % {"q": q}
    if unit == "crate":
        return ngettext("%(q)s cagette", "%(q)s cagettes", n) % {"q": q}
    return f"{q} {unit}"


def unit_text(unit: str, value=2) -> str:
    """The unit alone, agreeing with ``value`` (« € / litre », « 3 douzaines »)."""
    number = _decimal(value) or Decimal(1)
    return quantity_text(number, unit).replace(number_text(number), "", 1).strip()


def money_text(value) -> str:
    """« 1 234,50 € »."""
    number = _decimal(value)
    if number is None:
        return ""
    return pgettext("montant", "%(amount)s €") % {"amount": number_text(number, places=2)}


def distance_text(value) -> str:
    """One rounding for every distance shown: whole kilometres from 10 km, one decimal below."""
    number = _decimal(value)
    if number is None:
        return ""
    places = 0 if abs(number) >= 10 else 1
    return pgettext("distance", "%(km)s km") % {"km": number_text(number.quantize(Decimal(1).scaleb(-places)))}


def _as_date(value):
    if isinstance(value, dt.datetime):
        from django.utils import timezone

        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def long_date(value) -> str:
    """« 1er décembre 2026 », « 2 décembre 2026 »; "1 December 2026" in English (British, as
    ``miam/formats/en``)."""
    value = _as_date(value)
    if not value:
        return ""
    if (get_language() or "fr").startswith("fr"):
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {formats.date_format(value, 'F Y')}"
    return formats.date_format(value, "j F Y")


def day_month(value) -> str:
    """« 1er décembre », « 11 décembre »; "11 December" in English."""
    value = _as_date(value)
    if not value:
        return ""
    if (get_language() or "fr").startswith("fr"):
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {formats.date_format(value, 'F')}"
    return formats.date_format(value, "j F")


def weekday_date(value) -> str:
    """« mardi 1er décembre »; "Tuesday 1 December" in English."""
    value = _as_date(value)
    if not value:
        return ""
    return f"{formats.date_format(value, 'l')} {day_month(value)}"


# Listing statuses agree with the listing: an offer (feminine) or a need (masculine).
def listing_status_text(status: str, *, kind: str) -> str:
    if kind == "need":
        labels = {
            "draft": pgettext("besoin", "brouillon"),
            "published": pgettext("besoin", "publié"),
            "partly_matched": pgettext("besoin", "en partie pourvu"),
            "fully_matched": pgettext("besoin", "entièrement pourvu"),
            "expired": pgettext("besoin", "expiré"),
            "withdrawn": pgettext("besoin", "retiré"),
        }
    else:
        labels = {
            "draft": pgettext("offre", "brouillon"),
            "published": pgettext("offre", "publiée"),
            "partly_matched": pgettext("offre", "en partie pourvue"),
            "fully_matched": pgettext("offre", "entièrement pourvue"),
            "expired": pgettext("offre", "expirée"),
            "withdrawn": pgettext("offre", "retirée"),
        }
    return str(labels.get(status, status))


# --- Template filters ------------------------------------------------------------------------


@register.filter(name="quantity")
def quantity_filter(value, unit):
    return quantity_text(value, unit)


@register.filter(name="unit_for")
def unit_for_filter(unit, value=2):
    return unit_text(unit, value)


@register.filter(name="number")
def number_filter(value, places=None):
    return number_text(value, places=None if places in (None, "") else int(places))


@register.filter(name="money")
def money_filter(value):
    return money_text(value)


@register.filter(name="km")
def km_filter(value):
    return distance_text(value)


@register.filter(name="long_date")
def long_date_filter(value):
    return long_date(value)


@register.filter(name="day_month")
def day_month_filter(value):
    return day_month(value)


@register.filter(name="weekday_date")
def weekday_date_filter(value):
    return weekday_date(value)


@register.filter(name="need_status")
def need_status_filter(status):
    return listing_status_text(status, kind="need")


@register.filter(name="offer_status")
def offer_status_filter(status):
    return listing_status_text(status, kind="offer")


def weekday_long_date(value) -> str:
    """« mardi 1er décembre 2026 »; "Tuesday 1 December 2026" in English."""
    value = _as_date(value)
    if not value:
        return ""
    return f"{formats.date_format(value, 'l')} {long_date(value)}"


@register.filter(name="weekday_long_date")
def weekday_long_date_filter(value):
    return weekday_long_date(value)


def name_with_commune(name: str, commune: str) -> str:
    """« Ferme du Pré (Cluny) », but « Épicerie solidaire de Cluny » alone: no commune twice."""
    from miam.text import normalize

    if not commune or normalize(commune) in normalize(name):
        return name
    return f"{name} ({commune})"


@register.filter(name="with_commune")
def with_commune_filter(organization):
    """An organization's name followed by its commune, unless the name already says it."""
    commune = getattr(getattr(organization, "commune", None), "name", "")
    return name_with_commune(organization.name, commune)
