"""Periods: a month (2026-07), a quarter (2026-Q3, or 2026-T3 in French), a year (2026), or any dates.

Pure functions (no database): parse the label a page or the API sends into a ``Period``, whose
``start`` and ``end`` are both included."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from miam.errors import DomainError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[QqTt]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str

    @property
    def months(self) -> list[dt.date]:
        """The first day of every month the period touches, in order."""
        out, day = [], self.start.replace(day=1)
        while day <= self.end:
            out.append(day)
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return out

    def as_dict(self) -> dict:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}


def _bad(message: str, field: str = "period") -> DomainError:
    return DomainError("invalid_period", _("La période est invalide."), fields={field: [message]})


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_parse(label: str) -> Period:
    """A month, a quarter or a year from its label, or ``DomainError``."""
    text = (label or "").strip()
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise _bad(_("Mois invalide : « %(value)s ».") % {"value": text})
        return Period(dt.date(year, month, 1), _month_end(year, month), f"{year}-{month:02d}")
    if match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
        first = 3 * (quarter - 1) + 1
        return Period(dt.date(year, first, 1), _month_end(year, first + 2), f"{year}-Q{quarter}")
    if match := _YEAR.match(text):
        year = int(match[1])
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), str(year))
    raise _bad(
        _("Période « %(value)s » non reconnue : écrivez 2026, 2026-T3 (trimestre) ou 2026-07 (mois).") % {"value": text}
    )


def period_between(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise DomainError(
            "invalid_period", _("La période est à l'envers."), fields={"start": [_("Après la date de fin.")]}
        )
    return Period(start, end, f"{start.isoformat()}/{end.isoformat()}")


def period_resolve(*, period: str | None, start: dt.date | None, end: dt.date | None, today: dt.date) -> Period:
    """What a door asked: a labelled period, or dates (a missing start: 1 January of the end's
    year; a missing end: today), or, with nothing, the current year to date."""
    if period:
        if start or end:
            raise _bad(_("Donnez une période ou des dates, pas les deux."))
        return period_parse(period)
    if start or end:
        end = end or today
        return period_between(start or dt.date(end.year, 1, 1), end)
    return period_between(dt.date(today.year, 1, 1), today)
