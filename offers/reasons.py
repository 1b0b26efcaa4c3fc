"""Reasons rendered in the reader's language.

The engine (and the services) say *why* as plain data, ``{"code": ..., "params": {...}}``
(``offers.matching.reasons``); a match stores its list (``Match.reasons``). This module turns
them into text with gettext, at display: pages and e-mails in the active language, the API in
the request's (``Accept-Language``). Numbers, dates and weekdays follow the language too.

Adding a reason: give it a code where it is decided, register a renderer here with
``@renders("code")`` (a function of the params, returning the text), translate its strings.
``tests/offers/test_reasons.py`` fails while a code the engine may give has no renderer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language, gettext, ngettext, pgettext

from products.models import ProductCategory, Unit

logger = logging.getLogger(__name__)

Renderer = Callable[[Mapping], str]
RENDERERS: dict[str, Renderer] = {}
NEAR_MISS_RENDERERS: dict[str, Callable[[Mapping, str, str], str]] = {}


def renders(code: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of a reason code."""

    def register(function: Renderer) -> Renderer:
        RENDERERS[code] = function
        return function

    return register


def renders_near_miss(constraint: str):
    """Register how a group of near-misses blocked by `constraint` reads; the renderer gets
    the params, the group's offers (« 3 offres de fruits ») and the distances (« à 31–40 km »)."""

    def register(function):
        NEAR_MISS_RENDERERS[constraint] = function
        return function

    return register


# --- Formats --------------------------------------------------------------------------------


def number(value, decimals: int = 0) -> str:
    """A number in the active language (« 10,80 » in French, "10.80" in English)."""
    return number_format(Decimal(str(value)), decimal_pos=decimals, use_l10n=True, force_grouping=True)


def km(value) -> str:
    value = float(value)
    return gettext("%(km)s km") % {"km": number(value, 1 if value < 10 and not value.is_integer() else 0)}


def radius(value) -> str:
    value = float(value)
    return number(value, 0 if value.is_integer() else 1)


def day(value: str | dt.date) -> str:
    """« 15 mai » / "15 May"."""
    value = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return date_format(value, "MONTH_DAY_FORMAT")


def weekday_day(value: str | dt.date) -> str:
    """« jeudi 15 mai » / "Thursday 15 May"."""
    value = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{WEEKDAYS[value.weekday()]} {day(value)}"


def weekdays(days: Iterable[int]) -> str:
    return ", ".join(str(WEEKDAYS[int(d)]) for d in sorted(days))


def unit_label(unit: str) -> str:
    try:
        return str(Unit(unit).label)
    except ValueError:
        return unit


_NAMES: dict[tuple[str, int], str] = {}


def category_name(category_id) -> str:
    """A category's name in the active language (cached per process; names seldom change)."""
    language = "en" if (get_language() or "fr").startswith("en") else "fr"
    key = (language, int(category_id))
    if key not in _NAMES:
        row = ProductCategory.objects.filter(pk=category_id).values("name", "name_en").first()
        if row is None:
            return pgettext("unknown category", "produits")
        _NAMES[key] = (row["name_en"] or row["name"]) if language == "en" else row["name"]
    return _NAMES[key]


def category_names_cache_clear() -> None:
    _NAMES.clear()


# --- Rendering ------------------------------------------------------------------------------


def render(reason: Mapping) -> str:
    """One reason as text; an unknown code is logged and shown as nothing."""
    code = reason.get("code", "")
    renderer = RENDERERS.get(code)
    if renderer is None:
        logger.warning("no renderer for reason code %r", code)
        return ""
    try:
        return renderer(reason.get("params") or {})
    except (KeyError, TypeError, ValueError):
        logger.warning("reason %r could not be rendered", reason, exc_info=True)
        return ""


def reasons_text(reasons: Iterable[Mapping] | None, separator: str = " · ") -> str:
    """The reasons of a proposal as one line (« 12 km · la ferme livre jusqu'à 20 km · … »)."""
    return separator.join(text for text in (render(r) for r in reasons or ()) if text)


def reasons_rendered(reasons: Iterable[Mapping] | None) -> list[dict]:
    """Each reason with its text, for the API: ``{"code", "params", "text"}``."""
    return [{"code": r.get("code", ""), "params": r.get("params") or {}, "text": render(r)} for r in reasons or ()]


