"""The declared inputs of the webhook use cases (the validation layer, ``miam/inputs.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy

from interop.targets import target_check
from miam import events
from miam.inputs import CodeListField, FieldErrors, FlagField, TextField, parse


class UrlField(TextField):
    def validate(self, value) -> None:
        super().validate(value)
        if value:
            target_check(value)


class SubscriptionInput(forms.Form):
    url = UrlField(max_length=500, label=gettext_lazy("adresse de réception"))
    events = CodeListField(
        choices=[],
        required=True,
        unknown=gettext_lazy("Événements inconnus : %(values)s."),
        unknown_code="unknown_event",
        label=gettext_lazy("événements"),
    )
    active = FlagField(required=False, label=gettext_lazy("active"))
    description = TextField(max_length=200, required=False, label=gettext_lazy("description"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(t.name, t.label) for t in events.types()]
        self.fields["events"].choices = choices
        self.fields["events"].widget.choices = choices


@dataclass(frozen=True)
class SubscriptionData:
    values: dict
    given: frozenset
    errors: FieldErrors

    def get(self, name, default=None):
        return self.values.get(name, default)


def subscription_data(values: Mapping, *, partial: bool = False) -> SubscriptionData:
    """What a page or the API received, as typed values and field errors (nothing raised)."""
    cleaned, errors, given = parse(SubscriptionInput, values, partial=partial, strict=False)
    return SubscriptionData(values=cleaned, given=given, errors=errors)
