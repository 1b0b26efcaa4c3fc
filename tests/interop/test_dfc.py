"""The Data Food Consortium standard: export as JSON-LD that pyld expands to the expected
triples, import from compacted or expanded documents, idempotently, with a per-item report;
a round trip MIAM → DFC → MIAM; nothing fetched from the network."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from actors import services as actor_services
from actors.models import Organization
from interop import jsonld
from interop.models import DfcLink
from offers.models import Offer
from products.models import ProductCategory
from tests.factories import FarmFactory, TerritoryFactory, category, commune, make_officer

TODAY = timezone.localdate()
B = "http://w3id.org/dfc/ontology/v2.0.0/src/DFC_BusinessOntology.owl#"
PT = "http://w3id.org/dfc/taxonomies/v2.0.0/productTypes.rdf#"
M = "http://w3id.org/dfc/taxonomies/v2.0.0/measures.rdf#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def clunisois(geo):
    return TerritoryFactory(name="PAT du Clunisois", slug="clunisois")


@pytest.fixture
def officer(clunisois):
    return make_officer(clunisois)


@pytest.fixture
def partner(officer, clunisois):
    _key, raw = actor_services.apikey_create(by=officer, name="Plateforme", territory=clunisois, can_write=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def farm_catalog(carrot_price=1.5) -> dict:
    """A partner's catalog of a farm in Cluny with three products, compacted with the DFC context."""
    base = "https://plateforme.example.org/api/dfc"
    products = [
        ("carrots", "Carottes des sables", "dfc-pt:carrot", "dfc-m:Kilogram", 1, 50, carrot_price),
        ("eggs", "Œufs plein air", "dfc-pt:egg", "dfc-m:Dozen", 1, 20, 3.2),
        ("apples", "Pommes Reinette (sachet de 500 g)", "dfc-pt:apples", "dfc-m:Gram", 500, 40, 1.0),
    ]
    graph = [
        {
            "@id": f"{base}/enterprises/7",
            "@type": "dfc-b:Enterprise",
            "dfc-b:name": "Ferme des Trois Chênes",
            "dfc-b:hasAddress": {
                "@id": f"{base}/addresses/7",
                "@type": "dfc-b:Address",
                "dfc-b:city": "Cluny",
                "dfc-b:postcode": "71250",
            },
            "dfc-b:supplies": [f"{base}/products/{key}" for key, *_rest in products],
            "dfc-b:manages": [f"{base}/items/{key}" for key, *_rest in products],
        }
    ]
    for key, name, type_, unit, size, stock, price in products:
        graph += [
            {
                "@id": f"{base}/products/{key}",
                "@type": "dfc-b:SuppliedProduct",
                "dfc-b:name": name,
                "dfc-b:hasType": type_,
                "dfc-b:hasQuantity": {"@type": "dfc-b:QuantitativeValue", "dfc-b:hasUnit": unit, "dfc-b:value": size},
            },
            {
                "@id": f"{base}/items/{key}",
                "@type": "dfc-b:CatalogItem",
                "dfc-b:references": f"{base}/products/{key}",
                "dfc-b:offeredThrough": f"{base}/offers/{key}",
            },
            {
                "@id": f"{base}/offers/{key}",
                "@type": "dfc-b:Offer",
                "dfc-b:hasPrice": {"@type": "dfc-b:Price", "dfc-b:value": price, "dfc-b:hasUnit": "dfc-m:Euro"},
                "dfc-b:stockLimitation": stock,
            },
        ]
    return {"@context": jsonld.CONTEXT_URL, "@graph": graph}