def as_dicts(reasons) -> list[dict]:
    """Engine `Reason` objects (or dicts) as the JSON a match stores."""
    return [r.as_dict() if hasattr(r, "as_dict") else dict(r) for r in reasons]


# --- A proposal's reasons -------------------------------------------------------------------


@renders("text")
def _text(p):
    return str(p.get("text", ""))


@renders("fairness_priority")
def _fairness(p):
    people = int(p["people"])
    return ngettext(
        "prioritaire : %(kg)s kg reçus ces %(days)s derniers jours pour %(people)s personne accueillie",
        "prioritaire : %(kg)s kg reçus ces %(days)s derniers jours pour %(people)s personnes accueillies",
        people,
    ) % {"kg": number(p["received_kg"]), "days": p["days"], "people": number(people)}


@renders("distance")
def _distance(p):
    return km(p["km"])


@renders("delivery_by_farm")
def _delivery(p):
    return gettext("la ferme livre jusqu'à %(radius)s km") % {"radius": radius(p["radius_km"])}


@renders("partner_carries")
def _partner(p):
    """Matches proposed before the partner mode became the territory's pooled rounds."""
    return gettext("transport par un partenaire logistique")


@renders("pooled_round")
def _pooled_round(p):
    """Written by ``logistics`` when a round carries the match (its weekday, 0 = Monday)."""
    return gettext("livré par la tournée du %(weekday)s") % {"weekday": WEEKDAYS[int(p["weekday"])]}


@renders("pickup_by_structure")
def _pickup(p):
    return gettext("enlèvement par la structure (rayon %(radius)s km)") % {"radius": radius(p["radius_km"])}


@renders("gleaning")
def _gleaning(p):
    n = int(p["volunteers"])
    return ngettext("glanage par %(n)s bénévole", "glanage par %(n)s bénévoles", n) % {"n": n}


@renders("fridge_available")
def _fridge(p):
    return gettext("frigo disponible")


@renders("freezer_available")
def _freezer(p):
    return gettext("congélateur disponible")


@renders("donation")
def _donation(p):
    return gettext("don")


@renders("price")
def _price(p):
    text = gettext("%(price)s €/%(unit)s") % {"price": number(p["price"], 2), "unit": unit_label(p["unit"])}
    change = int(p.get("change_percent") or 0)
    if change:
        text += f" ({'−' if change < 0 else '+'}{abs(change)} %)"
    return text


@renders("covers_need")
def _covers(p):
    return gettext("couvre %(percent)s %% du besoin") % {"percent": number(p["percent"])}


@renders("use_by")
def _use_by(p):
    return gettext("à consommer avant le %(date)s") % {"date": day(p["date"])}


@renders("labels")
def _labels(p):
    labels = list(p["labels"])
    return ngettext("label %(labels)s", "labels %(labels)s", len(labels)) % {"labels": ", ".join(labels)}


@renders("delivery_day")
def _delivery_day(p):
    when = weekday_day(p["date"])
    if p.get("hours"):
        return gettext("livraison proposée le %(day)s (distribution %(hours)s)") % {"day": when, "hours": p["hours"]}
    return gettext("livraison proposée le %(day)s, jour de distribution") % {"day": when}


@renders("resized")
def _resized(p):
    return gettext("quantité ramenée à ce qui reste de l'offre (%(quantity)s %(unit)s)") % {
        "quantity": number(p["quantity"], 3).rstrip("0").rstrip(",."),
        "unit": unit_label(p["unit"]),
    }


@renders("requested_by_structure")
def _requested(p):
    return gettext("demandée par la structure")


# --- Why a pair is not feasible -------------------------------------------------------------


@renders("unit_mismatch")
def _unit_mismatch(p):
    return gettext("unités sans conversion sûre (%(offer)s / %(need)s)") % {
        "offer": unit_label(p["offer_unit"]),
        "need": unit_label(p["need_unit"]),
    }


@renders("category_mismatch")
def _category(p):
    return gettext("la catégorie du produit ne fait pas partie des besoins")


@renders("no_fridge")
def _no_fridge(p):
    return gettext("produit frais et la structure n'a pas de frigo")


@renders("no_freezer")
def _no_freezer(p):
    return gettext("produit surgelé et la structure n'a pas de congélateur")


