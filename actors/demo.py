"""Deterministic demo data: the four MIAM pilot PATs (Bourgogne-Franche-Comté) with
their real EPCI perimeters and published figures (from « Rapprochons les acteurs de l'aide
alimentaire & les agriculteurs de votre territoire — livret méthodologique MIAM, phase 1
(2023-2024) », citing Chambre d'agriculture and INSEE 2021), and plausible farms and food-aid
structures on real communes.

Everything goes through the services, so demo data obeys the same rules as real data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from actors import services
from actors.models import Commune, Membership, Organization, Territory, TerritoryRole, User
from offers.models import ProductCategory

DEMO_PASSWORD = "miam-demo-2026"
SOURCE = "Chambre d'agriculture, INSEE 2021, cités par le livret méthodologique MIAM, phase 1 (2023-2024)"


@dataclass(frozen=True)
class PilotPat:
    slug: str
    name: str
    epci: str
    seat: str  # INSEE code of the carrier's seat
    carrier: str
    level: int
    year: int
    farms: int
    farms_year: int
    food_aid: int
    poverty: str
    dep_poverty: str
    social_axis: bool


PILOTS = [
    PilotPat(
        "clunisois",
        "PAT du Clunisois",
        "200040293",
        "71137",
        "Communauté de communes du Clunisois",
        2,
        2024,
        317,
        2021,
        8,
        "12.0",
        "13.3",
        True,
    ),
    PilotPat(
        "auxonne-pontailler",
        "PAT Auxonne – Pontailler Val de Saône",
        "200070902",
        "21038",
        "Communauté de communes Auxonne Pontailler Val de Saône",
        1,
        2021,
        152,
        2020,
        6,
        "10.0",
        "11.8",
        True,
    ),
    PilotPat(
        "coeur-du-jura",
        "PAT Cœur du Jura (Arbois, Poligny, Salins-les-Bains)",
        "200071595",
        "39434",
        "Communauté de communes Arbois, Poligny, Salins, Cœur du Jura",
        2,
        2024,
        433,
        2022,
        6,
        "11.6",
        "11.8",
        True,
    ),
    PilotPat(
        "pays-de-montbeliard",
        "PAT Pays de Montbéliard Agglomération",
        "200065647",
        "25388",
        "Pays de Montbéliard Agglomération",
        1,
        2020,
        140,
        2020,
        28,
        "17.9",
        "13.1",
        True,
    ),
]

FARM_PRODUCTIONS = [
    (
        "maraîchage",
        ["leafy-vegetables", "root-vegetables", "fruiting-vegetables", "cabbages", "squashes"],
        "Les Jardins",
    ),
    ("grandes cultures", ["cereals", "pulses", "potatoes"], "EARL"),
    ("élevage bovin viande", ["beef", "frozen-meat"], "GAEC"),
    ("élevage laitier", ["milk", "cheese", "yoghurt", "butter-cream"], "GAEC"),
    ("arboriculture", ["apples-pears", "stone-fruits", "juices", "jams"], "Les Vergers"),
    ("aviculture", ["hen-eggs", "poultry"], "Ferme"),
    ("élevage ovin", ["lamb", "cheese"], "La Bergerie"),
    ("apiculture", ["honey-jars"], "Le Rucher"),
    ("paysan boulanger", ["flour", "bread"], "Le Fournil"),
    ("élevage porcin", ["pork", "charcuterie"], "Ferme"),
]
PLACE_WORDS = [
    "du Moulin",
    "des Tilleuls",
    "de la Grange",
    "du Bois Joli",
    "des Prés",
    "de la Source",
    "du Vallon",
    "des Chênes",
    "de la Côte",
    "du Pré Vert",
    "des Cerisiers",
    "de la Fontaine",
    "du Haut Champ",
    "des Saules",
]
LABEL_SETS = [[], [], ["AB"], ["AB"], ["HVE"], ["NP"], ["AB", "DEMETER"], ["LR"], ["AOP"], ["BF"]]
STRUCTURES = [
    ("epicerie", "Épicerie solidaire de {c}", 60, True, False),
    ("restos", "Restos du Cœur – centre de {c}", 180, True, True),
    ("secours_populaire", "Secours populaire – comité de {c}", 90, True, False),
    ("croix_rouge", "Croix-Rouge – unité locale de {c}", 70, True, True),
    ("ccas", "CCAS de {c}", 40, False, False),
    ("epicerie", "Épicerie sociale « Le Panier » de {c}", 50, True, False),
    ("restaurant", "Restaurant social de {c}", 120, True, True),
    ("other", "Association d'entraide de {c}", 30, False, False),
]


def _user(email: str, first: str, last: str, *, staff: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, first_name=first, last_name=last)
    user.is_staff = user.is_superuser = staff
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def _categories(codes: list[str]) -> list[ProductCategory]:
    return list(ProductCategory.objects.filter(code__in=codes))


def _pick_communes(territory: Territory, rng: random.Random, n: int) -> list[Commune]:
    communes = list(territory.communes.order_by("insee_code"))
    weights = [max(c.population, 50) for c in communes]
    return [rng.choices(communes, weights=weights)[0] for _ in range(n)]


def _org(by, **kwargs) -> Organization:
    existing = Organization.objects.filter(name=kwargs["name"], commune__insee_code=str(kwargs["commune"])).first()
    if existing:
        return existing
    return services.organization_create(by=by, **kwargs)


@transaction.atomic
def seed(*, seed_value: int = 2024, farms_divisor: int = 10) -> dict:
    """Create (or complete) the demo. Returns the demo logins by role."""
    rng = random.Random(seed_value)
    admin = _user("admin@demo.miam.fr", "Alix", "Admin", staff=True)
    logins = {"équipe MIAM (admin)": admin.email}
    territories = []
    for pilot in PILOTS:
        if not Commune.objects.filter(epci__code=pilot.epci).exists():
            raise RuntimeError(f"Communes of EPCI {pilot.epci} are missing: run load_communes first.")
        carrier = _org(admin, kind="collectivite", name=pilot.carrier, commune=pilot.seat)
        territory = Territory.objects.filter(slug=pilot.slug).first() or services.territory_create(
            by=admin,
            name=pilot.name,
            slug=pilot.slug,
            level=pilot.level,
            recognized_year=pilot.year,
            carrier=carrier,
            has_social_justice_axis=pilot.social_axis,
            farms_count=pilot.farms,
            farms_count_year=pilot.farms_year,
            food_aid_count=pilot.food_aid,
            poverty_rate=Decimal(pilot.poverty),
            departement_poverty_rate=Decimal(pilot.dep_poverty),
            diagnostic_source=SOURCE,
            diagnostic_year=2021,
        )
        services.territory_set_perimeter(territory=territory, by=admin, epci_codes=[pilot.epci])
        officer = _user(f"pat.{pilot.slug}@demo.miam.fr", "Camille", f"Chargée PAT {pilot.slug}")
        TerritoryRole.objects.get_or_create(user=officer, territory=territory, defaults={"role": "officer"})
        logins[f"chargé·e de mission — {pilot.name}"] = officer.email
        territories.append(territory)

        for i, commune in enumerate(_pick_communes(territory, rng, max(4, round(pilot.farms / farms_divisor)))):
            kind, codes, prefix = FARM_PRODUCTIONS[(i + rng.randrange(3)) % len(FARM_PRODUCTIONS)]
            delivers = rng.random() < 0.55
            _org(
                admin,
                kind="farm",
                name=f"{prefix} {rng.choice(PLACE_WORDS)} ({commune.name})",
                commune=commune.insee_code,
                description=f"Exploitation en {kind}.",
                farm_profile={
                    "productions": _categories(codes),
                    "labels": rng.choice(LABEL_SETS),
                    "delivery_radius_km": rng.choice([10, 15, 20, 30]) if delivers else 0,
                    "vehicle": rng.choice(["van", "refrigerated"]) if delivers else "none",
                    "accepts_donation": rng.random() < 0.6,
                    "accepts_solidarity_price": True,
                    "accepts_market_price": True,
                },
            )
        for i, commune in enumerate(_pick_communes(territory, rng, pilot.food_aid)):
            stype, pattern, people, fridge, freezer = STRUCTURES[i % len(STRUCTURES)]
            collects = rng.random() < 0.6
            _org(
                admin,
                kind="food_aid",
                name=pattern.format(c=commune.name),
                commune=commune.insee_code,
                structure_profile={
                    "structure_type": stype,
                    "people_served_per_week": people + rng.randrange(0, 60),
                    "distribution_days": sorted(rng.sample(range(5), 2)),
                    "distribution_hours": "14 h – 18 h",
                    "has_fridge": fridge,
                    "chilled_capacity_kg": 300 if fridge else 0,
                    "has_freezer": freezer,
                    "frozen_capacity_kg": 200 if freezer else 0,
                    "vehicle": "van" if collects else "none",
                    "pickup_radius_km": rng.choice([15, 20, 30]) if collects else 0,
                    "monthly_budget_eur": rng.choice([0, 0, 150, 300, 600]),
                    "gleaning_volunteers": rng.choice([0, 0, 3, 6]),
                },
            )

    # The real case told in the MIAM booklet: a beef farm selling to the Croix-Rouge grocery
    # in Arbois at a solidarity price (10,80 €/kg instead of 11,80 €/kg).
    jura = next(t for t in territories if t.slug == "coeur-du-jura")
    arbois = jura.communes.filter(name="Arbois").first() or jura.communes.order_by("-population").first()
    farm_commune = jura.communes.filter(name__in=["Port-Lesney", "Salins-les-Bains"]).order_by("name").first() or arbois
    germigney = _org(
        admin,
        kind="farm",
        name="Ferme de Germigney",
        commune=farm_commune.insee_code,
        description="Élevage de génisses ; vend une partie de sa viande à l'épicerie de la Croix-Rouge.",
        farm_profile={
            "productions": _categories(["beef"]),
            "labels": ["AB"],
            "delivery_radius_km": 25,
            "vehicle": "refrigerated",
            "accepts_donation": False,
        },
    )
    croix_rouge = _org(
        admin,
        kind="food_aid",
        name="Croix-Rouge – épicerie solidaire d'Arbois",
        commune=arbois.insee_code,
        structure_profile={
            "structure_type": "croix_rouge",
            "people_served_per_week": 80,
            "distribution_days": [1, 3],
            "distribution_hours": "mardi et jeudi, 14 h – 17 h",
            "has_fridge": True,
            "chilled_capacity_kg": 250,
            "has_freezer": True,
            "frozen_capacity_kg": 150,
            "vehicle": "van",
            "pickup_radius_km": 20,
            "monthly_budget_eur": 400,
            "gleaning_volunteers": 4,
        },
    )
    farmer = _user("producteur@demo.miam.fr", "Emmanuel", "Éleveur")
    Membership.objects.get_or_create(user=farmer, organization=germigney, defaults={"role": "admin"})
    volunteer = _user("structure@demo.miam.fr", "Dominique", "Bénévole")
    Membership.objects.get_or_create(user=volunteer, organization=croix_rouge, defaults={"role": "admin"})
    logins["producteur (Ferme de Germigney)"] = farmer.email
    logins["structure d'aide alimentaire (Croix-Rouge Arbois)"] = volunteer.email
    return {"logins": logins, "password": DEMO_PASSWORD, "territories": territories, "rng": rng}
