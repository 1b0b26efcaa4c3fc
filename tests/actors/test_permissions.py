"""One test per role: anonymous visitor, member, organization admin, officer, elected,
viewer, staff, API keys (read-only, organization, territory)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from actors import permissions, services
from actors.models import TerritoryRole
from miam.errors import NotAllowed
from tests.factories import (
    FarmFactory,
    StructureFactory,
    TerritoryFactory,
    UserFactory,
    commune,
    make_member,
    make_officer,
)


@pytest.fixture
def world(geo):
    territory = TerritoryFactory()  # PAT du Clunisois perimeter
    farm = FarmFactory(email="ferme@example.org", phone="03 85 00 00 01", address="Lieu-dit Le Bois")
    structure = StructureFactory()
    far_away = StructureFactory(commune=commune("25462"))
    return territory, farm, structure, far_away


def _role(user, territory, role):
    TerritoryRole.objects.create(user=user, territory=territory, role=role)
    return user


def test_anonymous_visitors_see_public_fields_only(world):
    _territory, farm, *_ = world
    visitor = AnonymousUser()
    assert not permissions.can_see_private_fields(visitor, farm)
    assert not permissions.can_edit_organization(visitor, farm)
    assert list(permissions.editable_organizations(visitor)) == []


def test_a_member_edits_and_sees_their_organization_only(world):
    _territory, farm, structure, _ = world
    member = make_member(farm, role="member")
    assert permissions.can_edit_organization(member, farm)
    assert permissions.can_see_private_fields(member, farm)
    assert not permissions.can_edit_organization(member, structure)
    assert not permissions.can_see_private_fields(member, structure)


def test_an_organization_admin_may_invite_to_it_but_not_elsewhere(world):
    _territory, farm, structure, _ = world
    admin = make_member(farm)
    invitation, _raw = services.invitation_create(by=admin, email="associe@example.org", organization=farm)
    assert invitation.organization == farm
    with pytest.raises(NotAllowed):
        services.invitation_create(by=admin, email="x@example.org", organization=structure)


def test_an_officer_manages_the_organizations_of_their_territory(world):
    territory, farm, structure, far_away = world
    officer = make_officer(territory)
    editable = set(permissions.editable_organizations(officer))
    assert {farm, structure} <= editable
    assert far_away not in editable
    assert permissions.can_manage_territory(officer, territory)


@pytest.mark.parametrize("role", [TerritoryRole.Role.ELECTED, TerritoryRole.Role.VIEWER])
def test_elected_and_viewers_read_the_territory_but_do_not_manage_it(world, role):
    territory, farm, *_ = world
    user = _role(UserFactory(), territory, role)
    assert permissions.can_see_private_fields(user, farm)
    assert not permissions.can_edit_organization(user, farm)
    assert not permissions.can_manage_territory(user, territory)


def test_staff_may_do_everything(world):
    territory, farm, _structure, far_away = world
    staff = UserFactory(is_staff=True)
    assert permissions.can_edit_organization(staff, far_away)
    assert permissions.can_manage_territory(staff, territory)


def test_a_read_only_api_key_cannot_write(world):
    territory, farm, *_ = world
    officer = make_officer(territory)
    key, _raw = services.apikey_create(by=officer, name="Lecture", territory=territory, can_write=False)
    principal = permissions.ApiKeyPrincipal(api_key=key)
    with pytest.raises(NotAllowed) as error:
        permissions.require_edit_organization(principal, farm)
    assert error.value.code == "read_only_key"


def test_an_organization_api_key_acts_for_that_organization_only(world):
    _territory, farm, structure, _ = world
    key, _raw = services.apikey_create(
        by=make_member(farm), name="Logiciel de la ferme", organization=farm, can_write=True
    )
    principal = permissions.ApiKeyPrincipal(api_key=key)
    permissions.require_edit_organization(principal, farm)
    with pytest.raises(NotAllowed):
        permissions.require_edit_organization(principal, structure)


def test_a_territory_api_key_acts_within_its_territory_only(world):
    territory, farm, _structure, far_away = world
    key, _raw = services.apikey_create(
        by=make_officer(territory), name="Plateforme régionale", territory=territory, can_write=True
    )
    principal = permissions.ApiKeyPrincipal(api_key=key)
    permissions.require_edit_organization(principal, farm)
    with pytest.raises(NotAllowed):
        permissions.require_edit_organization(principal, far_away)


def test_an_api_key_is_stored_hashed_and_revocable(world):
    territory, *_ = world
    officer = make_officer(territory)
    key, raw = services.apikey_create(by=officer, name="Partenaire", territory=territory)
    assert raw not in (key.key_hash, key.prefix) and key.key_hash == key.hash_key(raw)
    services.apikey_revoke(by=officer, key=key)
    key.refresh_from_db()
    assert not key.is_active


def test_someone_else_cannot_create_a_key_for_a_territory(world):
    territory, *_ = world
    with pytest.raises(NotAllowed):
        services.apikey_create(by=UserFactory(), name="Intrus", territory=territory)
