"""Shared model fields: the JSON field reads with orjson and gives the very values Django's would."""

from __future__ import annotations

import json

import pytest
from django.db import connection, models

from miam.fields import JSONField
from miam.models import OutboxMessage

TEXTS = [
    '["AB", "HVE"]',
    '{"type": "Polygon", "coordinates": [[[4.6591234567, 46.4341234567], [4.7, 46.5]]]}',
    '{"a": 1, "a": 2, "b": [true, false, null], "c": -0.0, "d": 1e-7, "e": "\\u00e9t\\u00e9"}',
    "123456789012345678901234567890",  # orjson would round it to a float
    "[0.12345678901234567890123]",  # as would Python's json: the same float either way
    "NaN",  # orjson refuses: Python's json reads it
    '"\\ud800"',  # a lone surrogate: orjson refuses, Python's json reads it
    "not json",  # Django gives the text back
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_json_field_reads_what_django_s_own_field_reads(text):
    ours, django = JSONField(), models.JSONField()
    mine = ours.from_db_value(text, None, connection)
    theirs = django.from_db_value(text, None, connection)
    assert json.dumps(mine) == json.dumps(theirs)
    assert type(mine) is type(theirs)


def test_a_custom_decoder_stays_django_s():
    class Upper(json.JSONDecoder):
        def decode(self, s, *args, **kwargs):
            return super().decode(s.upper(), *args, **kwargs)

    assert JSONField(decoder=Upper).from_db_value('["ab"]', None, connection) == ["AB"]


def test_values_come_back_from_the_database_as_written(db):
    kwargs = {"ids": [1, 2**70], "label": "Clunisois — été", "ratio": 0.1, "nested": {"empty": []}}
    message = OutboxMessage.objects.create(task="t", kwargs=kwargs, task_id="field-test")
    assert OutboxMessage.objects.get(pk=message.pk).kwargs == kwargs
    assert OutboxMessage.objects.filter(pk=message.pk).values_list("kwargs__ids", flat=True).get() == [1, 2**70]


def test_migrations_see_django_s_field():
    assert JSONField().deconstruct()[1] == "django.db.models.JSONField"
