"""JSON-LD for the Data Food Consortium, offline: a pyld document loader serving the DFC
contexts copied in ``interop/dfc/`` (never fetching anything), the DFC taxonomies, and the
mapping between MIAM's categories and units and DFC's product types and measures.

Matching is by local name, the part after ``#`` (``dfc-pt:potato``, ``dfc-m:Kilogram``), since
the base IRIs differ between context versions (1.16: github releases; 2.0.0: w3id v2.0.0)."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from pyld import jsonld

DFC_DIR = Path(__file__).resolve().parent / "dfc"
CONTEXT_URL = "https://w3id.org/dfc/ontology/context/context_2.0.0.json"
SKOS = "http://www.w3.org/2004/02/skos/core#"

#: Known URLs of the DFC contexts → local file.
CONTEXTS = {
    CONTEXT_URL: "context_2.0.0.json",
    "http://w3id.org/dfc/ontology/context/context_2.0.0.json": "context_2.0.0.json",
    "https://www.datafoodconsortium.org": "context_2.0.0.json",
    "https://www.datafoodconsortium.org/": "context_2.0.0.json",
    "http://www.datafoodconsortium.org": "context_2.0.0.json",
    "https://w3id.org/dfc/ontology/context/context_1.16.0.json": "context_1.16.0.json",
    "http://w3id.org/dfc/ontology/context/context_1.16.0.json": "context_1.16.0.json",
    "https://github.com/datafoodconsortium/ontology/releases/latest/download/context.json": "context_1.16.0.json",
}


class UnknownContext(Exception):
    """A document names a context MIAM does not have (nothing is fetched)."""


@cache
def _file(name: str):
    return json.loads((DFC_DIR / name).read_text(encoding="utf-8"))


def document_loader(url: str, options=None) -> dict:
    name = CONTEXTS.get(url)
    if name is None:
        raise jsonld.JsonLdError(
            f"context not available offline: {url}", "jsonld.LoadDocumentError", code="loading document failed"
        )
    return {"contextUrl": None, "documentUrl": url, "document": _file(name)}


OPTIONS = {"documentLoader": document_loader}


def expand(document) -> list[dict]:
    return jsonld.expand(document, dict(OPTIONS))


def flatten(document) -> list[dict]:
    """Every node of the document, with full IRIs (``@graph`` of the flattened form)."""
    flat = jsonld.flatten(document, None, dict(OPTIONS))
    return flat if isinstance(flat, list) else flat.get("@graph", [])


def to_nquads(document) -> str:
    return jsonld.to_rdf(document, {**OPTIONS, "format": "application/n-quads"})


def local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


# --- Taxonomies --------------------------------------------------------------------------


@cache
def _concepts(name: str) -> dict[str, dict]:
    """local name → {"broader": [...], "fr": label, "en": label}."""
    out = {}
    for node in _file(name)[0]["@graph"]:
        labels = {lab.get("@language"): lab["@value"] for lab in node.get(SKOS + "prefLabel", [])}
        out[local(node["@id"])] = {
            "broader": [local(b["@id"]) for b in node.get(SKOS + "broader", [])],
            "fr": labels.get("fr", ""),
            "en": labels.get("en", ""),
        }
    return out


def product_types() -> dict[str, dict]:
    return _concepts("productTypes.json")


def measures() -> dict[str, dict]:
    return _concepts("measures.json")


#: MIAM category → DFC product type (a category with no precise type gets its parent's).
CATEGORY_TO_TYPE = {
    "vegetables": "vegetable",
    "potatoes": "potato",
    "leafy-vegetables": "salad",
    "root-vegetables": "vegetable",
    "fruiting-vegetables": "vegetable",
    "cabbages": "cabbage",
    "squashes": "squash",
    "onions-garlic": "onion",
    "fruits": "fruit",
    "apples-pears": "apples",
    "stone-fruits": "fruit",
    "berries": "berry",
    "nuts": "nut",
    "eggs": "egg",
    "hen-eggs": "egg",
    "dairy": "dairy-product",
    "milk": "milk",
    "long-life-milk": "milk",
    "cheese": "mature-cheese",
    "yoghurt": "natural-yogurt",
    "butter-cream": "butter",
    "meat": "meat-product",
    "beef": "beef",
    "pork": "pork",
    "lamb": "lamb",
    "poultry": "poultry",
    "frozen-meat": "frozen-meat",
    "charcuterie": "delicatessen",
    "fish": "fishery-product",
    "fresh-fish": "fish",
    "frozen-fish": "fishery-product",
    "cereals-pulses": "grain",
    "cereals": "grain",
    "pulses": "pulse",
    "flour-bread": "bakery",
    "flour": "flour",
    "bread": "bread",
    "honey": "honey",
    "honey-jars": "honey",
    "juices-preserves": "processed-fruit",
    "juices": "fruit-juice",
    "preserves": "canned-vegetable",
    "jams": "jam",
    "prepared-dishes": "ready-meal",
    "chilled-dishes": "ready-meal",
    "frozen-dishes": "frozen-meal",
}

#: DFC product type → MIAM category; a type missing here takes its broader type's.
TYPE_TO_CATEGORY = {
    "vegetable": "vegetables",
    "potato": "potatoes",
    "salad": "leafy-vegetables",
    "lettuce": "leafy-vegetables",
    "spinach": "leafy-vegetables",
    "chard": "leafy-vegetables",
    "carrot": "root-vegetables",
    "beetroot": "root-vegetables",
    "turnip": "root-vegetables",
    "parsnip": "root-vegetables",
    "celeriac": "root-vegetables",
    "radish": "root-vegetables",
    "rutabaga": "root-vegetables",
    "salsify": "root-vegetables",
    "jerusalem-artichoke": "root-vegetables",
    "tomato": "fruiting-vegetables",
    "eggplant": "fruiting-vegetables",
    "courgette": "fruiting-vegetables",
    "pepper": "fruiting-vegetables",
    "cucumber": "fruiting-vegetables",
    "cabbage": "cabbages",
    "squash": "squashes",
    "pumpkin": "squashes",
    "onion": "onions-garlic",
    "garlic": "onions-garlic",
    "shallot": "onions-garlic",
    "leek": "onions-garlic",
    "fruit": "fruits",
    "apples": "apples-pears",
    "pear": "apples-pears",
    "quince": "apples-pears",
    "apricot": "stone-fruits",
    "cherry": "stone-fruits",
    "peach": "stone-fruits",
    "nectarine": "stone-fruits",
    "plum": "stone-fruits",
    "berry": "berries",
    "strawberry": "berries",
    "nut": "nuts",
    "egg": "hen-eggs",
    "dairy-product": "dairy",
    "milk": "milk",
    "goat-milk": "milk",
    "sheep-milk": "milk",
    "mature-cheese": "cheese",
    "fresh-cheese": "cheese",
    "other-cheese": "cheese",
    "cream-cheese": "cheese",
    "goat-fresh-cheese": "cheese",
    "goat-mature-cheese": "cheese",
    "sheep-fresh-cheese": "cheese",
    "sheep-mature-cheese": "cheese",
    "natural-yogurt": "yoghurt",
    "flavored-yogurt": "yoghurt",
    "sweet-yogurt": "yoghurt",
    "butter": "butter-cream",
    "fresh-cream": "butter-cream",
    "meat-product": "meat",
    "beef": "beef",
    "veal": "beef",
    "pork": "pork",
    "lamb": "lamb",
    "poultry": "poultry",
    "frozen-meat": "frozen-meat",
    "delicatessen": "charcuterie",
    "fishery-product": "fish",
    "fish": "fresh-fish",
    "grain": "cereals",
    "rice": "cereals",
    "quinoa": "cereals",
    "pulse": "pulses",
    "lentils": "pulses",
    "beans": "pulses",
    "dried-vegetable": "pulses",
    "bakery": "flour-bread",
    "flour": "flour",
    "bread": "bread",
    "honey": "honey-jars",
    "fruit-juice": "juices",
    "jam": "jams",
    "processed-fruit": "juices-preserves",
    "processed-vegetable": "preserves",
    "canned-vegetable": "preserves",
    "bottled-vegetable": "preserves",
    "ready-meal": "chilled-dishes",
    "frozen-meal": "frozen-dishes",
}


def category_code_for_type(type_name: str) -> str | None:
    """The MIAM category of a DFC product type (walking up ``broader``), or None."""
    types = product_types()
    seen, todo = set(), [type_name]
    while todo:
        name = todo.pop(0)
        if name in TYPE_TO_CATEGORY:
            return TYPE_TO_CATEGORY[name]
        if name in seen:
            continue
        seen.add(name)
        todo.extend(types.get(name, {}).get("broader", []))
    return None


#: MIAM unit → DFC measure.
UNIT_TO_MEASURE = {"kg": "Kilogram", "l": "Litre", "piece": "Piece", "dozen": "Dozen", "crate": "Crate"}
#: DFC measure → (MIAM unit, factor: one of the measure is ``factor`` of the unit).
MEASURE_TO_UNIT = {
    "Kilogram": ("kg", Decimal(1)),
    "Gram": ("kg", Decimal("0.001")),
    "Litre": ("l", Decimal(1)),
    "Centilitre": ("l", Decimal("0.01")),
    "Millilitre": ("l", Decimal("0.001")),
    "Piece": ("piece", Decimal(1)),
    "Dozen": ("dozen", Decimal(1)),
    "HalfDozen": ("dozen", Decimal("0.5")),
    "Crate": ("crate", Decimal(1)),
}
