"""The product taxonomy (two levels), loaded by a data migration and kept in sync by it.

Each entry: code, French name, English name, storage class, default unit, typical shelf
life in days. Sub-categories inherit nothing implicitly: each states its own storage.
"""

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
