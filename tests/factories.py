"""factory_boy factories. Actors here; each app adds its own below its heading."""

from __future__ import annotations

import factory

from actors.models import (
    Commune,
    FarmProfile,
    Membership,
    Organization,
    StructureProfile,
    Territory,
    TerritoryRole,
    User,
)

__all__ = [
    "UserFactory",
    "FarmFactory",
    "FarmProfileFactory",
    "StructureProfileFactory",
    "StructureFactory",
    "OrganizationFactory",
    "TerritoryFactory",
    "commune",
    "make_officer",
    "make_member",
]


def commune(code: str) -> Commune:
    return Commune.objects.get(insee_code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Test{n}")
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-solide-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    kind = Organization.Kind.OTHER
    name = factory.Sequence(lambda n: f"Organisation {n}")
    commune = factory.LazyFunction(lambda: commune("71137"))  # Cluny
    latitude = factory.LazyAttribute(lambda o: o.commune.latitude)
    longitude = factory.LazyAttribute(lambda o: o.commune.longitude)


class FarmFactory(OrganizationFactory):
    kind = Organization.Kind.FARM
    name = factory.Sequence(lambda n: f"Ferme {n}")
    profile = factory.RelatedFactory("tests.factories.FarmProfileFactory", factory_related_name="organization")


class FarmProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FarmProfile

    delivery_radius_km = 20
    vehicle = "van"


class StructureProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StructureProfile

    structure_type = "epicerie"
    people_served_per_week = 100
    has_fridge = True
    chilled_capacity_kg = 500
    has_freezer = False
    vehicle = "van"
    pickup_radius_km = 30
    monthly_budget_eur = 300


class StructureFactory(OrganizationFactory):
    kind = Organization.Kind.FOOD_AID
    name = factory.Sequence(lambda n: f"Épicerie solidaire {n}")
    profile = factory.RelatedFactory(StructureProfileFactory, factory_related_name="organization")


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"PAT test {n}")
    slug = factory.Sequence(lambda n: f"pat-test-{n}")
    level = 1

    @factory.post_generation
    def epci_codes(obj, create, extracted, **kwargs):
        """``TerritoryFactory(epci_codes=["200040293"])`` sets the perimeter from EPCI."""
        if create:
            from actors.models import EPCI

            codes = extracted or ["200040293"]  # CC du Clunisois by default
            obj.communes.set(Commune.objects.filter(epci__in=EPCI.objects.filter(code__in=codes)))
            obj.epci_codes = ",".join(codes)
            obj.save(update_fields=["epci_codes"])


def make_officer(territory: Territory, **kwargs) -> User:
    user = UserFactory(**kwargs)
    TerritoryRole.objects.create(user=user, territory=territory, role=TerritoryRole.Role.OFFICER)
    return user


def make_member(organization: Organization, role: str = Membership.Role.ADMIN, **kwargs) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


# --- matching ---


def matching_offer(farm=None, *, category="potatoes", **fields):
    """A published offer of ``farm`` (a new farm in Cluny by default), ORM only."""
    import datetime as dt

    from django.utils import timezone

    from offers.models import Offer, Status
    from products.models import ProductCategory

    today = timezone.localdate()
    cat = ProductCategory.objects.get(code=category)
    values = {
        "product_name": cat.name,
        "quantity": 100,
        "unit": "kg",
        "window_start": today,
        "window_end": today + dt.timedelta(days=10),
        "pricing": "donation",
        "storage": cat.storage,
        "logistics": ["delivery"],
        "delivery_radius_km": 20,
        "status": Status.PUBLISHED,
    }
    values.update(fields)
    return Offer.objects.create(organization=farm or FarmFactory(), category=cat, **values)


def matching_need(structure=None, *, categories=("vegetables",), **fields):
    """A published need of ``structure`` (a new structure in Cluny by default), ORM only."""
    import datetime as dt

    from django.utils import timezone

    from offers.models import Need, Status
    from products.models import ProductCategory

    today = timezone.localdate()
    values = {
        "title": "Besoin de légumes",
        "quantity": 50,
        "unit": "kg",
        "window_start": today,
        "window_end": today + dt.timedelta(days=10),
        "accepted_pricing": "donation_only",
        "status": Status.PUBLISHED,
    }
    values.update(fields)
    need = Need.objects.create(organization=structure or StructureFactory(), **values)
    need.categories.set(ProductCategory.objects.filter(code__in=categories))
    return need


__all__ += ["matching_offer", "matching_need"]


# --- offers ---

import datetime as _dt  # noqa: E402
from decimal import Decimal as _Decimal  # noqa: E402

from django.utils import timezone as _timezone  # noqa: E402

from offers.models import Need, Offer  # noqa: E402
from products.models import ProductCategory  # noqa: E402


def category(code: str) -> ProductCategory:
    return ProductCategory.objects.get(code=code)


