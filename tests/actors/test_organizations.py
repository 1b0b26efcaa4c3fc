from decimal import Decimal

import pytest

from actors import services
from actors.inputs import organization_data
from actors.models import Membership, Organization
from miam.errors import DomainError, NotAllowed
from tests.factories import FarmFactory, StructureFactory, TerritoryFactory, UserFactory, make_member, make_officer


def _create(*, by, **values):
    return services.organization_create(by=by, data=organization_data(values))


def _update(*, organization, by, **values):
    return services.organization_update(organization=organization, by=by, data=organization_data(values, partial=True))


@pytest.fixture
def officer(geo):
    return make_officer(TerritoryFactory())


def test_officer_registers_a_farm_located_at_the_town_hall_without_geocoder(officer):
    farm = _create(
        by=officer,
        kind="farm",
        name="GAEC des Prés",
        commune="71137",
        address="1 route des Prés",
        farm_profile={"labels": ["AB"], "delivery_radius_km": 15, "vehicle": "van"},
    )
    assert farm.location_precision == "commune"
    assert (farm.latitude, farm.longitude) == (farm.commune.latitude, farm.commune.longitude)
    assert farm.farm_profile.delivery_radius_km == Decimal("15")
    # An officer registering for the territory does not become a member of the farm.
    assert not Membership.objects.filter(organization=farm).exists()


def test_a_person_registering_their_own_structure_becomes_its_admin(geo):
    user = UserFactory()
    org = _create(
        by=user,
        kind="food_aid",
        name="Épicerie du bourg",
        commune="25462",
        structure_profile={"structure_type": "epicerie", "people_served_per_week": 40},
    )
    assert Membership.objects.get(organization=org).user == user
    assert org.structure_profile.people_served_per_week == 40


def test_a_configured_geocoder_gives_the_precise_address(geo, monkeypatch, officer):
    from actors import geocoding

    class FakeBan(geocoding.Geocoder):
        def locate(self, *, address, commune):
            return geocoding.GeoPoint(latitude=46.4345, longitude=4.6590, precision="address")

    monkeypatch.setattr(geocoding, "get_geocoder", lambda: FakeBan())
    farm = _create(by=officer, kind="farm", name="Ferme", commune="71137", address="2 rue X")
    assert farm.location_precision == "address"
    assert farm.latitude == pytest.approx(46.4345)


