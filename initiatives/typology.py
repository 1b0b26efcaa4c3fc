"""Typologies of the catalog of inspiring initiatives, and how the sources' own typologies map onto them.

The primary classification is the MIAM one: four domains and the sixteen initiative types of the
benchmark, in the wording of the « Livret méthodologique MIAM, phase 1 (2023-2024) », § « La méthode ›
Benchmark d'initiatives inspirantes ». The sources describe a few actions that none of the sixteen
types holds; the catalog adds four kinds for them (``ADDED_TYPE_CODES``), rather than forcing them into
a MIAM type that says something the source does not (a farm shop is not a sale « with solidarity
pricing », a directory of producers is not a « logistics platform »):

- short-chain sales at the usual price (RESOLIS: markets, farm and producer shops, village grocers);
- awareness and training (workshops, training and support programmes);
- directories, matchmaking and information tools (directories, business meetings, one-stop shops);
- public support (a subsidy or a funding programme for local purchases).

An initiative has one primary type (``Initiative.type``) and may have secondary types where the source
supports them (``Initiative.secondary_types``). Its classification by the source itself, when the source
has one, is kept in ``Initiative.other_types`` as ``"resolis:<code>"`` or ``"cocolupa:<code>"``; the
mappings below say which catalog types each of those codes may correspond to.

Labels are French, marked for translation (``gettext_lazy``): the catalog's pages and API show them in
the visitor's language. No other Django import, so migrations and data checks can rely on this module.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# --------------------------------------------------------------------------
# Domains and types
# --------------------------------------------------------------------------

#: (code, label), the four MIAM domains in the booklet's order, then the catalog's own.
DOMAINS = [
    ("production", _("Production")),
    ("transformation", _("Transformation")),
    ("supply", _("Approvisionnement de l'aide alimentaire")),
    ("distribution", _("Commercialisation et distribution")),
    ("support", _("Accompagnement, information et soutien")),
]

#: (code, domain code, label): the sixteen MIAM types in the booklet's order, then the added kinds.
TYPES = [
    # production
    ("shared_solidarity_garden", "production", _("Jardin partagé solidaire")),
    ("integration_garden", "production", _("Jardin en insertion")),
    ("community_food_garden", "production", _("Jardin nourricier")),
    ("food_self_production", "production", _("Autoproduction alimentaire")),
    # transformation
    ("shared_processing_workshop", "transformation", _("Atelier de transformation mutualisable")),
    ("solidarity_canteen", "transformation", _("Cantine solidaire")),
    ("mobile_kitchen", "transformation", _("Cuisine itinérante")),
    ("solidarity_food_truck", "transformation", _("Food-truck solidaire")),
    # supply of food aid
    ("farm_sector_donation", "supply", _("Don d'une filière agricole")),
    ("pooled_purchasing", "supply", _("Mutualisation d'achats entre structures d'aide alimentaire")),
    ("gleaning", "supply", _("Glanage")),
    ("logistics_platform", "supply", _("Plateforme logistique de stockage de produits alimentaires")),
    # selling and distribution
    ("citizen_buying_group", "distribution", _("Groupement d'achat citoyen")),
    ("food_social_security", "distribution", _("Sécurité sociale de l'alimentation")),
    ("sustainable_food_voucher", "distribution", _("Chèque alimentaire durable")),
    (
        "solidarity_pricing_sales",
        "distribution",
        _("Vente avec tarification solidaire (paniers solidaires, marchés...)"),
    ),
    # added by the catalog (not among the sixteen MIAM types)
    ("short_chain_sales", "distribution", _("Vente en circuit court sans tarification solidaire")),
    ("awareness_training", "support", _("Sensibilisation et formation")),
    ("networking_directory", "support", _("Annuaire, mise en relation et information")),
    ("public_support", "support", _("Soutien public (subvention, programme de financement)")),
]

DOMAIN_CODES = [code for code, _label in DOMAINS]
TYPE_CODES = [code for code, _domain, _label in TYPES]
#: The sixteen types of the MIAM booklet.
MIAM_TYPE_CODES = TYPE_CODES[:16]
#: The kinds the catalog adds for actions that no MIAM type holds.
ADDED_TYPE_CODES = TYPE_CODES[16:]
#: type code -> domain code
TYPE_DOMAIN = {code: domain for code, domain, _label in TYPES}
#: type code -> label
TYPE_LABELS = {code: label for code, _domain, label in TYPES}
#: domain code -> label
DOMAIN_LABELS = dict(DOMAINS)

# --------------------------------------------------------------------------
# The sources' own typologies, and how they map onto the catalog's types
# --------------------------------------------------------------------------

#: RESOLIS 2022 typology of short food supply chains (the eight sections of its catalog).
RESOLIS_TYPES = [
    ("fairs_markets", _("Foires et marchés de plein vent")),
    ("amap_baskets", _("Vente par les AMAP et les paniers")),
    ("farm_sales", _("Vente à la ferme, par une boutique ou un stand")),
    ("producer_shops", _("Vente par les magasins de producteurs")),
    ("drives_vending", _("Vente par les drives et les distributeurs automatiques")),
    ("intermediary_sales", _("Vente par un intermédiaire : magasins spécialisés, épiceries, associations...")),
    ("support_structures", _("Structures et mesures en soutien à la vente en circuits de proximité")),
    ("digital_platforms", _("Plateformes numériques d'accompagnement de la vente en circuits de proximité")),
]

#: Cocolupa GT4 (2022): the « type de projet » of its experience sheets, and the chain lengths of its
#: panorama (figure 1), recorded only where the report places an initiative in one of them.
COCOLUPA_TYPES = [
    ("production", _("Production")),
    ("transformation", _("Transformation")),
    ("distribution", _("Distribution")),
    ("buyers_group", _("Groupement d'acheteurs")),
    ("integrated_model", _("Modèle intégré (type PTCE)")),
    ("chain_local", _("Filière solidaire locale et de qualité")),
    ("chain_mixed", _("Circuit mixte (court et long)")),
    ("chain_long", _("Filière longue")),
]

OTHER_TYPE_PREFIXES = ("resolis", "cocolupa")
OTHER_TYPES = [(f"resolis:{code}", label) for code, label in RESOLIS_TYPES] + [
    (f"cocolupa:{code}", label) for code, label in COCOLUPA_TYPES
]
OTHER_TYPE_CODES = [code for code, _label in OTHER_TYPES]
OTHER_TYPE_LABELS = dict(OTHER_TYPES)
OTHER_TYPOLOGY_NAMES = {"resolis": _("RESOLIS (circuits courts)"), "cocolupa": _("Cocolupa (filières solidaires)")}

_SALES = frozenset({"short_chain_sales", "solidarity_pricing_sales"})

#: RESOLIS type -> (catalog type to use when the sheet says nothing more, catalog types it may be).
#: The sales types default to short-chain sales: « with solidarity pricing » needs a sheet that states
#: a solidarity price, and a test checks that no RESOLIS entry is filed outside these sets.
RESOLIS_TO_CATALOG = {
    "fairs_markets": ("short_chain_sales", _SALES),
    "amap_baskets": ("citizen_buying_group", _SALES | {"citizen_buying_group"}),
    "farm_sales": ("short_chain_sales", _SALES),
    "producer_shops": ("short_chain_sales", _SALES),
    "drives_vending": ("short_chain_sales", _SALES | {"logistics_platform", "citizen_buying_group"}),
    "intermediary_sales": ("short_chain_sales", _SALES | {"citizen_buying_group"}),
    "support_structures": (
        "networking_directory",
        frozenset({"networking_directory", "logistics_platform", "public_support", "awareness_training"}),
    ),
    "digital_platforms": ("networking_directory", frozenset({"networking_directory"})),
}

#: Cocolupa project type -> catalog domains it may correspond to. Its « distribution » covers giving
#: food to food-aid structures as much as selling it, so it spans two MIAM domains; an integrated model
#: (PTCE) links several stages. Chain lengths say nothing of the domain.
COCOLUPA_TO_DOMAINS = {
    "production": frozenset({"production", "supply"}),
    "transformation": frozenset({"transformation"}),
    "distribution": frozenset({"supply", "distribution"}),
    "buyers_group": frozenset({"supply", "distribution"}),
    "integrated_model": frozenset(DOMAIN_CODES),
    "chain_local": frozenset(DOMAIN_CODES),
    "chain_mixed": frozenset(DOMAIN_CODES),
    "chain_long": frozenset(DOMAIN_CODES),
}


def other_type_compatible(code: str, types: list[str]) -> bool:
    """Whether a source's classification code agrees with the catalog types given to an initiative."""
    prefix, _sep, local = code.partition(":")
    if prefix == "resolis":
        _default, allowed = RESOLIS_TO_CATALOG[local]
        return bool(allowed & set(types))
    if prefix == "cocolupa":
        return bool(COCOLUPA_TO_DOMAINS[local] & {TYPE_DOMAIN[t] for t in types})
    return False


