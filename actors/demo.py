"""Deterministic demo data: the four MIAM pilot PATs (Bourgogne-Franche-Comté) with their real
EPCI perimeters and the figures the « Livret méthodologique MIAM, phase 1 (2023-2024) » publishes, each
with the source and year the booklet gives it, and plausible farms and food-aid structures on real
communes. Two actors are real: the Ferme de Germigney and the Croix-Rouge's Panier arboisien in Arbois,
described only as far as the booklet describes them; their other settings are demo values, and say so.

Everything goes through the services, so demo data obeys the same rules as real data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import translation

from actors import inputs, services
from actors.models import Commune, Membership, Organization, Territory, TerritoryRole, User
from products.models import ProductCategory

DEMO_PASSWORD = "miam-demo-2026"
#: The booklet's name for the Croix-Rouge's branch in Arbois.
CROIX_ROUGE_ARBOIS = "Croix-Rouge – le Panier arboisien (Arbois)"
BOOKLET = "Livret méthodologique MIAM, phase 1 (2023-2024)"
DIAGNOSTIC_SOURCE = f"{BOOKLET}, § Les PAT engagés dans la démarche › Les territoires pilotes"
FOOD_AID_SOURCE = f"{BOOKLET}, sans source ni année"
POVERTY_SOURCE = ("INSEE", 2021)


@dataclass(frozen=True)
class PilotPat:
    slug: str
    name: str
    epci: str
    seat: str  # INSEE code of the carrier's seat
    carrier: str
    level: int
    year: int
    communes: int  # as the booklet gives them (the perimeter's own count is computed)
    inhabitants: int
    farms: int
    farms_year: int | None
    farms_source: str
    food_aid: int
    poverty: str
    dep_poverty: str
    social_axis: bool
    social_axis_source: str

    def diagnostic(self) -> dict:
        """The booklet's figures, each with its own source and year."""
        return {
            "published_communes_count": self.communes,
            "published_population": self.inhabitants,
            "farms_count": self.farms,
            "farms_count_year": self.farms_year,
            "farms_count_source": self.farms_source,
            "food_aid_count": self.food_aid,
            "food_aid_count_source": FOOD_AID_SOURCE,
            "poverty_rate": Decimal(self.poverty),
            "departement_poverty_rate": Decimal(self.dep_poverty),
            "poverty_rate_source": POVERTY_SOURCE[0],
            "poverty_rate_year": POVERTY_SOURCE[1],
            "has_social_justice_axis": self.social_axis,
            "social_justice_axis_source": self.social_axis_source,
            "diagnostic_source": DIAGNOSTIC_SOURCE,
            "diagnostic_year": None,
        }


