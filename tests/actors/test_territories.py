import pytest

from actors import services
from actors.models import Territory
from miam.errors import DomainError, NotAllowed
from tests.factories import FarmFactory, OrganizationFactory, TerritoryFactory, UserFactory, make_officer


@pytest.fixture
def staff(geo):
    return UserFactory(is_staff=True)


def test_the_clunisois_pat_has_exactly_the_41_communes_of_its_epci(staff):
    carrier = OrganizationFactory(kind="collectivite", name="CC du Clunisois")
    territory = services.territory_create(
        by=staff, name="PAT du Clunisois", epci_codes=["200040293"], carrier=carrier, level=2, recognized_year=2024
    )
    assert territory.communes.count() == 41
    assert set(territory.communes.values_list("epci__code", flat=True)) == {"200040293"}
    assert territory.population == sum(territory.communes.values_list("population", flat=True))
    assert territory.outline["type"] in {"Polygon", "MultiPolygon"}


def test_the_seeded_demo_clunisois_has_its_41_real_communes(geo):
    from actors.demo import seed

    seed()
    clunisois = Territory.objects.get(slug="clunisois")
    assert clunisois.communes.count() == 41
    assert clunisois.carrier.kind == "collectivite"
    assert clunisois.farms_count == 317


def test_the_carrier_of_a_pat_must_be_a_collectivite(staff):
    farm = FarmFactory()
    with pytest.raises(DomainError) as error:
        services.territory_create(by=staff, name="PAT X", carrier=farm)
    assert error.value.code == "wrong_kind" and "carrier" in error.value.fields
    assert not Territory.objects.filter(name="PAT X").exists()


def test_an_unknown_epci_is_refused_and_the_perimeter_is_unchanged(geo):
    territory = TerritoryFactory()
    officer = make_officer(territory)
    before = set(territory.communes.values_list("pk", flat=True))
    with pytest.raises(DomainError) as error:
        services.territory_set_perimeter(territory=territory, by=officer, epci_codes=["200040293", "123456789"])
    assert "epci_codes" in error.value.fields
    assert set(territory.communes.values_list("pk", flat=True)) == before


def test_a_perimeter_may_mix_whole_epci_and_single_communes(geo):
    territory = TerritoryFactory()
    officer = make_officer(territory)
    services.territory_set_perimeter(territory=territory, by=officer, epci_codes=["200040293"], commune_codes=["39013"])
    assert territory.communes.count() == 42


def test_only_staff_create_territories_and_only_officers_change_them(geo):
    territory = TerritoryFactory()
    someone = UserFactory()
    with pytest.raises(NotAllowed):
        services.territory_create(by=someone, name="PAT pirate")
    with pytest.raises(NotAllowed):
        services.territory_update(territory=territory, by=someone, name="Renommé")
    officer = make_officer(territory)
    services.territory_update(territory=territory, by=officer, description="Axe justice sociale")
    territory.refresh_from_db()
    assert territory.description == "Axe justice sociale"


def test_a_recognition_year_out_of_range_is_refused(geo):
    territory = TerritoryFactory()
    officer = make_officer(territory)
    with pytest.raises(DomainError) as error:
        services.territory_update(territory=territory, by=officer, recognized_year=1990)
    assert "recognized_year" in error.value.fields


def test_the_outline_of_a_pat_has_no_slivers_between_its_communes(staff):
    from shapely.geometry import shape

    territory = services.territory_create(by=staff, name="PAT du Clunisois", epci_codes=["200040293"])
    outline = shape(territory.outline)
    assert outline.geom_type == "Polygon"
    assert len(outline.interiors) <= 1  # one real enclave at most, not one hole per border
