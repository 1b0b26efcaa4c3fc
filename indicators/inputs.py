"""The input of the indicators' reads, shared by the page, the API and the report."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils import timezone

from indicators.periods import Period, period_resolve
from miam.inputs import CountField, DayField, TextField, parse


class IndicatorsInput(forms.Form):
    territory = CountField(required=False)
    period = TextField(max_length=30, required=False)
    start = DayField(required=False)
    end = DayField(required=False)


def indicators_input(values: Mapping) -> tuple[int | None, Period]:
    """(territory id or None, period) from a query string, or a ``DomainError`` with every error."""
    cleaned, errors, _given = parse(IndicatorsInput, values)
    errors.raise_if_any()
    period = period_resolve(
        period=cleaned.get("period") or None,
        start=cleaned.get("start"),
        end=cleaned.get("end"),
        today=timezone.localdate(),
    )
    return cleaned.get("territory"), period