PILOTS = [
    PilotPat(
        "clunisois",
        "PAT du Clunisois",
        "200040293",
        "71137",
        "Communauté de communes du Clunisois",
        2,
        2024,
        41,
        14500,
        317,
        2021,
        "Chambre d'agriculture",
        8,
        "12.0",
        "13.3",
        False,  # the booklet says nothing of a social-justice axis for this PAT
        "",
    ),
    PilotPat(
        "auxonne-pontailler",
        "PAT Auxonne – Pontailler Val de Saône",
        "200070902",
        "21038",
        "Communauté de communes Auxonne Pontailler Val de Saône",
        1,
        2021,
        35,
        23000,
        152,
        2020,
        "Chambre d'agriculture",
        6,
        "10.0",
        "11.8",
        False,
        "Le vice-président chargé du PAT dit que l'accessibilité d'une alimentation de qualité aux publics "
        "fragilisés n'avait pas été traitée jusque-là (livret MIAM, § Témoignages)",
    ),
    PilotPat(
        "coeur-du-jura",
        "PAT Cœur du Jura (Arbois, Poligny, Salins-les-Bains)",
        "200071595",
        "39434",
        "Communauté de communes Arbois, Poligny, Salins, Cœur du Jura",
        2,
        2024,
        66,
        23500,
        433,
        2022,
        "Communauté de communes Cœur du Jura",
        6,
        "11.6",
        "11.8",
        True,
        "Le PAT vise une meilleure accessibilité alimentaire (livret MIAM, § Des exemples de solidarité locale, "
        "Le Progrès, 2024)",
    ),
    PilotPat(
        "pays-de-montbeliard",
        "PAT Pays de Montbéliard Agglomération",
        "200065647",
        "25388",
        "Pays de Montbéliard Agglomération",
        1,
        2020,
        73,
        142000,
        140,
        2020,
        "Pays de Montbéliard Agglomération",
        28,
        "17.9",
        "13.1",
        True,
        "« Axe justice sociale » du PAT (livret MIAM, § Témoignages et revue de presse)",
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
        # A demo made in English has English-speaking people (their notifications are written in it).
        language = "en" if (translation.get_language() or "").startswith("en") else "fr"
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, first_name=first, last_name=last, language=language
        )
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
    return services.organization_create(by=by, data=inputs.organization_data(kwargs))


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
        territory = Territory.objects.filter(slug=pilot.slug).first()
        if territory is None:
            territory = services.territory_create(
                by=admin,
                name=pilot.name,
                slug=pilot.slug,
                level=pilot.level,
                recognized_year=pilot.year,
                carrier=carrier,
                **pilot.diagnostic(),
            )
        elif any(getattr(territory, field) != value for field, value in pilot.diagnostic().items()):
            # A demo seeded before the figures had their own sources: bring them in line with the booklet.
            territory = services.territory_update(territory=territory, by=admin, **pilot.diagnostic())
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

    # The real case told in the MIAM booklet: a heifer farm selling beef to the Croix-Rouge's local
    # branch in Arbois at a preferential price (10,80 €/kg instead of 11,80 €/kg). The booklet gives
    # no label, no commune for the farm and no capacities: the values below are the demo's.
    jura = next(t for t in territories if t.slug == "coeur-du-jura")
    arbois = jura.communes.filter(name="Arbois").first() or jura.communes.order_by("-population").first()
    farm_commune = jura.communes.filter(name__in=["Port-Lesney", "Salins-les-Bains"]).order_by("name").first() or arbois
    germigney = _org(
        admin,
        kind="farm",
        name="Ferme de Germigney",
        commune=farm_commune.insee_code,
        description=(
            "Élevage de génisses, vente directe de viande de bœuf, atelier de découpe (livret MIAM). "
            "Réserve une partie de sa viande à l'antenne de la Croix-Rouge d'Arbois, à un tarif préférentiel. "
            "Commune, rayon de livraison et véhicule : valeurs de démonstration."
        ),
        farm_profile={
            "productions": _categories(["beef"]),
            "labels": [],
            "delivery_radius_km": 25,
            "vehicle": "refrigerated",
            "accepts_donation": False,
        },
    )
    croix_rouge = _org(
        admin,
        kind="food_aid",
        name=CROIX_ROUGE_ARBOIS,
        commune=arbois.insee_code,
        description=(
            "Antenne locale de la Croix-Rouge à Arbois ; ses bénévoles préparent des colis distribués le mardi "
            "et le jeudi (livret MIAM). Capacités, budget et nombre de personnes : valeurs de démonstration."
        ),
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
    farmer = _user("producteur@demo.miam.fr", "Sacha", "Éleveur")  # not the real farmer's name
    Membership.objects.get_or_create(user=farmer, organization=germigney, defaults={"role": "admin"})
    volunteer = _user("structure@demo.miam.fr", "Dominique", "Bénévole")
    Membership.objects.get_or_create(user=volunteer, organization=croix_rouge, defaults={"role": "admin"})
    logins["producteur (Ferme de Germigney)"] = farmer.email
    logins["structure d'aide alimentaire (Croix-Rouge Arbois)"] = volunteer.email
    return {"logins": logins, "password": DEMO_PASSWORD, "territories": territories, "rng": rng}
