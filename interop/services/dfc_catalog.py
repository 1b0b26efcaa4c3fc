"""The Data Food Consortium catalog: export MIAM's farms and open offers as DFC JSON-LD,
import a partner's DFC catalog as farms and offers.

Export (``catalog_export``): each organization is a ``dfc-b:Enterprise`` (its name and its
commune, never a home address), each open offer a ``dfc-b:SuppliedProduct`` (name, product
type ``dfc-pt:``, sold by one ``dfc-m:`` unit), a ``dfc-b:CatalogItem`` and a ``dfc-b:Offer``
(price in euros per unit, stock = the quantity still available).

Import (``catalog_import``): the document is expanded and flattened with pyld (any context
style: compacted with the DFC context, or full IRIs), read by local names, and each supplied
product becomes the input of an offer (``offers.inputs.offer_data``, the same validation as a
page or the API) given to ``offers.services.listings``: created the first time, updated when
something changed, left alone otherwise, keyed by its DFC ``@id`` (``DfcLink``). Each item is
written in its own savepoint: a bad item is reported and writes nothing, the others go on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from pyld import jsonld as pyld_jsonld

from actors import inputs as actor_inputs
from actors import permissions
from actors import services as actor_services
from actors.models import PRODUCER_KINDS, Commune, Organization, Territory
from interop import jsonld
from interop.models import DfcLink
from miam.errors import DomainError
from offers.inputs import offer_data
from offers.models import OPEN_STATUSES, Offer, Pricing
from offers.services import listings

IMPORT_WINDOW_DAYS = 30


# --- Export ------------------------------------------------------------------------------


def _base() -> str:
    return f"{settings.SITE_URL}/api/v1/dfc"


def _enterprise_iri(org: Organization, links: dict[int, str]) -> str:
    return links.get(org.pk) or f"{_base()}/enterprises/{org.pk}"


def _number(value: Decimal) -> float | int:
    value = Decimal(value).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def catalog_export(*, organizations: QuerySet[Organization]) -> dict:
    """A DFC document (compacted with the DFC 2.0.0 context) of these organizations and their
    open offers."""
    organizations = list(organizations.select_related("commune").order_by("id"))
    org_ids = [o.pk for o in organizations]
    offers = list(
        Offer.objects.filter(organization_id__in=org_ids, status__in=OPEN_STATUSES)
        .select_related("category", "category__parent")
        .order_by("organization_id", "id")
    )
    org_links = dict(
        DfcLink.objects.filter(kind=DfcLink.Kind.ORGANIZATION, organization_id__in=org_ids).values_list(
            "organization_id", "iri"
        )
    )
    graph: list[dict] = []
    by_org: dict[int, list[Offer]] = {}
    for offer in offers:
        by_org.setdefault(offer.organization_id, []).append(offer)
    for org in organizations:
        iri = _enterprise_iri(org, org_links)
        own = by_org.get(org.pk, [])
        postcode = (org.commune.postal_code_list or [""])[0]
        graph.append(
            {
                "@id": iri,
                "@type": "dfc-b:Enterprise",
                "dfc-b:name": org.name,
                "dfc-b:hasAddress": {
                    "@id": f"{_base()}/addresses/{org.pk}",
                    "@type": "dfc-b:Address",
                    "dfc-b:city": org.commune.name,
                    "dfc-b:postcode": postcode,
                    "dfc-b:country": "France",
                },
                "dfc-b:supplies": [f"{_base()}/supplied-products/{o.pk}" for o in own],
                "dfc-b:manages": [f"{_base()}/catalog-items/{o.pk}" for o in own],
            }
        )
        for offer in own:
            graph.extend(_offer_nodes(offer, iri))
    return {"@context": jsonld.CONTEXT_URL, "@graph": graph}


def _offer_nodes(offer: Offer, enterprise_iri: str) -> list[dict]:
    sp, ci, of = (f"{_base()}/{kind}/{offer.pk}" for kind in ("supplied-products", "catalog-items", "offers"))
    code = offer.category.code
    type_name = jsonld.CATEGORY_TO_TYPE.get(code) or jsonld.CATEGORY_TO_TYPE.get(
        offer.category.parent.code if offer.category.parent else "", "vegetable"
    )
    product = {
        "@id": sp,
        "@type": "dfc-b:SuppliedProduct",
        "dfc-b:name": offer.product_name,
        "dfc-b:hasType": f"dfc-pt:{type_name}",
        "dfc-b:hasQuantity": {
            "@type": "dfc-b:QuantitativeValue",
            "dfc-b:hasUnit": f"dfc-m:{jsonld.UNIT_TO_MEASURE[offer.unit]}",
            "dfc-b:value": 1,
        },
        "dfc-b:suppliedBy": enterprise_iri,
    }
    if offer.description:
        product["dfc-b:description"] = offer.description
    price = offer.price_per_unit if offer.pricing != Pricing.DONATION and offer.price_per_unit else Decimal(0)
    return [
        product,
        {
            "@id": ci,
            "@type": "dfc-b:CatalogItem",
            "dfc-b:references": sp,
            "dfc-b:offeredThrough": of,
            "dfc-b:stockLimitation": _number(offer.quantity_available),
        },
        {
            "@id": of,
            "@type": "dfc-b:Offer",
            "dfc-b:offeredItem": ci,
            "dfc-b:hasPrice": {"@type": "dfc-b:Price", "dfc-b:value": _number(price), "dfc-b:hasUnit": "dfc-m:Euro"},
            "dfc-b:stockLimitation": _number(offer.quantity_available),
        },
    ]


def organizations_of_territory(territory: Territory) -> QuerySet[Organization]:
    return permissions.organizations_in_territories([territory.pk]).filter(kind__in=PRODUCER_KINDS)


# --- Import ------------------------------------------------------------------------------


@dataclass
class ItemReport:
    id: str
    kind: str
    status: str = "error"  # created, updated, unchanged, error
    object_id: int | None = None
    name: str = ""
    unmapped: list[dict] = field(default_factory=list)
    errors: dict = field(default_factory=dict)

    def note(self, field_name: str, message: str) -> None:
        self.unmapped.append({"field": field_name, "message": str(message)})

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "object_id": self.object_id,
            "name": self.name,
            "unmapped": self.unmapped,
            "errors": self.errors,
        }


@dataclass
class ImportReport:
    items: list[ItemReport] = field(default_factory=list)

    def counts(self) -> dict:
        out = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        for item in self.items:
            out[item.status] = out.get(item.status, 0) + 1
        return out

    def as_dict(self) -> dict:
        return {"counts": self.counts(), "items": [i.as_dict() for i in self.items]}


class _Graph:
    """The flattened document, read by local names (any DFC version, any context style)."""

    def __init__(self, nodes: list[dict]) -> None:
        self.nodes = {n["@id"]: n for n in nodes if "@id" in n}

    @staticmethod
    def types(node: dict) -> set[str]:
        return {jsonld.local(t) for t in node.get("@type", [])}

    @staticmethod
    def values(node: dict, name: str) -> list:
        return [v for key, vs in node.items() if not key.startswith("@") and jsonld.local(key) == name for v in vs]

    def literal(self, node: dict, name: str):
        for v in self.values(node, name):
            if "@value" in v:
                return v["@value"]
        return None

    def refs(self, node: dict, name: str) -> list[str]:
        return [v["@id"] for v in self.values(node, name) if "@id" in v]

    def node(self, iri: str) -> dict:
        return self.nodes.get(iri, {"@id": iri})

    def of_type(self, *names: str) -> list[dict]:
        return [n for n in self.nodes.values() if self.types(n) & set(names)]


def _stable_id(node: dict, *parts: str) -> str:
    """A blank node (no ``@id`` in the document) gets one from what it says, so that a second
    import of the same minimal document finds what the first one created."""
    if not node["@id"].startswith("_:"):
        return node["@id"]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    return f"urn:miam:dfc:{digest}"


def _decimal(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _commune_from(graph: _Graph, enterprise: dict) -> Commune | None:
    for address_id in graph.refs(enterprise, "hasAddress"):
        address = graph.node(address_id)
        postcode = str(graph.literal(address, "postcode") or "").strip()
        city = slugify(str(graph.literal(address, "city") or ""))
        if not postcode:
            continue
        candidates = [
            c for c in Commune.objects.filter(postal_codes__contains=postcode) if postcode in c.postal_code_list
        ]
        named = [c for c in candidates if slugify(c.name) == city]
        if len(named) == 1 or (len(candidates) == 1 and not city):
            return (named or candidates)[0]
    return None


def _context_urls(value) -> set[str]:
    """Every context a document names by URL (at any depth)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                contexts = item if isinstance(item, list) else [item]
                found.update(c for c in contexts if isinstance(c, str))
            found |= _context_urls(item)
    elif isinstance(value, list):
        for item in value:
            found |= _context_urls(item)
    return found


