"""The product taxonomy (two levels) and its unit factors, loaded by data migrations.

Each entry: code, French name, English name, storage class, default unit, typical shelf
life in days. Sub-categories inherit nothing implicitly: each states its own storage.
``UNIT_FACTORS`` says, per category, the units it is counted in and how they weigh; the
sources and assumptions are in docs/units.md (keep both in step).
"""

from decimal import Decimal

TAXONOMY = [
    (
        "vegetables",
        "Légumes",
        "Vegetables",
        "ambient",
        "kg",
        7,
        [
            ("potatoes", "Pommes de terre", "Potatoes", "ambient", "kg", 60),
            ("leafy-vegetables", "Légumes feuilles et salades", "Leafy vegetables", "chilled", "kg", 5),
            ("root-vegetables", "Légumes racines", "Root vegetables", "ambient", "kg", 30),
            ("fruiting-vegetables", "Légumes fruits (tomates, courgettes…)", "Fruiting vegetables", "ambient", "kg", 7),
            ("cabbages", "Choux", "Cabbages", "ambient", "kg", 14),
            ("squashes", "Courges", "Squashes", "ambient", "kg", 90),
            ("onions-garlic", "Oignons, ail, échalotes", "Onions and garlic", "ambient", "kg", 90),
        ],
    ),
    (
        "fruits",
        "Fruits",
        "Fruits",
        "ambient",
        "kg",
        14,
        [
            ("apples-pears", "Pommes et poires", "Apples and pears", "ambient", "kg", 60),
            ("stone-fruits", "Fruits à noyau", "Stone fruits", "ambient", "kg", 5),
            ("berries", "Petits fruits", "Berries", "chilled", "kg", 3),
            ("nuts", "Fruits à coque", "Nuts", "ambient", "kg", 180),
        ],
    ),
    (
        "eggs",
        "Œufs",
        "Eggs",
        "ambient",
        "dozen",
        28,
        [
            ("hen-eggs", "Œufs de poule", "Hen eggs", "ambient", "dozen", 28),
        ],
    ),
    (
        "dairy",
        "Produits laitiers",
        "Dairy",
        "chilled",
        "kg",
        14,
        [
            ("milk", "Lait", "Milk", "chilled", "l", 7),
            ("cheese", "Fromages", "Cheese", "chilled", "kg", 30),
            ("yoghurt", "Yaourts et desserts lactés", "Yoghurt", "chilled", "piece", 21),
            ("butter-cream", "Beurre et crème", "Butter and cream", "chilled", "kg", 30),
        ],
    ),
    (
        "meat",
        "Viandes",
        "Meat",
        "chilled",
        "kg",
        5,
        [
            ("beef", "Bœuf", "Beef", "chilled", "kg", 5),
            ("pork", "Porc", "Pork", "chilled", "kg", 5),
            ("lamb", "Agneau", "Lamb", "chilled", "kg", 5),
            ("poultry", "Volailles", "Poultry", "chilled", "kg", 4),
            ("frozen-meat", "Viandes surgelées", "Frozen meat", "frozen", "kg", 180),
            ("charcuterie", "Charcuterie", "Cured meats", "chilled", "kg", 21),
        ],
    ),
    (
        "fish",
        "Poissons",
        "Fish",
        "chilled",
        "kg",
        2,
        [
            ("fresh-fish", "Poissons frais", "Fresh fish", "chilled", "kg", 2),
            ("frozen-fish", "Poissons surgelés", "Frozen fish", "frozen", "kg", 180),
        ],
    ),
    (
        "cereals-pulses",
        "Céréales et légumineuses",
        "Cereals and pulses",
        "ambient",
        "kg",
        365,
        [
            ("cereals", "Céréales", "Cereals", "ambient", "kg", 365),
            ("pulses", "Légumineuses", "Pulses", "ambient", "kg", 365),
        ],
    ),
    (
        "flour-bread",
        "Farines et pain",
        "Flour and bread",
        "ambient",
        "kg",
        30,
        [
            ("flour", "Farines", "Flour", "ambient", "kg", 180),
            ("bread", "Pain", "Bread", "ambient", "kg", 3),
        ],
    ),
    (
        "honey",
        "Miel",
        "Honey",
        "ambient",
        "kg",
        730,
        [
            ("honey-jars", "Miel en pots", "Honey jars", "ambient", "kg", 730),
        ],
    ),
    (
        "juices-preserves",
        "Jus et conserves",
        "Juices and preserves",
        "ambient",
        "kg",
        365,
        [
            ("juices", "Jus de fruits et de légumes", "Juices", "ambient", "l", 365),
            ("preserves", "Conserves et bocaux", "Preserves", "ambient", "kg", 730),
            ("jams", "Confitures", "Jams", "ambient", "kg", 365),
        ],
    ),
    (
        "prepared-dishes",
        "Plats préparés",
        "Prepared dishes",
        "chilled",
        "kg",
        3,
        [
            ("chilled-dishes", "Plats cuisinés frais", "Chilled dishes", "chilled", "kg", 3),
            ("frozen-dishes", "Plats cuisinés surgelés", "Frozen dishes", "frozen", "kg", 90),
        ],
    ),
]


