"""The API's request schema (DRF serializers, for the OpenAPI document) and the one validation
layer (``offers.inputs``) describe the same fields: a field added, a choice or a length changed
in one and not the other fails here."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from miam.inputs import ChoiceInput, CodeListField, NumberField, TextField
from offers import inputs
from offers.api.matches import (
    CancelSerializer,
    DeclineSerializer,
    DeliverySerializer,
    ProposeSerializer,
    ScheduleSerializer,
)
from offers.api.needs import NeedUpdateSerializer, NeedWriteSerializer
from offers.api.offers import OfferUpdateSerializer, OfferWriteSerializer
from offers.api.runs import MatchingRunRequestSerializer

PAIRS = [
    (OfferWriteSerializer, [inputs.OfferInput, inputs.ListingPost]),
    (OfferUpdateSerializer, [inputs.OfferInput]),
    (NeedWriteSerializer, [inputs.NeedInput, inputs.ListingPost]),
    (NeedUpdateSerializer, [inputs.NeedInput]),
    (DeclineSerializer, [inputs.DeclineInput]),
    (CancelSerializer, [inputs.CancelInput]),
    (ScheduleSerializer, [inputs.ScheduleInput]),
    (DeliverySerializer, [inputs.DeliveryInput]),
    (ProposeSerializer, [inputs.ProposeInput]),
    (MatchingRunRequestSerializer, [inputs.MatchingRunInput]),
]
#: Documented as required, checked by the service rather than by the input (its own message).
REQUIRED_BY_THE_SERVICE = {"reason"}


def _keys(choices) -> set[str]:
    return {str(key) for key, _label in choices}


@pytest.mark.parametrize(("serializer_class", "input_classes"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_the_schema_and_the_input_describe_the_same_fields(serializer_class, input_classes):
    documented = serializer_class().fields
    validated = {name: field for form in input_classes for name, field in form.base_fields.items()}
    assert set(documented) == set(validated)
    for name, doc in documented.items():
        field = validated[name]
        if name not in REQUIRED_BY_THE_SERVICE and serializer_class not in (
            OfferUpdateSerializer,
            NeedUpdateSerializer,
        ):
            assert doc.required == field.required, name
        if isinstance(field, ChoiceInput):
            assert isinstance(doc, serializers.ChoiceField), name
            assert _keys(doc.choices.items()) <= _keys(field.choices), name
        if isinstance(field, CodeListField):
            assert isinstance(doc, serializers.ListField) and isinstance(doc.child, serializers.ChoiceField), name
            assert _keys(doc.child.choices.items()) == _keys(field.choices), name
        if isinstance(field, TextField):
            assert isinstance(doc, serializers.CharField), name
            assert doc.max_length == field.max_length_allowed, name
        if isinstance(field, NumberField):
            assert isinstance(doc, serializers.DecimalField), name
            assert (doc.max_digits, doc.decimal_places) == (field.max_digits, field.places), name
