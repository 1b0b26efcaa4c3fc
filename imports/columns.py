"""The columns each import understands, and how a cell becomes what the input layer reads.

A column has the field it fills (``farm_profile.vehicle`` for a nested one), the header of the
template and the other headers people write for it (compared once normalised: case, accents,
punctuation and spaces do not matter, so « Téléphone », « TELEPHONE » and « tél. » are one).
Columns nobody knows are ignored; their order does not matter.

A cell is only *shaped* here (« oui » → True, « AB, HVE » → a list, « 1 250,5 » → « 1250.5 »,
a choice's label → its code); the input of the use case (``actors.inputs``, ``offers.inputs``)
then validates it exactly as it would a page's field.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from actors.models import FarmProfile, StructureProfile
from miam.text import normalize
from offers.models import Logistics, Need, Pricing
from products.labels import FARM_LABELS
from products.models import Storage, Unit

YES = {"oui", "o", "yes", "y", "vrai", "true", "1", "x"}
NO = {"non", "n", "no", "faux", "false", "0"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    synonyms: tuple[str, ...] = ()
    shape: str = "text"  # text, number, count, flag, list, days, choice, date
    choices: tuple = ()  # (code, label) for a choice
    required: bool = False
    example: object = ""

    def names(self) -> set[str]:
        return {normalize(self.key.rsplit(".", 1)[-1]), normalize(str(self.header))} | {
            normalize(s) for s in self.synonyms
        }


@dataclass(frozen=True)
class Spec:
    kind: str
    columns: tuple[Column, ...]
    slug: str = ""
    extra: dict = field(default_factory=dict)

    def match(self, headers: list[str]) -> dict[int, Column]:
        """Which file column fills which field (the first one wins when two say the same)."""
        found: dict[int, Column] = {}
        taken: set[str] = set()
        for index, header in enumerate(headers):
            name = normalize(header)
            if not name:
                continue
            for column in self.columns:
                if column.key not in taken and name in column.names():
                    found[index] = column
                    taken.add(column.key)
                    break
        return found

    def missing(self, found: dict[int, Column]) -> list[Column]:
        keys = {column.key for column in found.values()}
        return [column for column in self.columns if column.required and column.key not in keys]


def shape(column: Column, value):
    """A cell as the input layer reads it; a value that cannot be shaped is left as it is
    (the input then says why it is refused)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    kind = column.shape
    if kind == "text":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return value if isinstance(value, str) else str(value)
    if kind == "number":
        if isinstance(value, str):
            return value.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
        return value
    if kind == "count":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
            return text[:-2] if text.endswith((".0", ",0")) else text
        return value
    if kind == "flag":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = normalize(str(value))
        return True if text in YES else False if text in NO else str(value)
    if kind in ("list", "days"):
        items = [item.strip() for item in str(value).replace(";", ",").split(",") if item.strip()]
        if kind == "days":
            return [_day(item) for item in items]
        if column.choices:
            return [_choice(column, item) for item in items]
        return items
    if kind == "choice":
        return _choice(column, value)
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value)
        parts = text.replace(".", "/").split("/")
        if len(parts) == 3 and all(p.isdecimal() for p in parts) and len(parts[2]) == 4:
            return f"{parts[2]}-{int(parts[1]):02d}-{int(parts[0]):02d}"  # 01/12/2026, as France writes it
        return text
    return value


def _choice(column: Column, value):
    text = normalize(str(value))
    return _choice_names(column.choices, get_language()).get(text, str(value))


@functools.lru_cache(maxsize=128)
def _choice_names(choices: tuple, language: str | None) -> dict[str, object]:
    """A column's choices by normalised code and label (the labels of the language in use),
    made once rather than for every cell; the first choice wins, as it did line by line."""
    names: dict[str, object] = {}
    for code, label in choices:
        names.setdefault(normalize(str(code)), code)
        names.setdefault(normalize(str(label)), code)
    return names


DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def _day(item: str):
    text = normalize(item)
    for index, name in enumerate(DAYS):
        if text in (name, name[:3]):
            return index
    return item