class OfferFactory(factory.django.DjangoModelFactory):
    """A published donation of potatoes from a farm in Cluny, available for two weeks."""

    class Meta:
        model = Offer

    organization = factory.SubFactory(FarmFactory)
    category = factory.LazyFunction(lambda: category("potatoes"))
    product_name = "Pommes de terre"
    quantity = _Decimal("100")
    unit = "kg"
    window_start = factory.LazyFunction(_timezone.localdate)
    window_end = factory.LazyFunction(lambda: _timezone.localdate() + _dt.timedelta(days=14))
    pricing = "donation"
    storage = factory.LazyAttribute(lambda o: o.category.storage)
    logistics = factory.LazyFunction(lambda: ["pickup"])
    status = "published"


class NeedFactory(factory.django.DjangoModelFactory):
    """A published need for vegetables of a structure in Cluny, over two weeks."""

    class Meta:
        model = Need
        skip_postgeneration_save = True

    organization = factory.SubFactory(StructureFactory)
    title = "Légumes pour la distribution"
    quantity = _Decimal("50")
    unit = "kg"
    window_start = factory.LazyFunction(_timezone.localdate)
    window_end = factory.LazyFunction(lambda: _timezone.localdate() + _dt.timedelta(days=14))
    status = "published"

    @factory.post_generation
    def categories(obj, create, extracted, **kwargs):
        """``NeedFactory(categories=["vegetables"])``: codes or instances; vegetables by default."""
        if create:
            wanted = extracted or ["vegetables"]
            obj.categories.set([c if isinstance(c, ProductCategory) else category(c) for c in wanted])


__all__ += ["OfferFactory", "NeedFactory", "category"]  # noqa: PLE0605


# --- meetings ---

from datetime import timedelta as _meetings_timedelta  # noqa: E402

from django.utils import timezone as _meetings_timezone  # noqa: E402

from meetings.models import Meeting as _Meeting  # noqa: E402


class MeetingFactory(factory.django.DjangoModelFactory):
    """A collective meeting in ten days, 14:00–17:00 UTC, open to the territory's actors."""

    class Meta:
        model = _Meeting
        skip_postgeneration_save = True

    territory = factory.SubFactory(TerritoryFactory)
    title = factory.Sequence(lambda n: f"Réunion collective {n}")
    kind = _Meeting.Kind.COLLECTIVE
    starts_at = factory.LazyFunction(
        lambda: (_meetings_timezone.now() + _meetings_timedelta(days=10)).replace(
            hour=14, minute=0, second=0, microsecond=0
        )
    )
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + _meetings_timedelta(hours=3))
    visibility = _Meeting.Visibility.TERRITORY


__all__ += ["MeetingFactory"]  # noqa: PLE0605


# --- initiatives ---

from initiatives.models import ActionPlan as _ActionPlan  # noqa: E402
from initiatives.models import Initiative as _Initiative  # noqa: E402


class InitiativeFactory(factory.django.DjangoModelFactory):
    """A published catalog initiative (gleaning, Jura), with its search columns filled."""

    class Meta:
        model = _Initiative
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"initiative-test-{n}")
    name = factory.Sequence(lambda n: f"Initiative test {n}")
    tagline = "Une initiative de test."
    summary = "Des bénévoles récoltent les légumes laissés au champ."
    domain = "supply"
    type = "gleaning"
    carrier_name = "Association test"
    commune_name = "Arbois"
    commune_insee = "39013"
    departement_code = "39"
    region = "Bourgogne-Franche-Comté"
    sources = factory.LazyFunction(
        lambda: [
            {"document": "miam-livret", "title": "Livret méthodologique MIAM, phase 1 (2023-2024)", "section": "test"}
        ]
    )

    @factory.post_generation
    def _search(obj, create, extracted, **kwargs):
        obj.refresh_search_fields()
        if create:
            obj.save()


class ActionPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = _ActionPlan

    territory = factory.SubFactory(TerritoryFactory)
    title = factory.LazyAttribute(lambda p: f"Plan d'action – {p.territory.name}")


__all__ += ["InitiativeFactory", "ActionPlanFactory"]  # noqa: PLE0605


# --- web ---


def web_match(offer=None, need=None, **fields):
    """A proposed match between ``offer`` and ``need`` (new ones in Cluny by default), ORM only."""
    from offers.models import Match

    offer = offer or OfferFactory()
    need = need or NeedFactory()
    values = {"quantity": _Decimal("50"), "unit": "kg", "score": 80, "distance_km": _Decimal("4.2")}
    values["explanation"] = "4 km · la ferme livre jusqu'à 20 km · couvre 100 % du besoin"
    values.update(fields)
    return Match.objects.create(offer=offer, need=need, **values)


__all__ += ["web_match"]  # noqa: PLE0605