BAD_INPUTS = [
    ({"siret": "12345678901234"}, "siret"),
    ({"siret": "1234"}, "siret"),
    ({"commune": "99999"}, "commune"),
    ({"latitude": 123.0, "longitude": 4.6}, "latitude"),
    ({"latitude": 46.0, "longitude": 200.0}, "longitude"),
    ({"kind": "spaceship"}, "kind"),
    ({"farm_profile": {"delivery_radius_km": -3}}, "farm_profile.delivery_radius_km"),
    ({"farm_profile": {"labels": ["NOT-A-LABEL"]}}, "farm_profile.labels.0"),  # as the API names it
    ({"kind": "food_aid", "farm_profile": {"delivery_radius_km": 5}}, "farm_profile"),
    ({"kind": "food_aid", "structure_profile": {"pickup_radius_km": -1}}, "structure_profile.pickup_radius_km"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUTS)
def test_bad_input_gets_a_french_field_error_and_writes_nothing(officer, overrides, field):
    data = {"by": officer, "kind": "farm", "name": "Ferme test", "commune": "71137", **overrides}
    before = Organization.objects.count()
    with pytest.raises(DomainError) as error:
        _create(**data)
    assert field in error.value.fields
    assert all(isinstance(m, str) and m for m in error.value.fields[field])
    assert Organization.objects.count() == before


def test_a_valid_siret_is_accepted_and_spaces_are_removed(officer):
    org = _create(by=officer, kind="farm", name="Ferme", commune="71137", siret="732 829 320 00074")
    assert org.siret == "73282932000074"


def test_the_la_poste_siret_rule_is_accepted(officer):
    org = _create(by=officer, kind="other", name="Bureau", commune="71137", siret="35600000049837")
    assert org.siret == "35600000049837"


def test_a_member_edits_their_organization(geo):
    farm = FarmFactory()
    member = make_member(farm)
    _update(organization=farm, by=member, description="Maraîchage bio", farm_profile={"delivery_radius_km": 12})
    farm.refresh_from_db()
    assert farm.description == "Maraîchage bio"
    assert farm.farm_profile.delivery_radius_km == 12


def test_a_member_cannot_edit_another_organization(geo):
    mine, other = FarmFactory(), FarmFactory(name="Autre ferme")
    member = make_member(mine)
    with pytest.raises(NotAllowed) as error:
        _update(organization=other, by=member, name="Piraté")
    assert error.value.status_code == 403
    other.refresh_from_db()
    assert other.name == "Autre ferme"


def test_an_officer_edits_organizations_of_their_territory_only(geo):
    officer = make_officer(TerritoryFactory())  # Clunisois
    in_territory = FarmFactory()  # Cluny
    elsewhere = StructureFactory(commune=__import__("tests.factories", fromlist=["commune"]).commune("25462"))
    _update(organization=in_territory, by=officer, phone="03 85 00 00 00")
    with pytest.raises(NotAllowed):
        _update(organization=elsewhere, by=officer, phone="03 81 00 00 00")


def test_the_kind_of_an_organization_cannot_change(geo):
    farm = FarmFactory()
    member = make_member(farm)
    with pytest.raises(DomainError) as error:
        _update(organization=farm, by=member, kind="food_aid")
    assert "kind" in error.value.fields


def test_moving_an_organization_relocates_it_to_the_new_commune(geo):
    farm = FarmFactory()
    member = make_member(farm)
    _update(organization=farm, by=member, commune="39013")
    farm.refresh_from_db()
    assert farm.commune.name == "Arbois"
    assert farm.latitude == farm.commune.latitude


def test_an_officer_moves_an_organization_within_their_territories_only(geo):
    """Moving a farm out of the territory would hand it to another territory's team: refused,
    with the reason on the commune, and nothing changes. Within the territory it moves."""
    territory = TerritoryFactory()  # the Clunisois
    officer = make_officer(territory)
    farm = FarmFactory(name="Ferme du Bourg")  # Cluny
    neighbour = territory.communes.exclude(pk=farm.commune_id).order_by("insee_code").first()
    with pytest.raises(DomainError) as error:
        _update(organization=farm, by=officer, commune="25462", name="Ferme déplacée")  # Pontarlier
    assert error.value.code == "outside_territory" and list(error.value.fields) == ["commune"]
    assert "territoire que vous animez" in error.value.fields["commune"][0]
    farm.refresh_from_db()
    assert (farm.commune.insee_code, farm.name) == ("71137", "Ferme du Bourg")
    _update(organization=farm, by=officer, commune=neighbour.insee_code)
    farm.refresh_from_db()
    assert farm.commune == neighbour and farm.latitude == neighbour.latitude


def test_the_organization_itself_and_staff_move_it_anywhere(geo, django_user_model):
    farm = FarmFactory()
    make_officer(TerritoryFactory(), email="animatrice@example.org")
    member = make_member(farm)
    _update(organization=farm, by=member, commune="25462")
    staff = django_user_model.objects.create_user("equipe@example.org", password="x" * 12, is_staff=True)
    _update(organization=farm, by=staff, commune="39013")
    farm.refresh_from_db()
    assert farm.commune.insee_code == "39013"


def test_the_directory_search_ignores_accents_and_case(geo):
    from actors.selectors import organization_list

    structure = StructureFactory(name="Épicerie solidaire du Bourg")
    assert list(organization_list(q="epicerie")) == [structure]
    assert list(organization_list(q="ÉPICERIE SOLIDAIRE")) == [structure]
    assert structure in organization_list(q="cluny")  # its commune