def parse_document(document) -> _Graph:
    unknown = sorted(_context_urls(document) - set(jsonld.CONTEXTS))
    if unknown:
        message = _(
            "Contexte JSON-LD inconnu : %(urls)s. MIAM lit les contextes DFC 1.16 et 2.0.0 sans rien télécharger."
        ) % {"urls": ", ".join(unknown)}
        raise DomainError("invalid_jsonld", message, fields={"document": [message]})
    try:
        return _Graph(jsonld.flatten(document))
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as error:
        message = _("Document JSON-LD illisible : %(error)s") % {"error": type(error).__name__}
        raise DomainError("invalid_jsonld", message, fields={"document": [message]})
    except pyld_jsonld.JsonLdError as error:
        cause = error
        while cause.__cause__ is not None:
            cause = cause.__cause__
        detail = str(cause).splitlines()[0].strip("(),'\"")[:300]
        message = _("Document JSON-LD illisible : %(error)s") % {"error": detail}
        raise DomainError("invalid_jsonld", message, fields={"document": [message]})


def catalog_import(
    *, by, document, organization: Organization | None = None, commune: Commune | None = None
) -> ImportReport:
    """Create or update farms and offers from a DFC catalog.

    ``organization``: import into this existing organization (a farm's own key or member);
    otherwise each ``dfc-b:Enterprise`` is found by its ``@id`` or created (in its address's
    commune, else ``commune``), which only an officer of that territory (or staff) may do."""
    permissions.require_write(by)
    graph = parse_document(document)
    report = ImportReport()
    enterprises = graph.of_type("Enterprise")
    products = graph.of_type("SuppliedProduct")
    if not enterprises and not products:
        message = _("Aucune entreprise ni aucun produit DFC dans ce document.")
        raise DomainError("empty_catalog", message, fields={"document": [message]})
    if organization is not None:
        permissions.require_edit_organization(by, organization)
    owners: dict[str, Organization] = {}
    for enterprise in enterprises:
        org = _enterprise_import(by, graph, enterprise, report, organization=organization, commune=commune)
        if org is not None:
            owners[enterprise["@id"]] = org
    for product in products:
        owner_iri = _owner_of(graph, product, enterprises)
        org = owners.get(owner_iri) if owner_iri else None
        if org is None and organization is not None and not enterprises:
            org = organization
        item = ItemReport(id=product["@id"], kind="SuppliedProduct", name=str(graph.literal(product, "name") or ""))
        report.items.append(item)
        if org is None:
            item.errors = {"organization": [_("Produit sans entreprise importée : il n'est rattaché à aucune ferme.")]}
            continue
        _product_import(by, graph, product, org, item)
    return report


