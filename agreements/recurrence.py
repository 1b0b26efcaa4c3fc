"""Recurrences as RRULEs (RFC 5545, through python-dateutil), with French presets.

A person writes « chaque mardi », « un jeudi sur deux », « le premier lundi du mois » or picks a
preset; a partner app may send the RRULE itself (``FREQ=WEEKLY;BYDAY=TU``). Either way the
agreement stores the RRULE without its DTSTART (the agreement's start date is it), and
``dates`` expands it over the period. dateutil does the calendar arithmetic; only the French
phrases are ours.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from dateutil.rrule import rrulestr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ORDINALS = {"premier": 1, "1er": 1, "deuxieme": 2, "second": 2, "troisieme": 3, "quatrieme": 4, "dernier": -1}
#: The most frequent cases, offered as a list on the page (code → label).
PRESETS = {
    **{
        f"weekly-{code}": gettext_lazy("chaque %(day)s") % {"day": day}
        for code, day in zip(CODES[:6], DAYS[:6], strict=True)
    },
    **{
        f"biweekly-{code}": gettext_lazy("un %(day)s sur deux") % {"day": day}
        for code, day in zip(CODES[:6], DAYS[:6], strict=True)
    },
}
MAX_LENGTH = 200
#: At most this many deliveries per structure (ten years of weekly deliveries).
MAX_DATES = 520


class RecurrenceError(ValueError):
    pass


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text.replace("«", "").replace("»", "")).strip()


ENGLISH_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _day(word: str) -> str | None:
    """A weekday's RRULE code from its French or English name (« mardis », "tuesday")."""
    word = word.rstrip("s") if word not in ENGLISH_DAYS else word
    if word in DAYS:
        return CODES[DAYS.index(word)]
    if word in ENGLISH_DAYS:
        return CODES[ENGLISH_DAYS.index(word)]
    return None


def parse(text: str) -> tuple[str, str]:
    """(RRULE, French label) from a preset code, a French phrase or an RRULE; else
    ``RecurrenceError`` with a message for the person."""
    raw = (text or "").strip()
    if not raw or len(raw) > MAX_LENGTH:
        raise RecurrenceError(_("Indiquez une récurrence, par exemple « chaque mardi »."))
    if raw in PRESETS:
        kind, code = raw.split("-")
        rule = f"FREQ=WEEKLY;BYDAY={code}" if kind == "weekly" else f"FREQ=WEEKLY;INTERVAL=2;BYDAY={code}"
        return rule, str(PRESETS[raw])
    upper = raw.upper().removeprefix("RRULE:")
    if upper.startswith("FREQ="):
        if "DTSTART" in upper or "\n" in upper:
            raise RecurrenceError(
                _("La règle ne doit pas contenir DTSTART : la date de début de la convention en tient lieu.")
            )
        freq = re.search(r"FREQ=(\w+)", upper)
        if not freq or freq.group(1) not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
            raise RecurrenceError(_("Fréquence non prise en charge : au plus une livraison par jour."))
        try:
            rrulestr(upper, dtstart=dt.datetime(2000, 1, 1))
        except (ValueError, TypeError):
            raise RecurrenceError(_("Règle de récurrence (RRULE) invalide : « %(value)s ».") % {"value": raw})
        return upper, raw
    plain = _plain(raw)
    match = re.fullmatch(r"(?:chaque|tous les|toutes les) (\w+)", plain)
    if match and _day(match.group(1)):
        return f"FREQ=WEEKLY;BYDAY={_day(match.group(1))}", raw
    match = re.fullmatch(r"every (other )?(\w+)", plain)
    if match and _day(match.group(2)):
        code = _day(match.group(2))
        return (f"FREQ=WEEKLY;INTERVAL=2;BYDAY={code}" if match.group(1) else f"FREQ=WEEKLY;BYDAY={code}"), raw
    if plain in ("chaque jour", "tous les jours", "every day"):
        return "FREQ=DAILY", raw
    match = re.fullmatch(r"(?:un|une) (\w+) sur (deux|2|trois|3|quatre|4)", plain)
    if match and _day(match.group(1)):
        code = _day(match.group(1))
        interval = {"deux": 2, "2": 2, "trois": 3, "3": 3, "quatre": 4, "4": 4}[match.group(2)]
        return f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={code}", raw
    match = re.fullmatch(r"(?:le |chaque )?(\w+) (\w+) (?:du|de chaque) mois", plain)
    if match and match.group(1) in ORDINALS and _day(match.group(2)):
        return f"FREQ=MONTHLY;BYDAY={ORDINALS[match.group(1)]:+d}{_day(match.group(2))}", raw
    raise RecurrenceError(
        _("Récurrence non reconnue : « %(value)s ». Écrivez par exemple « chaque mardi » ou « un jeudi sur deux ».")
        % {"value": raw}
    )


def dates(rule: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """The dates of the rule from ``start`` (its DTSTART) to ``end``, both included."""
    begin = dt.datetime.combine(start, dt.time())
    recurrence = rrulestr(rule, dtstart=begin)
    out = []
    for day in recurrence.xafter(begin, inc=True):
        if day.date() > end or len(out) >= MAX_DATES:
            break
        out.append(day.date())
    return out
