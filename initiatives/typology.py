"""Typologies used by the catalog of inspiring initiatives.

Pure Python constants (no Django import) so that data files, migrations,
validators and tests can all rely on them.

French labels of the MIAM domains and types follow the wording of the MIAM
methodological booklet (source ``000_7229e82bde55593c.txt``, section
« benchmark d'initiatives inspirantes »). The RESOLIS short-chain typology
comes from ``004_9026a486fb190f56.txt`` and the Cocolupa project types from
``001_498803352b07b053.txt``.
"""

# --------------------------------------------------------------------------
# MIAM: four domains, sixteen initiative types
# --------------------------------------------------------------------------

#: (code, French label, English label), in the booklet's order.
DOMAINS = [
    ("production", "Production", "Production"),
    ("transformation", "Transformation", "Processing"),
    (
        "supply",
        "Approvisionnement de l'aide alimentaire",
        "Supplying food aid",
    ),
    (
        "distribution",
        "Commercialisation et distribution",
        "Selling and distribution",
    ),
]

#: (code, domain code, French label, English label), in the booklet's order.
TYPES = [
    # production
    ("shared_solidarity_garden", "production", "Jardin partagé solidaire", "Shared solidarity garden"),
    ("integration_garden", "production", "Jardin en insertion", "Work-integration garden"),
    ("community_food_garden", "production", "Jardin nourricier", "Community food garden"),
    ("food_self_production", "production", "Autoproduction alimentaire", "Food self-production"),
    # transformation
    (
        "shared_processing_workshop",
        "transformation",
        "Atelier de transformation mutualisable",
        "Shared processing workshop",
    ),
    ("solidarity_canteen", "transformation", "Cantine solidaire", "Solidarity canteen"),
    ("mobile_kitchen", "transformation", "Cuisine itinérante", "Mobile kitchen"),
    ("solidarity_food_truck", "transformation", "Food-truck solidaire", "Solidarity food truck"),
    # supply of food aid
    ("farm_sector_donation", "supply", "Don d'une filière agricole", "Donation from a farming sector"),
    (
        "pooled_purchasing",
        "supply",
        "Mutualisation d'achats entre structures d'aide alimentaire",
        "Pooled purchasing between food-aid structures",
    ),
    ("gleaning", "supply", "Glanage", "Gleaning"),
    (
        "logistics_platform",
        "supply",
        "Plateforme logistique de stockage de produits alimentaires",
        "Logistics and food storage platform",
    ),
    # selling and distribution
    ("citizen_buying_group", "distribution", "Groupement d'achat citoyen", "Citizen buying group"),
    ("food_social_security", "distribution", "Sécurité sociale de l'alimentation", "Social security of food"),
    ("sustainable_food_voucher", "distribution", "Chèque alimentaire durable", "Sustainable food voucher"),
    (
        "solidarity_pricing_sales",
        "distribution",
        "Vente avec tarification solidaire (paniers solidaires, marchés...)",
        "Sales with solidarity pricing (solidarity baskets, markets...)",
    ),
]

DOMAIN_CODES = [code for code, _fr, _en in DOMAINS]
TYPE_CODES = [code for code, _domain, _fr, _en in TYPES]
#: type code -> domain code
TYPE_DOMAIN = {code: domain for code, domain, _fr, _en in TYPES}
#: type code -> French label
TYPE_LABELS = {code: fr for code, _domain, fr, _en in TYPES}
#: domain code -> French label
DOMAIN_LABELS = {code: fr for code, fr, _en in DOMAINS}

# --------------------------------------------------------------------------
# Other typologies found in the sources
# --------------------------------------------------------------------------