def _owner_of(graph: _Graph, product: dict, enterprises: list[dict]) -> str | None:
    for enterprise in enterprises:
        if product["@id"] in graph.refs(enterprise, "supplies"):
            return enterprise["@id"]
        managed = graph.refs(enterprise, "manages")
        if any(product["@id"] in graph.refs(graph.node(ci), "references") for ci in managed):
            return enterprise["@id"]
    by = graph.refs(product, "suppliedBy")
    if by:
        return by[0]
    return enterprises[0]["@id"] if len(enterprises) == 1 else None


def _enterprise_import(by, graph, enterprise, report, *, organization, commune) -> Organization | None:
    name = str(graph.literal(enterprise, "name") or "").strip()
    iri = _stable_id(enterprise, "enterprise", slugify(name))
    item = ItemReport(id=iri, kind="Enterprise", name=name)
    report.items.append(item)
    link = DfcLink.objects.filter(kind=DfcLink.Kind.ORGANIZATION, iri=iri).select_related("organization").first()
    if organization is not None:
        if link is None:
            DfcLink.objects.create(kind=DfcLink.Kind.ORGANIZATION, iri=iri, organization=organization)
        item.status, item.object_id = "unchanged", organization.pk
        return organization
    if link is not None and link.organization is not None:
        if not permissions.can_edit_organization(by, link.organization):
            item.errors = {"organization": [_("Vous ne pouvez pas modifier cette organisation.")]}
            return None
        item.status, item.object_id = "unchanged", link.organization_id
        return link.organization
    if not name:
        item.errors = {"name": [_("Nom de l'entreprise absent (dfc-b:name).")]}
        return None
    place = _commune_from(graph, enterprise)
    if place is None:
        item.note(
            "hasAddress", _("Adresse absente ou commune introuvable : la commune indiquée à l'import est utilisée.")
        )
        place = commune
    if place is None:
        item.errors = {"commune": [_("Commune inconnue : indiquez-la (code INSEE) pour créer cette ferme.")]}
        return None
    try:
        with transaction.atomic():
            data = actor_inputs.organization_data(
                {"kind": Organization.Kind.FARM, "name": name[:200], "commune": place}
            )
            org = actor_services.organization_create(by=by, data=data)
            DfcLink.objects.create(kind=DfcLink.Kind.ORGANIZATION, iri=iri, organization=org)
    except DomainError as error:
        item.errors = error.fields or {"organization": [error.message]}
        return None
    item.status, item.object_id = "created", org.pk
    return org