# --------------------------------------------------------------------------
# RESOLIS sheet fields: kinds of carrying structure, objectives, reading committee
# --------------------------------------------------------------------------

#: (code, label) of the kind of carrying structure (RESOLIS « type de structure »).
CARRIER_KINDS = [
    ("association", _("Association, collectif, ONG")),
    ("public_body", _("Établissement public")),
    ("local_authority", _("Collectivité territoriale, État")),
    ("farm", _("Exploitation agricole")),
    ("small_business", _("Petit commerce")),
    ("company", _("Entreprise")),
    ("cooperative", _("Coopérative")),
    ("integration_structure", _("Structure d'insertion par l'activité économique")),
    ("other", _("Autre")),
]
CARRIER_KIND_CODES = [code for code, _label in CARRIER_KINDS]

#: (code, label) of the families of objectives of a RESOLIS sheet (« type d'objectif »).
OBJECTIVE_KINDS = [
    ("social", _("Sociaux")),
    ("cultural", _("Culturels")),
    ("environmental", _("Environnementaux")),
    ("local_development", _("Développement local")),
    ("educational", _("Pédagogiques")),
]
OBJECTIVE_KIND_CODES = [code for code, _label in OBJECTIVE_KINDS]

#: (code, label) of the reading committee's assessments of a RESOLIS sheet.
COMMITTEE_ASSESSMENTS = [
    ("inspiration", _("Source d'inspiration")),
    ("generalise", _("À généraliser")),
]
COMMITTEE_ASSESSMENT_CODES = [code for code, _label in COMMITTEE_ASSESSMENTS]