@renders("windows_disjoint")
def _disjoint(p):
    return gettext("les périodes de l'offre et du besoin ne se recouvrent pas")


@renders("window_past")
def _past(p):
    return gettext("la période commune est déjà passée")


@renders("expired")
def _expired(p):
    return gettext("le produit ne sera plus bon au premier jour d'enlèvement possible")


@renders("no_distribution_day")
def _no_day(p):
    return gettext("aucun jour de distribution de la structure (%(days)s) dans la période commune") % {
        "days": weekdays(p.get("days", ()))
    }


def _limit(limit: Mapping) -> str:
    by, km_ = limit.get("by"), limit.get("km")
    if by == "delivery":
        return gettext("la ferme livre jusqu'à %(radius)s km") % {"radius": radius(km_)}
    if by == "partner":
        if "days" not in limit:  # a reason written before pooled rounds
            return gettext("le partenaire logistique va jusqu'à %(radius)s km") % {"radius": radius(km_)}
        if not limit["days"]:
            if limit.get("refrigerated") and limit.get("dry_km"):
                return gettext(
                    "aucune tournée réfrigérée sur le territoire, et le trajet est trop long pour une tournée "
                    "sans froid (au plus %(radius)s km hors du froid)"
                ) % {"radius": radius(limit["dry_km"])}
            if limit.get("refrigerated"):
                return gettext("aucune tournée réfrigérée sur le territoire")
            return gettext("aucune tournée sur le territoire")
        return gettext("tournées du territoire : %(days)s ; aucun de ces jours ne convient") % {
            "days": weekdays(limit["days"])
        }
    if by == "pickup":
        if km_ is None:
            return gettext("la structure ne peut pas venir chercher")
        return gettext("la structure vient jusqu'à %(radius)s km") % {"radius": radius(km_)}
    if km_ is None:
        return gettext("pas de bénévoles pour le glanage")
    return gettext("les glaneurs vont jusqu'à %(radius)s km") % {"radius": radius(km_)}


@renders("out_of_reach")
def _out_of_reach(p):
    limits = [_limit(x) for x in p.get("limits", ())] or [gettext("aucune logistique indiquée")]
    return f"{km(p['km'])} ; " + " ; ".join(limits)


@renders("purchase_not_accepted")
def _donations_only(p):
    return gettext("la structure n'accepte que les dons")


@renders("price_missing")
def _price_missing(p):
    return gettext("vente sans prix indiqué")


@renders("price_too_high")
def _price_too_high(p):
    return gettext("%(price)s €/%(unit)s au-dessus du maximum de %(max)s €/%(need_unit)s") % {
        "price": number(p["price"], 2),
        "unit": unit_label(p["unit"]),
        "max": number(p["max_price"], 2),
        "need_unit": unit_label(p["need_unit"]),
    }


@renders("quantity_below_minimum")
def _below_minimum(p):
    return gettext("%(possible)s %(unit)s possibles, minimum %(minimum)s") % {
        "possible": number(p["possible"], 1),
        "unit": unit_label(p["unit"]),
        "minimum": number(p["minimum"], 1),
    }


@renders("cold_storage_too_small")
def _cold(p):
    return gettext("capacité froid de la structure insuffisante (%(kg)s kg)") % {"kg": number(p["capacity_kg"], 1)}


@renders("budget_exhausted")
def _budget(p):
    return gettext("budget d'achat restant insuffisant (%(eur)s €)") % {"eur": number(p["budget_eur"], 2)}


@renders("excluded_pair")
def _excluded(p):
    return gettext("déjà proposé puis refusé ou traité")


# --- Why a need has no proposal -------------------------------------------------------------


def _offers(p) -> str:
    """« 3 offres de fruits »."""
    count = int(p["count"])
    return ngettext("%(count)s offre de %(family)s", "%(count)s offres de %(family)s", count) % {
        "count": count,
        "family": category_name(p["category_id"]).lower(),
    }


def _distances(p) -> str:
    low, high = p["min_km"], p["max_km"]
    if round(low) == round(high):
        return km(round(low))
    return gettext("%(low)s–%(high)s km") % {"low": number(low), "high": number(high)}