def _product_mapping(graph: _Graph, product: dict, item: ItemReport) -> dict:
    """What the document says of this product, as an offer input (values as JSON would give
    them); what it says that MIAM cannot read is noted in the report."""
    mapping: dict = {}
    name = str(graph.literal(product, "name") or "").strip()
    types = [jsonld.local(t) for t in graph.refs(product, "hasType")]
    category = None
    for type_name in types:
        category = jsonld.category_code_for_type(type_name)
        if category:
            break
    if category:
        mapping["category"] = category
    elif types:
        item.note("hasType", _("Type de produit DFC sans équivalent : %(types)s.") % {"types": ", ".join(types)})
    else:
        item.note("hasType", _("Type de produit absent (dfc-b:hasType)."))
    if not name and types:
        name = jsonld.product_types().get(types[0], {}).get("fr") or types[0]
        item.note("name", _("Nom absent : le nom du type de produit est utilisé."))
    if name:
        mapping["product_name"] = name[:120]
    description = graph.literal(product, "description")
    if description:
        mapping["description"] = str(description)[:5000]

    # Sold by packs of ``size`` of a DFC measure; ``stock`` packs available.
    size, measure = Decimal(1), None
    for q_id in graph.refs(product, "hasQuantity"):
        q = graph.node(q_id)
        size = _decimal(graph.literal(q, "value")) or Decimal(1)
        units = [jsonld.local(u) for u in graph.refs(q, "hasUnit")]
        measure = units[0] if units else None
    unit, factor = jsonld.MEASURE_TO_UNIT.get(measure, (None, None)) if measure else (None, None)
    if measure and unit is None:
        item.note("hasUnit", _("Unité DFC sans équivalent : %(unit)s.") % {"unit": measure})
    elif measure is None:
        item.note("hasQuantity", _("Quantité ou unité absente (dfc-b:hasQuantity)."))
    offers = _offers_of(graph, product)
    stock = None
    price = None
    currency_ok = True
    for node in offers:
        stock = stock if stock is not None else _decimal(graph.literal(node, "stockLimitation"))
        for p_id in graph.refs(node, "hasPrice"):
            p = graph.node(p_id)
            price = _decimal(graph.literal(p, "value"))
            currencies = [jsonld.local(u) for u in graph.refs(p, "hasUnit")]
            if currencies and currencies[0] != "Euro":
                currency_ok = False
                item.note("hasPrice", _("Devise non prise en charge : %(unit)s.") % {"unit": currencies[0]})
        if graph.literal(node, "price") is not None and price is None:  # DFC 1.x: a plain number
            price = _decimal(graph.literal(node, "price"))
    if unit:
        per_pack = size * factor
        mapping["unit"] = unit
        if stock is None:
            item.note("stockLimitation", _("Stock absent : la quantité d'un conditionnement est proposée."))
            stock = Decimal(1)
        mapping["quantity"] = str((stock * per_pack).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))
        if price is not None and currency_ok and price > 0:
            mapping["pricing"] = Pricing.MARKET
            mapping["price_per_unit"] = str((price / per_pack).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        elif price is None:
            item.note("hasPrice", _("Prix absent : proposé en don."))
    if "pricing" not in mapping:
        mapping["pricing"] = Pricing.DONATION
        mapping["price_per_unit"] = None
    return mapping


def _offers_of(graph: _Graph, product: dict) -> list[dict]:
    """The catalog items and offers of a product (either way round)."""
    found = []
    items = [n for n in graph.of_type("CatalogItem") if product["@id"] in graph.refs(n, "references")]
    for ci in items:
        found.append(ci)
        found.extend(graph.node(o) for o in graph.refs(ci, "offeredThrough"))
    ci_ids = {ci["@id"] for ci in items}
    for offer in graph.of_type("Offer"):
        if offer not in found and (set(graph.refs(offer, "offeredItem")) & (ci_ids | {product["@id"]})):
            found.append(offer)
    # Offers first: their stock is the one on sale.
    return sorted(found, key=lambda n: 0 if "Offer" in graph.types(n) else 1)


def _differs(offer: Offer, name: str, value) -> bool:
    current = getattr(offer, name)
    if name == "category":
        return offer.category.code != value
    if isinstance(current, Decimal) or name in {"quantity", "price_per_unit"}:
        return (current is None) != (value is None) or (
            current is not None and Decimal(str(current)) != Decimal(str(value))
        )
    return (current or "") != (value or "")


def _product_import(by, graph: _Graph, product: dict, org: Organization, item: ItemReport) -> None:
    mapping = _product_mapping(graph, product, item)
    iri = _stable_id(product, "product", str(org.pk), mapping.get("product_name", ""), mapping.get("category", ""))
    item.id = iri
    link = DfcLink.objects.filter(kind=DfcLink.Kind.OFFER, iri=iri).select_related("offer", "offer__category").first()
    try:
        with transaction.atomic():
            if link is not None and link.offer is not None:
                offer = link.offer
                changed = {k: v for k, v in mapping.items() if _differs(offer, k, v)}
                item.object_id = offer.pk
                if not changed:
                    item.status = "unchanged"
                    return
                listings.offer_update(offer=offer, by=by, data=offer_data(changed, partial=True))
                item.status = "updated"
                return
            today = timezone.localdate()
            values = {
                "window_start": today.isoformat(),
                "window_end": (today + dt.timedelta(days=IMPORT_WINDOW_DAYS)).isoformat(),
                "logistics": ["pickup"],
                **mapping,
            }
            data = offer_data(values)
            if "category" not in mapping or "quantity" not in mapping:
                data.errors.raise_if_any()
                missing = "category" if "category" not in mapping else "quantity"
                raise DomainError(
                    "required",
                    _("Certaines données sont invalides."),
                    fields={missing: [_("Ce champ est obligatoire.")]},
                )
            offer = listings.offer_create(by=by, organization=org, data=data)
            DfcLink.objects.create(kind=DfcLink.Kind.OFFER, iri=iri, offer=offer)
            item.status, item.object_id = "created", offer.pk
    except DomainError as error:
        item.status = "error"
        item.errors = error.fields or {"offer": [error.message]}