# --------------------------------------------------------------------------
# Beneficiaries, scopes, statuses, figure qualifiers
# --------------------------------------------------------------------------

#: (code, label)
BENEFICIARIES = [
    ("everyone", _("Tout public")),
    ("rural", _("Population rurale")),
    ("urban", _("Population urbaine")),
    ("farmers", _("Agriculteurs")),
    ("women", _("Femmes")),
    ("unemployed", _("Personnes privées d'emploi")),
    ("students", _("Étudiants")),
    ("precarious_households", _("Ménages en situation de précarité")),
    ("food_aid_structures", _("Structures d'aide alimentaire")),
    ("professionals", _("Professionnels")),
]
BENEFICIARY_CODES = [code for code, _label in BENEFICIARIES]

#: (code, label) of an initiative's geographic scope.
SCOPES = [
    ("local", _("Locale")),
    ("departemental", _("Départementale")),
    ("regional", _("Régionale")),
    ("national", _("Nationale")),
    ("international", _("Internationale")),
]
SCOPE_CODES = [code for code, _label in SCOPES]

#: (code, label) of an initiative's status as last described.
STATUSES = [
    ("active", _("En activité")),
    ("stopped", _("Arrêtée")),
    ("unknown", _("Inconnu")),
]
STATUS_CODES = [code for code, _label in STATUSES]

#: (code, label) of how exactly a source gives a figure (« une trentaine », « plus de 200 »...).
FIGURE_QUALIFIERS = [
    ("", _("exactement")),
    ("about", _("environ")),
    ("more_than", _("plus de")),
    ("up_to", _("jusqu'à")),
]
FIGURE_QUALIFIER_CODES = [code for code, _label in FIGURE_QUALIFIERS]
