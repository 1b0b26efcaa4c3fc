"""Factors are data: seeded by the migration with their sources, edited by staff in the admin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators import selectors
from indicators.factors import factors_seed
from indicators.models import Factor
from indicators.periods import period_parse
from miam.errors import DomainError
from tests.factories import UserFactory


@pytest.fixture
def seeded(db):
    factors_seed(Factor)


def test_the_migration_seeds_every_factor_with_its_source_and_year(seeded):
    rows = {f.code: f for f in Factor.objects.all()}
    assert set(rows) == {"meal_kg", "co2e_km_car", "co2e_km_van"}
    assert rows["meal_kg"].value == Decimal("0.5") and rows["meal_kg"].unit == "kg/repas"
    assert all(f.source_title and f.source_year for f in rows.values())
    assert factors_seed(Factor) == 0  # idempotent


def test_staff_add_a_factor_in_the_admin_and_it_applies_from_its_day(client, seeded):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        reverse("admin:indicators_factor_add"),
        {
            "code": "co2e_km_van",
            "value": "0.27",
            "unit": "kgCO2e/km",
            "source_title": "ADEME, Base Carbone® (nouvelle version)",
            "source_year": "2026",
            "valid_from": "2026-07-01",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert selectors.factor_on("co2e_km_van", dt.date(2026, 6, 30)).value == Decimal("0.252")
    assert selectors.factor_on("co2e_km_van", dt.date(2026, 7, 1)).value == Decimal("0.27")


def test_a_factor_must_be_positive_and_one_per_code_and_day(client, seeded):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:indicators_factor_add"),
        {
            "code": "meal_kg",
            "value": "0",
            "unit": "kg",
            "source_title": "x",
            "source_year": "2026",
            "valid_from": "2020-01-01",
        },
    )
    assert response.status_code == 200  # the form again, with its errors
    assert Factor.objects.filter(code="meal_kg").count() == 1


def test_a_non_staff_person_cannot_open_the_factors(client, seeded):
    client.force_login(UserFactory())
    assert client.get(reverse("admin:indicators_factor_changelist")).status_code == 302


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2026-t1", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    ],
)
def test_periods_are_read_from_their_labels(label, start, end):
    period = period_parse(label)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("label", ["2026-Q5", "2026-13", "T3 2026", "", "2026/07"])
def test_a_bad_period_label_is_refused_with_its_field(label):
    with pytest.raises(DomainError) as error:
        period_parse(label)
    assert error.value.code == "invalid_period" and "period" in error.value.fields