def cell_text(value) -> str:
    """A cell as the error report shows it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal | float):
        return str(value).replace(".", ",")
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


# --- The specs ------------------------------------------------------------------------------

VEHICLES = tuple(FarmProfile.Vehicle.choices)
LABELS = tuple(FARM_LABELS.items())

ORGANIZATION_COLUMNS = (
    Column(
        "name",
        _("Nom"),
        (
            "nom de l'organisation",
            "raison sociale",
            "denomination",
            "nom de la ferme",
            "nom de la structure",
            "exploitation",
            "structure",
        ),
        required=True,
        example="GAEC des Prés",
    ),
    Column(
        "commune",
        _("Commune"),
        ("code INSEE", "code commune", "ville", "localite", "insee"),
        required=True,
        example="71137",
    ),
    Column("siret", _("SIRET"), ("n° siret", "numero siret", "num siret"), example="73282932000074"),
    Column("address", _("Adresse"), ("adresse postale", "rue", "voie"), example="1 route des Prés"),
    Column("email", _("E-mail"), ("courriel", "mail", "adresse e-mail", "adresse mail", "email de contact")),
    Column("phone", _("Téléphone"), ("tel", "tél", "telephone fixe", "portable", "numero de telephone")),
    Column("website", _("Site web"), ("site", "site internet", "url", "web")),
    Column("description", _("Présentation"), ("description", "commentaire", "activite")),
)

FARMS = Spec(
    kind="farms",
    slug="fermes",
    columns=ORGANIZATION_COLUMNS
    + (
        Column(
            "farm_profile.labels",
            _("Labels"),
            ("label", "signes de qualite", "certification"),
            "list",
            LABELS,
            example="AB, HVE",
        ),
        Column(
            "farm_profile.delivery_radius_km",
            _("Livraison jusqu'à (km)"),
            ("rayon de livraison", "rayon de livraison km", "livraison km", "rayon"),
            "number",
            example="15",
        ),
        Column(
            "farm_profile.vehicle", _("Véhicule"), ("vehicule de livraison",), "choice", VEHICLES, example="utilitaire"
        ),
        Column("farm_profile.accepts_donation", _("Ouvert au don"), ("don", "dons"), "flag", example="oui"),
        Column(
            "farm_profile.accepts_solidarity_price",
            _("Ouvert au prix solidaire"),
            ("prix solidaire",),
            "flag",
            example="oui",
        ),
        Column(
            "farm_profile.accepts_market_price", _("Vend au prix du marché"), ("prix du marche",), "flag", example="oui"
        ),
        Column(
            "farm_profile.productions",
            _("Productions (codes)"),
            ("productions", "production", "produits"),
            "list",
            example="potatoes, apples-pears",
        ),
    ),
)

STRUCTURES = Spec(
    kind="structures",
    slug="structures",
    columns=ORGANIZATION_COLUMNS
    + (
        Column(
            "structure_profile.structure_type",
            _("Type de structure"),
            ("type", "reseau", "type d'structure"),
            "choice",
            tuple(StructureProfile.StructureType.choices),
            example="Épicerie sociale ou solidaire",
        ),
        Column(
            "structure_profile.people_served_per_week",
            _("Personnes accueillies par semaine"),
            ("personnes par semaine", "beneficiaires par semaine", "personnes accueillies", "beneficiaires"),
            "count",
            example="40",
        ),
        Column(
            "structure_profile.distribution_days",
            _("Jours de distribution"),
            ("jours",),
            "days",
            example="mardi, jeudi",
        ),
        Column(
            "structure_profile.distribution_hours", _("Horaires de distribution"), ("horaires",), example="14 h – 18 h"
        ),
        Column(
            "structure_profile.has_fridge",
            _("Frigo ou chambre froide"),
            ("frigo", "chambre froide", "refrigerateur"),
            "flag",
            example="oui",
        ),
        Column(
            "structure_profile.chilled_capacity_kg",
            _("Capacité réfrigérée (kg)"),
            ("capacite froid", "capacite refrigeree"),
            "count",
            example="300",
        ),
        Column("structure_profile.has_freezer", _("Congélateur"), ("congelateur",), "flag", example="non"),
        Column(
            "structure_profile.frozen_capacity_kg",
            _("Capacité congelée (kg)"),
            ("capacite congelee",),
            "count",
            example="0",
        ),
        Column("structure_profile.vehicle", _("Véhicule"), ("vehicule",), "choice", VEHICLES, example="aucun"),
        Column(
            "structure_profile.pickup_radius_km",
            _("Enlèvement jusqu'à (km)"),
            ("rayon d'enlevement", "rayon d'enlevement km", "rayon"),
            "number",
            example="20",
        ),
        Column(
            "structure_profile.monthly_budget_eur",
            _("Budget d'achat mensuel (€)"),
            ("budget", "budget mensuel", "budget mensuel eur"),
            "number",
            example="150",
        ),
        Column(
            "structure_profile.gleaning_volunteers",
            _("Bénévoles pour le glanage"),
            ("benevoles", "glaneurs"),
            "count",
            example="3",
        ),
    ),
)

LISTING_OWNER = (
    Column(
        "organization_siret", _("SIRET de l'organisation"), ("siret", "siret du producteur", "siret de la structure")
    ),
    Column(
        "organization_name",
        _("Organisation"),
        ("nom de l'organisation", "producteur", "ferme", "structure", "nom"),
        example="GAEC des Prés",
    ),
    Column("organization_commune", _("Commune de l'organisation"), ("commune", "code INSEE"), example="71137"),
)

OFFERS = Spec(
    kind="offers",
    slug="offres",
    columns=LISTING_OWNER
    + (
        Column(
            "category",
            _("Catégorie (code)"),
            ("categorie", "code categorie", "produit code"),
            required=True,
            example="potatoes",
        ),
        Column(
            "product_name",
            _("Produit"),
            ("nom du produit", "libelle", "designation"),
            required=True,
            example="Pommes de terre",
        ),
        Column("description", _("Description"), ("commentaire",)),
        Column("quantity", _("Quantité"), ("qte", "quantite disponible"), "number", required=True, example="120"),
        Column("unit", _("Unité"), ("unite",), "choice", tuple(Unit.choices), required=True, example="kg"),
        Column(
            "window_start",
            _("Disponible du"),
            ("debut", "date de debut", "du"),
            "date",
            required=True,
            example="01/12/2026",
        ),
        Column(
            "window_end",
            _("Disponible jusqu'au"),
            ("fin", "date de fin", "au"),
            "date",
            required=True,
            example="15/12/2026",
        ),
        Column("use_by", _("DLC"), ("date limite de consommation", "a consommer avant"), "date"),
        Column(
            "pricing",
            _("Condition"),
            ("prix ou don", "type de cession"),
            "choice",
            tuple(Pricing.choices),
            required=True,
            example="donation",
        ),
        Column("price_per_unit", _("Prix par unité (€)"), ("prix", "prix unitaire"), "number"),
        Column("usual_price_per_unit", _("Prix habituel par unité (€)"), ("prix habituel",), "number"),
        Column("labels", _("Labels"), ("label",), "list", LABELS),
        Column("storage", _("Conservation"), ("stockage",), "choice", tuple(Storage.choices)),
        Column("logistics", _("Acheminement"), ("logistique",), "list", tuple(Logistics.choices)),
        Column("lot_number", _("Numéro de lot"), ("lot",)),
    ),
)

NEEDS = Spec(
    kind="needs",
    slug="besoins",
    columns=LISTING_OWNER
    + (
        Column(
            "categories",
            _("Catégories (codes)"),
            ("categorie", "categories", "code categorie"),
            "list",
            required=True,
            example="potatoes, apples-pears",
        ),
        Column("title", _("Intitulé"), ("titre", "besoin", "libelle"), required=True, example="Légumes d'hiver"),
        Column("description", _("Description"), ("commentaire",)),
        Column("quantity", _("Quantité"), ("qte",), "number", required=True, example="50"),
        Column("unit", _("Unité"), ("unite",), "choice", tuple(Unit.choices), required=True, example="kg"),
        Column("window_start", _("Du"), ("debut", "date de debut"), "date", required=True, example="01/12/2026"),
        Column("window_end", _("Au"), ("fin", "date de fin"), "date", required=True, example="31/12/2026"),
        Column(
            "accepted_pricing",
            _("Conditions acceptées"),
            ("conditions",),
            "choice",
            tuple(Need.AcceptedPricing.choices),
        ),
        Column("max_price_per_unit", _("Prix maximum par unité (€)"), ("prix maximum", "prix max"), "number"),
        Column("budget_eur", _("Budget (€)"), ("budget",), "number"),
        Column("urgency", _("Urgence (1 à 3)"), ("urgence",), "count"),
    ),
)

SPECS = {spec.kind: spec for spec in (FARMS, STRUCTURES, OFFERS, NEEDS)}