def post(api, document, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.post(
        f"/api/v1/dfc/import/{'?' + query if query else ''}",
        data=json.dumps(document),
        content_type="application/ld+json",
    )


def offers_of(org) -> list[tuple]:
    return sorted(
        (o.product_name, o.category.code, o.unit, o.quantity, o.pricing, o.price_per_unit)
        for o in Offer.objects.filter(organization=org).select_related("category")
    )


def test_a_farm_catalog_is_imported_then_reimported_unchanged_then_with_one_price_changed(clunisois, partner):
    first = post(partner, farm_catalog())
    assert first.status_code == 200, first.json()
    assert first.json()["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "error": 0}
    farm = Organization.objects.get(name="Ferme des Trois Chênes")
    assert farm.commune.insee_code == "71137" and farm.kind == "farm"
    assert offers_of(farm) == [
        ("Carottes des sables", "root-vegetables", "kg", Decimal("50.000"), "market", Decimal("1.50")),
        ("Pommes Reinette (sachet de 500 g)", "apples-pears", "kg", Decimal("20.000"), "market", Decimal("2.00")),
        ("Œufs plein air", "hen-eggs", "dozen", Decimal("20.000"), "market", Decimal("3.20")),
    ]

    again = post(partner, farm_catalog()).json()
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 4, "error": 0}
    assert Offer.objects.count() == 3 and Organization.objects.filter(name="Ferme des Trois Chênes").count() == 1

    changed = post(partner, farm_catalog(carrot_price=1.8)).json()
    assert changed["counts"] == {"created": 0, "updated": 1, "unchanged": 3, "error": 0}
    [updated] = [i for i in changed["items"] if i["status"] == "updated"]
    assert Offer.objects.get(pk=updated["object_id"]).price_per_unit == Decimal("1.80")
    assert Offer.objects.count() == 3


def test_an_expanded_document_with_full_iris_imports_the_same(clunisois, partner):
    expanded = jsonld.expand(farm_catalog())
    assert all(key.startswith("http") or key.startswith("@") for node in expanded for key in node)
    assert post(partner, expanded).json()["counts"]["created"] == 4
    farm = Organization.objects.get(name="Ferme des Trois Chênes")
    assert len(offers_of(farm)) == 3
    # The compacted form of the same catalog finds what the expanded one created.
    assert post(partner, farm_catalog()).json()["counts"] == {"created": 0, "updated": 0, "unchanged": 4, "error": 0}


def test_a_document_with_the_older_context_and_an_inline_context_is_read(clunisois, partner):
    older = farm_catalog()
    older["@context"] = "https://github.com/datafoodconsortium/ontology/releases/latest/download/context.json"
    assert post(partner, older).json()["counts"]["created"] == 4
    inline = farm_catalog()
    inline["@context"] = json.loads((jsonld.DFC_DIR / "context_2.0.0.json").read_text())["@context"]
    assert post(partner, inline).json()["counts"]["unchanged"] == 4


def test_a_minimal_document_creates_the_farm_and_says_what_it_could_not_map(clunisois, partner):
    minimal = {
        "@context": "https://www.datafoodconsortium.org",
        "@type": "dfc-b:Enterprise",
        "dfc-b:name": "Ferme minimale",
        "dfc-b:supplies": {"@type": "dfc-b:SuppliedProduct", "dfc-b:hasType": "dfc-pt:strawberry"},
    }
    report = post(partner, minimal, commune="71137").json()
    enterprise, product = report["items"]
    assert enterprise["kind"] == "Enterprise" and enterprise["status"] == "created"
    assert Organization.objects.get(pk=enterprise["object_id"]).commune.insee_code == "71137"
    assert product["status"] == "error" and "quantity" in product["errors"]
    assert {u["field"] for u in product["unmapped"]} >= {"name", "hasQuantity"}
    assert not Offer.objects.exists()
    # The same minimal document again: the same farm, found from what it says.
    again = post(partner, minimal, commune="71137").json()
    assert again["items"][0]["status"] == "unchanged"
    assert Organization.objects.filter(name="Ferme minimale").count() == 1


def test_a_bad_item_is_refused_like_any_write_and_the_others_go_on(clunisois, partner):
    document = farm_catalog()
    offers = [n for n in document["@graph"] if n["@type"] == "dfc-b:Offer"]
    offers[0]["dfc-b:stockLimitation"] = -5
    unknown = next(n for n in document["@graph"] if n["@id"].endswith("/products/eggs"))
    unknown["dfc-b:hasType"] = "dfc-pt:cosmetic"
    report = post(partner, document).json()
    assert report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "error": 2}
    by_id = {i["id"].rsplit("/", 1)[-1]: i for i in report["items"]}
    assert by_id["carrots"]["errors"]["quantity"]  # the offers input refused it, in French
    assert by_id["eggs"]["unmapped"][0]["field"] == "hasType"
    assert Offer.objects.count() == 1


def test_outside_its_territory_a_partner_creates_nothing(clunisois, partner):
    document = farm_catalog()
    address = document["@graph"][0]["dfc-b:hasAddress"]
    address["dfc-b:city"], address["dfc-b:postcode"] = "Pontarlier", "25300"
    report = post(partner, document).json()
    assert report["counts"]["error"] == 4
    assert not Organization.objects.filter(name="Ferme des Trois Chênes").exists()


def test_an_unknown_context_is_refused_and_nothing_is_fetched(clunisois, partner):
    document = farm_catalog()
    document["@context"] = "https://example.org/other-context.json"
    response = post(partner, document)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_jsonld"
    assert "example.org" in response.json()["message"]


def _farm_with_offers():
    farm = FarmFactory(name="Ferme du Mont", commune=commune("71137"))
    window = {"window_start": TODAY, "window_end": TODAY + dt.timedelta(days=10), "status": "published"}
    potatoes = Offer.objects.create(
        organization=farm,
        category=category("potatoes"),
        product_name="Pommes de terre Agria",
        quantity=300,
        unit="kg",
        pricing="market",
        price_per_unit=Decimal("1.20"),
        **window,
    )
    eggs = Offer.objects.create(
        organization=farm,
        category=category("hen-eggs"),
        product_name="Œufs",
        description="Poules en plein air",
        quantity=10,
        unit="dozen",
        pricing="donation",
        storage="chilled",
        **window,
    )
    Offer.objects.create(
        organization=farm,
        category=category("cheese"),
        product_name="Brouillon",
        quantity=1,
        unit="kg",
        pricing="donation",
        window_start=TODAY,
        window_end=TODAY,
        status="draft",
    )
    return farm, potatoes, eggs


