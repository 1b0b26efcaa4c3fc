"""Date inputs (``type="date"``) carry their value as ISO ``YYYY-MM-DD``: a browser drops a
value written the French way (``05/03/2027``), and the field comes up empty when edited."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django import forms
from django.utils import translation

from initiatives.forms import StepForm

FORM_MODULES = [
    "actors.forms",
    "offers.forms",
    "meetings.forms",
    "initiatives.forms",
    "agreements.forms",
    "logistics.forms",
]


def test_a_step_due_date_is_rendered_in_iso_whatever_the_language():
    for language in ("fr", "en"):
        with translation.override(language):
            html = str(StepForm(initial={"title": "Étape", "due_date": dt.date(2027, 3, 5)})["due_date"])
        assert 'type="date"' in html and 'value="2027-03-05"' in html


@pytest.mark.parametrize("module", FORM_MODULES)
def test_every_declared_date_widget_has_an_iso_format(module):
    forms_module = importlib.import_module(module)
    for name, form in vars(forms_module).items():
        if not (isinstance(form, type) and issubclass(form, forms.BaseForm)):
            continue
        widgets = (
            list(getattr(form, "widgets", {}).values()) if isinstance(getattr(form, "widgets", None), dict) else []
        )
        widgets += [field.widget for field in form.base_fields.values()]
        widgets += list(getattr(getattr(form, "Meta", None), "widgets", {}).values())
        for widget in widgets:
            kind = widget.attrs.get("type") or getattr(widget, "input_type", "")
            if isinstance(widget, forms.DateInput) and kind in ("date", "month"):
                assert widget.format, f"{module}.{name}: a date input without format= renders a French date"
