"""Reasons rendered in the reader's language: every code the engine may give reads in French
and in English, numbers and dates follow the language, a stored match renders at display."""

from __future__ import annotations

import pytest
from django.utils import translation

from offers.matching import REASON_CODES
from offers.matching.reasons import NEAR_MISS_CODES
from offers.reasons import NEAR_MISS_RENDERERS, RENDERERS, reasons_rendered, reasons_text, render

PROPOSAL = [
    {"code": "distance", "params": {"km": 12.0}},
    {"code": "delivery_by_farm", "params": {"radius_km": 20.0}},
    {"code": "fridge_available", "params": {}},
    {"code": "price", "params": {"price": 10.8, "unit": "kg", "change_percent": -8}},
    {"code": "covers_need", "params": {"percent": 60}},
]


def test_every_reason_code_the_engine_gives_has_a_renderer():
    assert set(REASON_CODES) <= set(RENDERERS)
    assert set(NEAR_MISS_CODES) <= set(NEAR_MISS_RENDERERS)


def test_a_proposals_reasons_read_as_one_french_line_as_before():
    with translation.override("fr"):
        assert reasons_text(PROPOSAL) == (
            "12 km · la ferme livre jusqu'à 20 km · frigo disponible · 10,80 €/kg (−8 %) · couvre 60 % du besoin"
        )


def test_the_same_reasons_read_in_english_with_english_numbers():
    with translation.override("en"):
        assert reasons_text(PROPOSAL) == (
            "12 km · the farm delivers up to 20 km · fridge available · €10.80/kg (−8 %) · covers 60% of the need"
        )


@pytest.mark.parametrize(
    ("reason", "french", "english"),
    [
        (
            {"code": "fairness_priority", "params": {"received_kg": 0, "people": 180, "days": 30}},
            "prioritaire : 0 kg reçus ces 30 derniers jours pour 180 personnes accueillies",
            "priority: 0 kg received over the last 30 days for 180 people served",
        ),
        ({"code": "distance", "params": {"km": 4.5}}, "4,5 km", "4.5 km"),
        (
            {"code": "delivery_day", "params": {"date": "2025-05-15", "days": [3], "hours": "14 h – 17 h"}},
            "livraison proposée le jeudi 15 mai (distribution 14 h – 17 h)",
            "delivery proposed on Thursday 15 May (distribution 14 h – 17 h)",
        ),
        ({"code": "gleaning", "params": {"volunteers": 1}}, "glanage par 1 bénévole", "gleaning by 1 volunteer"),
        (
            {"code": "out_of_reach", "params": {"km": 31.0, "limits": [{"by": "pickup", "km": None}]}},
            "31 km ; la structure ne peut pas venir chercher",
            "31 km ; the structure cannot collect",
        ),
        (
            {"code": "pooled_round", "params": {"weekday": 1}},
            "livré par la tournée du mardi",
            "delivered by the Tuesday round",
        ),
        (
            {
                "code": "out_of_reach",
                "params": {"km": 150.0, "limits": [{"by": "partner", "km": None, "days": [], "refrigerated": True}]},
            },
            "150 km ; aucune tournée réfrigérée sur le territoire",
            "150 km ; no refrigerated round in the territory",
        ),
        (
            {
                "code": "out_of_reach",
                "params": {
                    "km": 80.0,
                    "limits": [{"by": "partner", "km": None, "days": [], "refrigerated": True, "dry_km": 25.0}],
                },
            },
            "80 km ; aucune tournée réfrigérée sur le territoire, et le trajet est trop long pour une tournée "
            "sans froid (au plus 25 km hors du froid)",
            "80 km ; no refrigerated round in the territory, and the ride is too long for a round without "
            "refrigeration (at most 25 km out of the fridge)",
        ),
        (
            {
                "code": "out_of_reach",
                "params": {
                    "km": 40.0,
                    "limits": [{"by": "partner", "km": None, "days": [1, 4], "refrigerated": False}],
                },
            },
            "40 km ; tournées du territoire : mardi, vendredi ; aucun de ces jours ne convient",
            "40 km ; the territory's rounds: Tuesday, Friday; none of these days fits",
        ),
        (
            {"code": "allocated_elsewhere", "params": {"count": 2}},
            "2 offres possibles, attribuées à des structures moins servies ou mieux placées",
            "2 possible offers, allocated to structures less served or better placed",
        ),
    ],
)
def test_each_reason_reads_in_french_and_in_english(reason, french, english):
    with translation.override("fr"):
        assert render(reason) == french
    with translation.override("en"):
        assert render(reason) == english


def test_near_misses_name_the_family_in_the_readers_language(geo):
    from products.models import ProductCategory

    fruits = ProductCategory.objects.get(code="fruits")
    near = {
        "code": "near_miss",
        "params": {
            "constraint": "out_of_reach",
            "count": 3,
            "category_id": fruits.pk,
            "min_km": 31,
            "max_km": 40,
            "radius_km": 25,
        },
    }
    chilled = {
        "code": "near_miss",
        "params": {"constraint": "no_fridge", "count": 1, "category_id": fruits.pk, "min_km": 8, "max_km": 8},
    }
    with translation.override("fr"):
        assert render(near) == "3 offres de fruits à 31–40 km, au-delà de votre rayon de 25 km"
        assert render(chilled) == "1 offre de fruits réfrigérée(s) à 8 km, vous n'avez pas de frigo"
    with translation.override("en"):
        assert render(near) == "3 offers of fruits at 31–40 km, beyond your 25 km radius"


def test_an_unknown_code_renders_as_nothing_and_the_api_keeps_its_data():
    assert render({"code": "from_the_future", "params": {"x": 1}}) == ""
    assert reasons_rendered([{"code": "from_the_future", "params": {"x": 1}}]) == [
        {"code": "from_the_future", "params": {"x": 1}, "text": ""}
    ]
    assert reasons_text([{"code": "text", "params": {"text": "Ancienne explication."}}]) == "Ancienne explication."