def test_the_export_expands_to_the_expected_triples(clunisois):
    farm, potatoes, eggs = _farm_with_offers()
    response = APIClient().get(f"/api/v1/dfc/organizations/{farm.pk}/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/ld+json")
    document = response.json()
    assert document["@context"] == jsonld.CONTEXT_URL
    quads = set(jsonld.to_nquads(document).splitlines())
    base = "http://testserver"  # SITE_URL is used, whatever it is
    ent = next(n["@id"] for n in document["@graph"] if n["@type"] == "dfc-b:Enterprise")
    base = ent.rsplit("/enterprises/", 1)[0]
    sp = f"{base}/supplied-products/{potatoes.pk}"
    offer = f"{base}/offers/{potatoes.pk}"
    expected = {
        f"<{ent}> <{RDF_TYPE}> <{B}Enterprise> .",
        f'<{ent}> <{B}name> "Ferme du Mont" .',
        f"<{ent}> <{B}supplies> <{sp}> .",
        f"<{sp}> <{RDF_TYPE}> <{B}SuppliedProduct> .",
        f'<{sp}> <{B}name> "Pommes de terre Agria" .',
        f"<{sp}> <{B}hasType> <{PT}potato> .",
        f"<{base}/catalog-items/{potatoes.pk}> <{B}offeredThrough> <{offer}> .",
        f"<{offer}> <{RDF_TYPE}> <{B}Offer> .",
        f'<{offer}> <{B}stockLimitation> "300"^^<http://www.w3.org/2001/XMLSchema#integer> .',
        f"<{base}/supplied-products/{eggs.pk}> <{B}hasType> <{PT}egg> .",
    }
    assert expected <= quads, expected - quads
    assert any(q.endswith(f"<{B}hasUnit> <{M}Kilogram> .") for q in quads)
    assert any(q.endswith(f"<{B}hasUnit> <{M}Euro> .") for q in quads)
    assert any(f'<{B}value> "1.2E0"^^<http://www.w3.org/2001/XMLSchema#double>' in q for q in quads)
    # Drafts are not exported; a commune, never an address.
    assert "Brouillon" not in json.dumps(document)
    address = document["@graph"][0]["dfc-b:hasAddress"]
    assert set(address) == {"@id", "@type", "dfc-b:city", "dfc-b:postcode", "dfc-b:country"}


def test_a_round_trip_miam_dfc_miam_gives_the_same_offers(clunisois, partner):
    farm, _potatoes, _eggs = _farm_with_offers()
    exported = partner.get(f"/api/v1/dfc/territories/{clunisois.pk}/").json()
    assert [n["dfc-b:name"] for n in exported["@graph"] if n["@type"] == "dfc-b:Enterprise"] == ["Ferme du Mont"]
    report = post(partner, exported).json()
    assert report["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "error": 0}, report
    copy_ = Organization.objects.exclude(pk=farm.pk).get(name="Ferme du Mont")
    assert copy_.commune == farm.commune
    original = [o for o in offers_of(farm) if o[0] != "Brouillon"]
    assert offers_of(copy_) == original
    assert Offer.objects.get(organization=copy_, product_name="Œufs").description == "Poules en plein air"
    # And back again: nothing changes.
    assert post(partner, copy.deepcopy(exported)).json()["counts"]["unchanged"] == 3


def test_a_catalog_file_is_imported_by_a_command(clunisois, officer, tmp_path, capsys):
    path = tmp_path / "catalogue.jsonld"
    path.write_text(json.dumps(farm_catalog()), encoding="utf-8")
    call_command("dfc_import", str(path), "--by", officer.email)
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["created"] == 4
    assert DfcLink.objects.filter(kind="offer").count() == 3


def test_the_mapping_tables_name_real_categories_types_and_units():
    types, measures = jsonld.product_types(), jsonld.measures()
    assert set(jsonld.CATEGORY_TO_TYPE.values()) <= set(types)
    assert set(jsonld.TYPE_TO_CATEGORY) <= set(types)
    assert set(jsonld.MEASURE_TO_UNIT) | set(jsonld.UNIT_TO_MEASURE.values()) <= set(measures)


def test_every_category_maps_to_a_type(db):
    codes = set(ProductCategory.objects.values_list("code", flat=True))
    assert codes <= set(jsonld.CATEGORY_TO_TYPE)
    assert set(jsonld.TYPE_TO_CATEGORY.values()) <= codes
    assert jsonld.category_code_for_type("strawberry") == "berries"  # through skos:broader


@pytest.mark.parametrize("body", [[1, 2], {"@context": 5}, {"@graph": "x"}, "texte", {"@id": {"a": 1}}])
def test_a_malformed_document_is_a_400_never_a_500(clunisois, partner, body):
    response = post(partner, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"invalid_jsonld", "empty_catalog", "parse_error", "invalid"}
    assert not Offer.objects.exists()
