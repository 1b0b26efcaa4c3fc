"""Units convert where it is exact or documented, and refuse the rest with a clear error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from products.models import ProductCategory
from products.units import UnitFactors, UnsafeConversion, can_convert, convert, to_kg
from tests.factories import category

EGGS = UnitFactors(category="hen-eggs", units=("dozen", "piece", "kg"), kg_per_piece=Decimal("0.058"))
MILK = UnitFactors(category="milk", units=("l", "kg"), kg_per_litre=Decimal("1.03"))
POTATOES = UnitFactors(category="potatoes", units=("kg", "crate"))


def test_a_dozen_is_twelve_pieces_whatever_the_category():
    assert convert(2, from_unit="dozen", to_unit="piece", category=EGGS) == Decimal("24.000")
    assert convert(30, from_unit="piece", to_unit="dozen", category=EGGS) == Decimal("2.500")
    no_weight = UnitFactors(category="cheese", units=("piece", "dozen"))
    assert convert(1, from_unit="dozen", to_unit="piece", category=no_weight) == 12


def test_eggs_weigh_by_the_average_egg():
    assert to_kg(1, "dozen", EGGS) == Decimal("0.696")
    assert to_kg(10, "piece", EGGS) == Decimal("0.580")
    assert convert(Decimal("0.696"), from_unit="kg", to_unit="dozen", category=EGGS) == Decimal("1.000")


def test_a_litre_of_milk_weighs_by_its_density():
    assert to_kg(100, "l", MILK) == Decimal("103.000")
    assert convert(103, from_unit="kg", to_unit="l", category=MILK) == Decimal("100.000")


def test_a_crate_weighs_what_the_offer_says():
    assert to_kg(12, "crate", POTATOES, crate_kg="6.5") == Decimal("78.000")
    assert convert(78, from_unit="kg", to_unit="crate", category=POTATOES, crate_kg="6.5") == Decimal("12.000")
    assert convert(2, from_unit="crate", to_unit="crate", category=POTATOES, crate_kg=10, to_crate_kg=5) == 4


@pytest.mark.parametrize(
    ("quantity", "unit", "factors", "crate_kg", "code"),
    [
        (3, "crate", POTATOES, None, "crate_kg_unknown"),
        (3, "crate", POTATOES, "0", "crate_kg_unknown"),
        (3, "piece", UnitFactors(category="cheese", units=("piece", "kg")), None, "no_piece_weight"),
        (3, "l", UnitFactors(category="honey", units=("l", "kg")), None, "no_density"),
        (3, "l", POTATOES, None, "unit_not_allowed"),
        (3, "barrel", POTATOES, None, "unknown_unit"),
        ("beaucoup", "kg", POTATOES, None, "not_a_number"),
        (Decimal("NaN"), "kg", POTATOES, None, "not_a_number"),
    ],
    ids=[
        "crate without weight",
        "crate of no weight",
        "pieces of cheese",
        "litres of honey",
        "litres of potatoes",
        "unknown unit",
        "not a number",
        "NaN",
    ],
)
def test_an_unsafe_conversion_is_refused_with_a_reason(quantity, unit, factors, crate_kg, code):
    with pytest.raises(UnsafeConversion) as refused:
        to_kg(quantity, unit, factors, crate_kg=crate_kg)
    assert refused.value.code == code
    assert refused.value.message and str(refused.value) == refused.value.message
    assert not can_convert(unit, "kg", factors, crate_kg=crate_kg) or code == "not_a_number"


def test_the_refusal_speaks_french():
    with pytest.raises(UnsafeConversion, match="Le poids moyen d'une pièce de « cheese » n'est pas documenté."):
        to_kg(1, "piece", UnitFactors(category="cheese", units=("piece",)))


@settings(max_examples=60, deadline=None)
@given(
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3),
    unit=st.sampled_from(["dozen", "piece", "kg"]),
)
def test_converting_there_and_back_keeps_the_quantity_to_the_gram(quantity, unit):
    kg = to_kg(quantity, unit, EGGS)
    back = convert(kg, from_unit="kg", to_unit=unit, category=EGGS)
    assert abs(to_kg(back, unit, EGGS) - kg) <= Decimal("0.001")


def test_the_reference_categories_carry_their_documented_factors(geo):
    eggs = category("hen-eggs").unit_factors()
    assert (eggs.kg_per_piece, eggs.units) == (Decimal("0.0580"), ("dozen", "piece", "kg"))
    assert category("milk").kg_per_litre == Decimal("1.0300")
    assert to_kg(1, "piece", category("yoghurt").unit_factors()) == Decimal("0.125")
    every = ProductCategory.objects.all()
    assert all(c.default_unit in c.allowed_units and c.units_source or c.allowed_units == ["kg"] for c in every)
    with pytest.raises(UnsafeConversion):
        to_kg(1, "piece", category("cheese").unit_factors())


def test_staff_cannot_save_a_default_unit_the_category_does_not_allow(geo):
    from django.core.exceptions import ValidationError

    cheese = category("cheese")
    cheese.allowed_units = ["kg", "litre-ish"]
    with pytest.raises(ValidationError) as refused:
        cheese.full_clean()
    assert "allowed_units" in refused.value.message_dict
    cheese.allowed_units = ["piece"]
    with pytest.raises(ValidationError) as refused:
        cheese.full_clean()
    assert "default_unit" in refused.value.message_dict