@renders("near_miss")
def _near_miss(p):
    renderer = NEAR_MISS_RENDERERS.get(p.get("constraint"))
    if renderer is None:
        return gettext("%(offers)s à %(km)s, exclue(s) par une condition") % {"offers": _offers(p), "km": _distances(p)}
    return renderer(p, _offers(p), _distances(p))


@renders_near_miss("out_of_reach")
def _nm_reach(p, offers, at):
    if p.get("radius_km") is not None:
        return gettext("%(offers)s à %(km)s, au-delà de votre rayon de %(radius)s km") % {
            "offers": offers,
            "km": at,
            "radius": radius(p["radius_km"]),
        }
    return gettext("%(offers)s à %(km)s, plus loin que les fermes ne livrent (vous ne venez pas chercher)") % {
        "offers": offers,
        "km": at,
    }


@renders_near_miss("no_fridge")
def _nm_fridge(p, offers, at):
    return gettext("%(offers)s réfrigérée(s) à %(km)s, vous n'avez pas de frigo") % {"offers": offers, "km": at}


@renders_near_miss("no_freezer")
def _nm_freezer(p, offers, at):
    return gettext("%(offers)s surgelée(s) à %(km)s, vous n'avez pas de congélateur") % {"offers": offers, "km": at}


@renders_near_miss("cold_storage_too_small")
def _nm_cold(p, offers, at):
    return gettext("%(offers)s à %(km)s, au-delà de votre capacité de froid") % {"offers": offers, "km": at}


@renders_near_miss("price_too_high")
def _nm_price(p, offers, at):
    return gettext("%(offers)s à %(km)s, au-dessus de votre prix maximum de %(max)s €/%(unit)s") % {
        "offers": offers,
        "km": at,
        "max": number(p["max_price"], 2),
        "unit": unit_label(p["unit"]),
    }


@renders_near_miss("purchase_not_accepted")
def _nm_donations(p, offers, at):
    return gettext("%(offers)s en vente à %(km)s, vous n'acceptez que les dons") % {"offers": offers, "km": at}


@renders_near_miss("price_missing")
def _nm_no_price(p, offers, at):
    return gettext("%(offers)s en vente sans prix indiqué à %(km)s") % {"offers": offers, "km": at}


@renders_near_miss("budget_exhausted")
def _nm_budget(p, offers, at):
    return gettext("%(offers)s en vente à %(km)s, votre budget d'achat restant ne suffit pas") % {
        "offers": offers,
        "km": at,
    }


@renders_near_miss("quantity_below_minimum")
def _nm_minimum(p, offers, at):
    return gettext("%(offers)s à %(km)s, dont le minimum par enlèvement dépasse votre besoin") % {
        "offers": offers,
        "km": at,
    }


@renders_near_miss("windows_disjoint")
@renders_near_miss("window_past")
def _nm_dates(p, offers, at):
    return gettext("%(offers)s à %(km)s, disponible(s) à d'autres dates") % {"offers": offers, "km": at}


@renders_near_miss("expired")
def _nm_expired(p, offers, at):
    return gettext("%(offers)s à %(km)s, qui ne sera plus bonne le premier jour possible") % {
        "offers": offers,
        "km": at,
    }


@renders_near_miss("no_distribution_day")
def _nm_day(p, offers, at):
    return gettext("%(offers)s à %(km)s, disponible(s) seulement en dehors de vos jours de distribution (%(days)s)") % {
        "offers": offers,
        "km": at,
        "days": weekdays(p.get("days", ())),
    }


@renders_near_miss("unit_mismatch")
def _nm_units(p, offers, at):
    return gettext("%(offers)s à %(km)s, comptée(s) en %(units)s, sans conversion sûre vers vos %(need_unit)s") % {
        "offers": offers,
        "km": at,
        "units": ", ".join(unit_label(u) for u in p.get("units", ())),
        "need_unit": unit_label(p["need_unit"]),
    }


@renders("allocated_elsewhere")
def _elsewhere(p):
    count = int(p["count"])
    return ngettext(
        "%(count)s offre possible, attribuée à des structures moins servies ou mieux placées",
        "%(count)s offres possibles, attribuées à des structures moins servies ou mieux placées",
        count,
    ) % {"count": count}


@renders("no_offer")
def _no_offer(p):
    return gettext("aucune offre de ces catégories n'est publiée en ce moment sur le territoire")
