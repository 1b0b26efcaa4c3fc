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