#: RESOLIS 2022 typology of short food supply chains: (code, French label).
RESOLIS_TYPES = [
    ("fairs_markets", "Foires et marchés de plein vent"),
    (
        "amap_baskets",
        "Vente par les AMAP (Associations pour le Maintien de l'Agriculture Paysanne) et les paniers",
    ),
    ("farm_sales", "Vente à la ferme, par une boutique ou un stand"),
    ("producer_shops", "Vente par les magasins de producteurs"),
    ("drives_vending", "Vente par les drives et les distributeurs automatiques"),
    (
        "intermediary_sales",
        "Vente par un intermédiaire : magasins spécialisés, épiceries, associations...",
    ),
    ("support_structures", "Structures et mesures en soutien à la vente en circuits de proximité"),
    (
        "digital_platforms",
        "Plateformes numériques d'accompagnement de la vente en circuits de proximité",
    ),
]

#: Cocolupa GT4 (2022) project types: (code, French label).
COCOLUPA_PROJECT_TYPES = [
    ("production", "Production"),
    ("transformation", "Transformation"),
    ("distribution", "Distribution"),
    ("buyers_group", "Groupement d'acheteurs (achats groupés)"),
    ("integrated_model", "Modèle intégré (type PTCE)"),
]

#: Cocolupa GT4 chain lengths crossed with the stages above: (code, French label).
COCOLUPA_CHAIN_LENGTHS = [
    ("local", "Filières solidaires locales et de qualité"),
    ("mixed", "Circuits mixtes (courts et longs)"),
    ("long", "Filières longues"),
]

#: Prefixes used in an initiative's ``other_types`` ("resolis:farm_sales").
OTHER_TYPE_PREFIXES = ("resolis", "cocolupa")

OTHER_TYPE_CODES = [f"resolis:{code}" for code, _label in RESOLIS_TYPES] + [
    f"cocolupa:{code}" for code, _label in COCOLUPA_PROJECT_TYPES
]

#: Closest MIAM type for each code of the other typologies.
OTHER_TO_MIAM = {
    "resolis:fairs_markets": "solidarity_pricing_sales",
    "resolis:amap_baskets": "citizen_buying_group",
    "resolis:farm_sales": "solidarity_pricing_sales",
    "resolis:producer_shops": "solidarity_pricing_sales",
    "resolis:drives_vending": "solidarity_pricing_sales",
    "resolis:intermediary_sales": "solidarity_pricing_sales",
    "resolis:support_structures": "logistics_platform",
    "resolis:digital_platforms": "logistics_platform",
    "cocolupa:production": "integration_garden",
    "cocolupa:transformation": "shared_processing_workshop",
    "cocolupa:distribution": "solidarity_pricing_sales",
    "cocolupa:buyers_group": "citizen_buying_group",
    "cocolupa:integrated_model": "shared_processing_workshop",
}

# --------------------------------------------------------------------------
# Beneficiaries, scopes, statuses
# --------------------------------------------------------------------------

#: (code, French label)
BENEFICIARIES = [
    ("everyone", "Tout public"),
    ("rural", "Population rurale"),
    ("urban", "Population urbaine"),
    ("farmers", "Agriculteurs"),
    ("women", "Femmes"),
    ("unemployed", "Personnes privées d'emploi"),
    ("students", "Étudiants"),
    ("precarious_households", "Ménages en situation de précarité"),
    ("food_aid_structures", "Structures d'aide alimentaire"),
    ("professionals", "Professionnels"),
]
BENEFICIARY_CODES = [code for code, _label in BENEFICIARIES]

#: (code, French label) of an initiative's geographic scope.
SCOPES = [
    ("local", "Locale"),
    ("departemental", "Départementale"),
    ("regional", "Régionale"),
    ("national", "Nationale"),
    ("international", "Internationale"),
]
SCOPE_CODES = [code for code, _label in SCOPES]

#: (code, French label) of an initiative's status as last described.
STATUSES = [
    ("active", "En activité"),
    ("stopped", "Arrêtée"),
    ("unknown", "Inconnu"),
]
STATUS_CODES = [code for code, _label in STATUSES]