def sync_categories(ProductCategory) -> None:
    """Create or update every category of the taxonomy (works with a historical model)."""
    order = 0
    for code, name, name_en, storage, unit, shelf, children in TAXONOMY:
        order += 10
        parent, _ = ProductCategory.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "storage": storage,
                "default_unit": unit,
                "shelf_life_days": shelf,
                "sort_order": order,
                "parent": None,
            },
        )
        for c_code, c_name, c_name_en, c_storage, c_unit, c_shelf in children:
            order += 1
            ProductCategory.objects.update_or_create(
                code=c_code,
                defaults={
                    "name": c_name,
                    "name_en": c_name_en,
                    "storage": c_storage,
                    "default_unit": c_unit,
                    "shelf_life_days": c_shelf,
                    "sort_order": order,
                    "parent": parent,
                },
            )


# --- Units ------------------------------------------------------------------------------
# code → (allowed units, kg per piece, kg per litre, source). A category missing here is
# counted in kg only. Crates are weighed by the offer's own crate weight.
FRESH = ["kg", "crate"]
EGG_KG = Decimal("0.058")  # an egg of grade M (53–63 g), EU marketing standard for eggs
EGGS_SOURCE = "Œuf de calibre M (53 à 63 g) : norme de commercialisation des œufs de l'UE, milieu de classe."
MILK_KG_PER_L = Decimal("1.03")
JUICE_KG_PER_L = Decimal("1.04")
UNIT_FACTORS = {
    **dict.fromkeys(
        (
            "vegetables",
            "potatoes",
            "leafy-vegetables",
            "root-vegetables",
            "fruiting-vegetables",
            "cabbages",
            "squashes",
            "onions-garlic",
            "fruits",
            "apples-pears",
            "stone-fruits",
            "berries",
        ),
        (FRESH, None, None, "Fruits et légumes : au kg ou à la cagette (poids de la cagette de l'offre)."),
    ),
    "eggs": (["dozen", "piece", "kg"], EGG_KG, None, EGGS_SOURCE),
    "hen-eggs": (["dozen", "piece", "kg"], EGG_KG, None, EGGS_SOURCE),
    "milk": (["l", "kg"], None, MILK_KG_PER_L, "Lait de vache entier : masse volumique d'environ 1,03 kg/l à 20 °C."),
    "yoghurt": (["piece", "kg"], Decimal("0.125"), None, "Pot de yaourt standard du commerce : 125 g."),
    "juices": (["l", "kg"], None, JUICE_KG_PER_L, "Jus de fruits : environ 1,04 kg/l (eau et sucres, 10 à 12 %)."),
}


def sync_unit_factors(ProductCategory) -> None:
    """Set every category's units and factors from ``UNIT_FACTORS`` (historical model too)."""
    for category in ProductCategory.objects.all():
        units, kg_per_piece, kg_per_litre, source = UNIT_FACTORS.get(category.code, (["kg"], None, None, ""))
        if category.default_unit not in units:
            units = [category.default_unit, *units]
        category.allowed_units = list(units)
        category.kg_per_piece = kg_per_piece
        category.kg_per_litre = kg_per_litre
        category.units_source = source
        category.save(update_fields=["allowed_units", "kg_per_piece", "kg_per_litre", "units_source"])


def taxonomy_load(ProductCategory) -> None:
    """Every category with its unit factors (the current model: what both migrations do)."""
    sync_categories(ProductCategory)
    sync_unit_factors(ProductCategory)
