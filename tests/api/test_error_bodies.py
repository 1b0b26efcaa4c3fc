"""Every bad input of the API answers the same error body, byte for byte, release after release.

``error_bodies.json`` holds the bodies the API gave for each case of the table below; a change
of message, code or field is a change partner apps see, so it is made on purpose (rewrite the
file with ``MIAM_WRITE_ERROR_BODIES=1 pytest tests/api/test_error_bodies.py``, review the diff) and never by accident.
Dates are relative to today but no expected message contains one.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from offers.models import Match, Need, Offer
from tests.factories import (
    FarmFactory,
    NeedFactory,
    OfferFactory,
    StructureFactory,
    TerritoryFactory,
    make_member,
    make_officer,
)

GOLDEN = Path(__file__).with_name("error_bodies.json")
TODAY = timezone.localdate()


def _day(days: int) -> str:
    return (TODAY + dt.timedelta(days=days)).isoformat()


def _offer(farm_id: int, **overrides) -> dict:
    payload = {
        "organization": farm_id,
        "category": "potatoes",
        "product_name": "Pommes de terre Agria",
        "quantity": "300",
        "unit": "kg",
        "window_start": _day(0),
        "window_end": _day(10),
        "pricing": "solidarity",
        "price_per_unit": "0.50",
        "usual_price_per_unit": "1.10",
        "labels": ["AB"],
        "logistics": ["delivery", "pickup"],
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def _need(structure_id: int, **overrides) -> dict:
    payload = {
        "organization": structure_id,
        "categories": ["vegetables"],
        "title": "Légumes pour 120 familles",
        "quantity": "150",
        "unit": "kg",
        "window_start": _day(0),
        "window_end": _day(14),
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def _png(size=(300, 300)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "photo.png"
    return buffer


def _pdf() -> io.BytesIO:
    buffer = io.BytesIO(b"%PDF-1.7 this is a PDF, whatever its name says")
    buffer.name = "photo.jpg"
    return buffer


def _donation(farm_id: int, **overrides) -> dict:
    return _offer(farm_id, **{"pricing": "donation", "price_per_unit": ..., "usual_price_per_unit": ..., **overrides})


# (case, who acts: farm | structure | officer, method, path, payload builder, format)
# Paths and payloads are built from the world: w["farm"], w["structure"], w["offer"], w["match"]...
CASES = [
    # --- offers: the rules ---
    ("offer zero quantity", "farm", "post", "/api/v1/offers/", lambda w: _offer(w["farm"], quantity="0"), "json"),
    ("offer negative quantity", "farm", "post", "/api/v1/offers/", lambda w: _offer(w["farm"], quantity="-12"), "json"),
    (
        "offer negative price",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], pricing="market", price_per_unit="-1"),
        "json",
    ),
    ("offers unknown filter", "farm", "get", "/api/v1/offers/", lambda w: {"categroy": "eggs"}, None),
    (
        "offer window reversed",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], window_end=_day(-1)),
        "json",
    ),
    (
        "offer window past",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], window_start=_day(-9), window_end=_day(-2)),
        "json",
    ),
    (
        "offer unknown category",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], category="dragon-fruit-of-mars"),
        "json",
    ),
    (
        "offer price on a donation",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], pricing="donation", usual_price_per_unit=None),
        "json",
    ),
    (
        "offer sale without price",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], pricing="market", price_per_unit=None),
        "json",
    ),
    (
        "offer solidarity without usual price",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], usual_price_per_unit=None),
        "json",
    ),
    (
        "offer solidarity above usual",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], price_per_unit="2.00"),
        "json",
    ),
    (
        "offer storage too warm",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _donation(w["farm"], category="milk", unit="l", storage="ambient"),
        "json",
    ),
    (
        "offer minimum above quantity",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], min_quantity="500"),
        "json",
    ),
    (
        "offer crate without weight",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], unit="crate"),
        "json",
    ),
    (
        "offer use-by before window",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], window_start=_day(7), window_end=_day(8), use_by=_day(1)),
        "json",
    ),
    (
        "offer delivery without radius",
        "farm0",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm0"], logistics=["delivery"]),
        "json",
    ),
    (
        "offer logistics partner not logistics",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], logistics_partner=w["structure"]),
        "json",
    ),
    ("offer by a food-aid structure", "structure", "post", "/api/v1/offers/", lambda w: _offer(w["structure"]), "json"),
    (
        "offer several errors at once",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _donation(w["farm"], quantity="0", category="nope", price_per_unit="3"),
        "json",
    ),
    (
        "offer photo not an image",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: {**_donation(w["farm"], labels=..., logistics=...), "photo": _pdf()},
        "multipart",
    ),
    (
        "offer photo too large",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: {**_donation(w["farm"], labels=..., logistics=...), "photo": _png()},
        "multipart",
    ),
    # --- offers: shapes and types ---
    (
        "offer quantity not a number",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], quantity="abc"),
        "json",
    ),
    ("offer quantity too big", "farm", "post", "/api/v1/offers/", lambda w: _offer(w["farm"], quantity="1e12"), "json"),
    (
        "offer quantity an object",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], quantity={"kg": 3}),
        "json",
    ),
    ("offer unknown unit", "farm", "post", "/api/v1/offers/", lambda w: _offer(w["farm"], unit="barrel"), "json"),
    (
        "offer unknown pricing",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], pricing="gratuit"),
        "json",
    ),
    ("offer unknown storage", "farm", "post", "/api/v1/offers/", lambda w: _offer(w["farm"], storage="tiede"), "json"),
    (
        "offer unknown recurrence",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], recurrence="daily"),
        "json",
    ),
    (
        "offer date not a date",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], window_start="hier"),
        "json",
    ),
    (
        "offer date a number",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], window_start=20261201),
        "json",
    ),
    (
        "offer unknown label",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], labels=["AB", "BIDON"]),
        "json",
    ),
    ("offer labels not a list", "farm", "post", "/api/v1/offers/", lambda w: _offer(w["farm"], labels="AB"), "json"),
    (
        "offer unknown logistics",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], logistics=["teleport"]),
        "json",
    ),
    (
        "offer product name missing",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], product_name=...),
        "json",
    ),
    (
        "offer product name blank",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], product_name="  "),
        "json",
    ),
    (
        "offer product name too long",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], product_name="P" * 121),
        "json",
    ),
    (
        "offer product name an object",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], product_name={"fr": "Patates"}),
        "json",
    ),
    (
        "offer category a list",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], category=["potatoes"]),
        "json",
    ),
    ("offer unknown organization", "farm", "post", "/api/v1/offers/", lambda w: _offer(999_999), "json"),
    (
        "offer organization missing",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], organization=...),
        "json",
    ),
    ("offer everything missing", "farm", "post", "/api/v1/offers/", lambda w: {}, "json"),
    (
        "offer publish not a boolean",
        "farm",
        "post",
        "/api/v1/offers/",
        lambda w: _offer(w["farm"], publish="peut-être"),
        "json",
    ),
    # --- offers: updates ---
    (
        "offer update quantity not a number",
        "farm",
        "patch",
        "/api/v1/offers/{offer}/",
        lambda w: {"quantity": "abc"},
        "json",
    ),
    (
        "offer update below reserved",
        "farm",
        "patch",
        "/api/v1/offers/{reserved_offer}/",
        lambda w: {"quantity": "10"},
        "json",
    ),
    (
        "offer update window reversed",
        "farm",
        "patch",
        "/api/v1/offers/{offer}/",
        lambda w: {"window_end": _day(-1)},
        "json",
    ),
    ("offer update unknown unit", "farm", "patch", "/api/v1/offers/{offer}/", lambda w: {"unit": "barrel"}, "json"),
    ("offer photo missing", "farm", "post", "/api/v1/offers/{offer}/photo/", lambda w: {}, "multipart"),
    # --- needs ---
    (
        "need zero quantity",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], quantity="0"),
        "json",
    ),
    (
        "need unknown category",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], categories=["vegetables", "nope"]),
        "json",
    ),
    ("need no category", "structure", "post", "/api/v1/needs/", lambda w: _need(w["structure"], categories=[]), "json"),
    (
        "need categories not a list",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], categories="vegetables"),
        "json",
    ),
    ("need by a farm", "farm", "post", "/api/v1/needs/", lambda w: _need(w["farm"]), "json"),
    ("need in crates", "structure", "post", "/api/v1/needs/", lambda w: _need(w["structure"], unit="crate"), "json"),
    ("need unknown urgency", "structure", "post", "/api/v1/needs/", lambda w: _need(w["structure"], urgency=7), "json"),
    (
        "need seasonal frequency",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], frequency="season"),
        "json",
    ),
    (
        "need price on donations only",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], max_price_per_unit="2"),
        "json",
    ),
    (
        "need purchase without price",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], accepted_pricing="purchase"),
        "json",
    ),
    (
        "need negative capacity",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], chilled_capacity_kg=-1),
        "json",
    ),
    (
        "need capacity not a number",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], chilled_capacity_kg="beaucoup"),
        "json",
    ),
    (
        "need unknown label",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], preferred_labels=["XYZ"]),
        "json",
    ),
    (
        "need fridge not a boolean",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], has_fridge="oui"),
        "json",
    ),
    (
        "need negative radius",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], pickup_radius_km="-5"),
        "json",
    ),
    (
        "need window reversed",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], window_end=_day(-1)),
        "json",
    ),
    (
        "need title too long",
        "structure",
        "post",
        "/api/v1/needs/",
        lambda w: _need(w["structure"], title="T" * 121),
        "json",
    ),
    (
        "need update below covered",
        "structure",
        "patch",
        "/api/v1/needs/{covered_need}/",
        lambda w: {"quantity": "1"},
        "json",
    ),
    # --- matches ---
    ("match decline without reason", "structure", "post", "/api/v1/matches/{match}/decline/", lambda w: {}, "json"),
    (
        "match decline blank reason",
        "structure",
        "post",
        "/api/v1/matches/{match}/decline/",
        lambda w: {"reason": "  "},
        "json",
    ),
    (
        "match decline reason too long",
        "structure",
        "post",
        "/api/v1/matches/{match}/decline/",
        lambda w: {"reason": "x" * 301},
        "json",
    ),
    (
        "match schedule not a date",
        "structure",
        "post",
        "/api/v1/matches/{confirmed}/schedule/",
        lambda w: {"date": "demain", "mode": "pickup"},
        "json",
    ),
    (
        "match schedule unknown mode",
        "structure",
        "post",
        "/api/v1/matches/{confirmed}/schedule/",
        lambda w: {"date": _day(1), "mode": "drone"},
        "json",
    ),
    (
        "match schedule in the past",
        "structure",
        "post",
        "/api/v1/matches/{confirmed}/schedule/",
        lambda w: {"date": _day(-1), "mode": "pickup"},
        "json",
    ),
    (
        "match delivery not a number",
        "structure",
        "post",
        "/api/v1/matches/{confirmed}/confirm-delivery/",
        lambda w: {"quantity_received": "beaucoup"},
        "json",
    ),
    (
        "match delivery negative",
        "structure",
        "post",
        "/api/v1/matches/{confirmed}/confirm-delivery/",
        lambda w: {"quantity_received": "-1"},
        "json",
    ),
    (
        "match delivery too much",
        "structure",
        "post",
        "/api/v1/matches/{confirmed}/confirm-delivery/",
        lambda w: {"quantity_received": "9999"},
        "json",
    ),
    (
        "match delivery in the future",
        "structure",
        "post",
        "/api/v1/matches/{confirmed}/confirm-delivery/",
        lambda w: {"quantity_received": "5", "delivered_on": _day(2)},
        "json",
    ),
    ("match accept twice confirmed", "structure", "post", "/api/v1/matches/{confirmed}/accept/", lambda w: {}, "json"),
    (
        "match propose unknown offer",
        "officer",
        "post",
        "/api/v1/matches/propose/",
        lambda w: {"offer": 999_999, "need": w["need"], "quantity": "5"},
        "json",
    ),
    (
        "match propose quantity not a number",
        "officer",
        "post",
        "/api/v1/matches/propose/",
        lambda w: {"offer": w["offer"], "need": w["need"], "quantity": "abc"},
        "json",
    ),
    (
        "match propose zero quantity",
        "officer",
        "post",
        "/api/v1/matches/propose/",
        lambda w: {"offer": w["offer"], "need": w["need"], "quantity": "0"},
        "json",
    ),
    (
        "matching run unknown territory",
        "officer",
        "post",
        "/api/v1/matching-runs/",
        lambda w: {"territory": 999_999},
        "json",
    ),
    (
        "matching run territory not a number",
        "officer",
        "post",
        "/api/v1/matching-runs/",
        lambda w: {"territory": "x"},
        "json",
    ),
    # --- filters ---
    ("filter within malformed", "farm", "get", "/api/v1/offers/", lambda w: {"within": "46.4,abc"}, None),
    ("filter within out of range", "farm", "get", "/api/v1/offers/", lambda w: {"within": "146.4,4.6,30"}, None),
    ("filter unknown category", "farm", "get", "/api/v1/offers/", lambda w: {"category": "nope"}, None),
    ("filter unknown pricing", "farm", "get", "/api/v1/offers/", lambda w: {"pricing": "gratuit"}, None),
    ("filter unknown territory", "farm", "get", "/api/v1/needs/", lambda w: {"territory": "atlantide"}, None),
    ("filter bad bbox", "farm", "get", "/api/v1/geo/offers/", lambda w: {"bbox": "4.7,46.4,4.6"}, None),
    ("filter bad layer limit", "farm", "get", "/api/v1/geo/farms/", lambda w: {"limit": "many"}, None),
    ("filter unknown organization kind", "farm", "get", "/api/v1/organizations/", lambda w: {"kind": "bakery"}, None),
    # --- organizations ---
    (
        "organization unknown commune",
        "officer",
        "post",
        "/api/v1/organizations/",
        lambda w: {"kind": "farm", "name": "Ferme", "commune": "00000"},
        "json",
    ),
    (
        "organization latitude alone",
        "officer",
        "post",
        "/api/v1/organizations/",
        lambda w: {"kind": "farm", "name": "Ferme", "commune": "71137", "latitude": 46.4},
        "json",
    ),
    (
        "organization unknown kind",
        "officer",
        "post",
        "/api/v1/organizations/",
        lambda w: {"kind": "bakery", "name": "Ferme", "commune": "71137"},
        "json",
    ),
    (
        "organization unknown farm label",
        "officer",
        "post",
        "/api/v1/organizations/",
        lambda w: {"kind": "farm", "name": "Ferme", "commune": "71137", "farm_profile": {"labels": ["BIDON"]}},
        "json",
    ),
    (
        "organization structure profile on a farm",
        "officer",
        "post",
        "/api/v1/organizations/",
        lambda w: {"kind": "farm", "name": "Ferme", "commune": "71137", "structure_profile": {"has_fridge": True}},
        "json",
    ),
    (
        "organization negative radius",
        "officer",
        "post",
        "/api/v1/organizations/",
        lambda w: {"kind": "farm", "name": "Ferme", "commune": "71137", "farm_profile": {"delivery_radius_km": "-3"}},
        "json",
    ),
]


def _world() -> dict:
    territory = TerritoryFactory(name="PAT du Clunisois", slug="clunisois")
    farm, structure = FarmFactory(), StructureFactory()
    farm0 = FarmFactory(profile__delivery_radius_km=0)
    offer = OfferFactory(organization=farm)
    reserved = OfferFactory(organization=farm, quantity=100, quantity_reserved=60, status="partly_matched")
    covered = NeedFactory(organization=structure, quantity=50, quantity_covered=20, status="partly_matched")
    need = NeedFactory(organization=structure)
    match = Match.objects.create(offer=offer, need=need, quantity=10, score=70)
    confirmed = Match.objects.create(
        offer=OfferFactory(organization=farm),
        need=NeedFactory(organization=structure),
        quantity=10,
        score=70,
        status=Match.MatchStatus.CONFIRMED,
    )
    return {
        "territory": territory.pk,
        "farm": farm.pk,
        "farm0": farm0.pk,
        "structure": structure.pk,
        "offer": offer.pk,
        "reserved_offer": reserved.pk,
        "covered_need": covered.pk,
        "need": need.pk,
        "match": match.pk,
        "confirmed": confirmed.pk,
        "users": {
            "farm": make_member(farm),
            "farm0": make_member(farm0),
            "structure": make_member(structure),
            "officer": make_officer(territory),
        },
    }


def body_of(case: tuple, world: dict) -> dict:
    name, who, method, path, payload, fmt = case
    client = APIClient()
    client.force_login(world["users"][who])
    url = path.format(**{k: v for k, v in world.items() if k != "users"})
    data = payload(world)
    if method == "get":
        response = client.get(url, data)
    else:
        response = getattr(client, method)(url, data, format=fmt)
    assert 400 <= response.status_code < 500, (name, response.status_code, response.content)
    return {"status": response.status_code, "body": response.json()}


@pytest.fixture
def world(geo, settings, tmp_path):
    from django.core.cache import cache

    cache.clear()
    settings.UPLOAD_MAX_IMAGE_BYTES = 500
    settings.MEDIA_ROOT = tmp_path
    return _world()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_bad_input_answers_the_same_body_as_before_and_writes_nothing(world, case):
    before = (Offer.objects.count(), Need.objects.count(), Match.objects.count())
    got = body_of(case, world)
    assert (Offer.objects.count(), Need.objects.count(), Match.objects.count()) == before
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if os.environ.get("MIAM_WRITE_ERROR_BODIES") == "1":  # on purpose only: then review the diff
        golden[case[0]] = got
        GOLDEN.write_text(json.dumps(golden, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        return
    assert got == golden[case[0]]
