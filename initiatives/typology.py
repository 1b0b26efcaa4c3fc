"""Typologies used by the catalog of inspiring initiatives.

Constants that data files, migrations, validators and tests can all rely on; their labels
are French, marked for translation (``gettext_lazy``: the only Django import), so that pages
and the API show them in the reader's language.

French labels of the MIAM domains and types follow the wording of the MIAM
methodological booklet (source ``000_7229e82bde55593c.txt``, section
« benchmark d'initiatives inspirantes »). The RESOLIS short-chain typology
comes from ``004_9026a486fb190f56.txt`` and the Cocolupa project types from
``001_498803352b07b053.txt``.
"""

from django.utils.translation import gettext_lazy as _

# --------------------------------------------------------------------------
# MIAM: four domains, sixteen initiative types
# --------------------------------------------------------------------------

#: (code, French label, English label), in the booklet's order.
DOMAINS = [
    ("production", _("Production"), "Production"),
    ("transformation", _("Transformation"), "Processing"),
    (
        "supply",
        _("Approvisionnement de l'aide alimentaire"),
        "Supplying food aid",
    ),
    (
        "distribution",
        _("Commercialisation et distribution"),
        "Selling and distribution",
    ),
]

#: (code, domain code, French label, English label), in the booklet's order.
TYPES = [
    # production
    ("shared_solidarity_garden", "production", _("Jardin partagé solidaire"), "Shared solidarity garden"),
    ("integration_garden", "production", _("Jardin en insertion"), "Work-integration garden"),
    ("community_food_garden", "production", _("Jardin nourricier"), "Community food garden"),
    ("food_self_production", "production", _("Autoproduction alimentaire"), "Food self-production"),
    # transformation
    (
        "shared_processing_workshop",
        "transformation",
        _("Atelier de transformation mutualisable"),
        "Shared processing workshop",
    ),
    ("solidarity_canteen", "transformation", _("Cantine solidaire"), "Solidarity canteen"),
    ("mobile_kitchen", "transformation", _("Cuisine itinérante"), "Mobile kitchen"),
    ("solidarity_food_truck", "transformation", _("Food-truck solidaire"), "Solidarity food truck"),
    # supply of food aid
    ("farm_sector_donation", "supply", _("Don d'une filière agricole"), "Donation from a farming sector"),
    (
        "pooled_purchasing",
        "supply",
        _("Mutualisation d'achats entre structures d'aide alimentaire"),
        "Pooled purchasing between food-aid structures",
    ),
    ("gleaning", "supply", _("Glanage"), "Gleaning"),
    (
        "logistics_platform",
        "supply",
        _("Plateforme logistique de stockage de produits alimentaires"),
        "Logistics and food storage platform",
    ),
    # selling and distribution
    ("citizen_buying_group", "distribution", _("Groupement d'achat citoyen"), "Citizen buying group"),
    ("food_social_security", "distribution", _("Sécurité sociale de l'alimentation"), "Social security of food"),
    ("sustainable_food_voucher", "distribution", _("Chèque alimentaire durable"), "Sustainable food voucher"),
    (
        "solidarity_pricing_sales",
        "distribution",
        _("Vente avec tarification solidaire (paniers solidaires, marchés...)"),
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
    ("fairs_markets", _("Foires et marchés de plein vent")),
    (
        "amap_baskets",
        _("Vente par les AMAP (Associations pour le Maintien de l'Agriculture Paysanne) et les paniers"),
    ),
    ("farm_sales", _("Vente à la ferme, par une boutique ou un stand")),
    ("producer_shops", _("Vente par les magasins de producteurs")),
    ("drives_vending", _("Vente par les drives et les distributeurs automatiques")),
    (
        "intermediary_sales",
        _("Vente par un intermédiaire : magasins spécialisés, épiceries, associations..."),
    ),
    ("support_structures", _("Structures et mesures en soutien à la vente en circuits de proximité")),
    (
        "digital_platforms",
        _("Plateformes numériques d'accompagnement de la vente en circuits de proximité"),
    ),
]

#: Cocolupa GT4 (2022) project types: (code, French label).
COCOLUPA_PROJECT_TYPES = [
    ("production", _("Production")),
    ("transformation", _("Transformation")),
    ("distribution", _("Distribution")),
    ("buyers_group", _("Groupement d'acheteurs (achats groupés)")),
    ("integrated_model", _("Modèle intégré (type PTCE)")),
]

#: Cocolupa GT4 chain lengths crossed with the stages above: (code, French label).
COCOLUPA_CHAIN_LENGTHS = [
    ("local", _("Filières solidaires locales et de qualité")),
    ("mixed", _("Circuits mixtes (courts et longs)")),
    ("long", _("Filières longues")),
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

#: (code, French label) of an initiative's geographic scope.
SCOPES = [
    ("local", _("Locale")),
    ("departemental", _("Départementale")),
    ("regional", _("Régionale")),
    ("national", _("Nationale")),
    ("international", _("Internationale")),
]
SCOPE_CODES = [code for code, _label in SCOPES]

#: (code, French label) of an initiative's status as last described.
STATUSES = [
    ("active", _("En activité")),
    ("stopped", _("Arrêtée")),
    ("unknown", _("Inconnu")),
]
STATUS_CODES = [code for code, _label in STATUSES]
