"""``miam.inputs.as_id``: the one reading of an id the inputs' lookups share."""

from __future__ import annotations

import pytest

from miam.inputs import MAX_ID, as_id


@pytest.mark.parametrize(("value", "expected"), [(7, 7), ("42", 42), (" 42 ", 42), (MAX_ID, MAX_ID)])
def test_a_whole_number_or_its_text_is_an_id(value, expected):
    assert as_id(value) == expected


@pytest.mark.parametrize(
    "value", [0, "0", -3, "-3", MAX_ID + 1, str(2**64), "4.5", "x", "", True, False, None, 4.0, [1]]
)
def test_anything_else_is_none(value):
    assert as_id(value) is None
