"""The meetings' and action plans' request schemas (their DRF serializers, for the OpenAPI
document) and their inputs (``meetings.inputs``, ``initiatives.inputs``) describe the same
fields, parsed the same way: a field added, a choice, a length, a limit or a lookup changed in
one and not the other fails here."""

from __future__ import annotations

import pytest
from rest_framework import relations, serializers

from initiatives import api as initiatives_api
from meetings import api as meetings_api
from meetings import inputs as meetings_inputs
from miam.inputs import SerializerField

SERIALIZERS = [
    meetings_api.MeetingSerializer,
    meetings_api.RegisterSerializer,
    meetings_api.RegistrationUpdateSerializer,
    meetings_api.AttendanceSerializer,
    meetings_api.MinutesSerializer,
    meetings_api.DecisionSerializer,
    meetings_api.ActionSerializer,
    meetings_api.ActionNoteCreateSerializer,
    meetings_api.DiagnosticInterviewSerializer,
    initiatives_api.ActionPlanSerializer,
    initiatives_api.PlannedActionSerializer,
    initiatives_api._SelectSerializer,
    initiatives_api.ActionStepSerializer,
    initiatives_api.ActionIndicatorSerializer,
    initiatives_api.IndicatorValueSerializer,
]
#: Inputs that a door runs itself (``invite_input``), with the serializer that documents them.
DOORS = [(meetings_api.InviteSerializer, meetings_inputs.InviteInput)]

KEYS = (
    "required",
    "allow_null",
    "allow_blank",
    "allow_empty",
    "max_length",
    "min_value",
    "max_value",
    "max_digits",
    "decimal_places",
    "slug_field",
    "default",
)


def _shape(field) -> tuple:
    """What parses: the class, its limits, its choices, what it looks up, its items."""
    if isinstance(field, relations.ManyRelatedField):
        return ("many", _shape(field.child_relation), field.required)
    shape = [type(field).__name__, *(getattr(field, key, None) for key in KEYS)]
    if isinstance(field, serializers.ChoiceField):
        shape.append(tuple(field.choices))
    if isinstance(field, relations.RelatedField):
        shape.append(str(field.get_queryset().query))
    if isinstance(field, serializers.ListField):
        shape.append(_shape(field.child))
    return tuple(shape)


def _pairs():
    for serializer_class in SERIALIZERS:
        yield serializer_class, serializer_class.input_class, False
        if serializer_class.update_input_class is not None:
            yield serializer_class, serializer_class.update_input_class, True
    for serializer_class, input_class in DOORS:
        yield serializer_class, input_class, False


PAIRS = list(_pairs())


@pytest.mark.parametrize(
    ("serializer_class", "input_class", "update"),
    PAIRS,
    ids=[f"{s.__name__}-{i.__name__}" for s, i, _u in PAIRS],
)
def test_the_schema_and_the_input_describe_the_same_fields_parsed_the_same_way(
    db, serializer_class, input_class, update
):
    documented = {name: f for name, f in serializer_class().fields.items() if not f.read_only}
    if update:  # what an update may not change is read-only there (or ignored)
        documented = {name: f for name, f in documented.items() if name in input_class.base_fields}
    validated = input_class.base_fields
    assert set(documented) == set(validated)
    for name, field in validated.items():
        assert isinstance(field, SerializerField), name
        assert _shape(field.drf) == _shape(documented[name]), name
