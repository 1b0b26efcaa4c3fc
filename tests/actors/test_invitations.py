from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from actors import services
from actors.inputs import organization_data
from actors.models import Invitation, Membership, TerritoryRole, User
from miam.errors import DomainError
from tests.factories import FarmFactory, TerritoryFactory, make_officer

#: The account an invitation creates: a name and a strong password.
ACCOUNT = {"first_name": "Line", "last_name": "Ferme", "password": "un-mot-de-passe-solide-2026"}


@pytest.fixture
def setting(geo):
    territory = TerritoryFactory()
    return territory, make_officer(territory), FarmFactory()


def _token(message) -> str:
    return message.body.split("/invitation/")[1].split("/")[0]


def test_an_invitation_emails_a_link_that_creates_the_account_and_membership(
    setting, django_capture_on_commit_callbacks
):
    _territory, officer, farm = setting
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(by=officer, email="Fermiere@Example.org", organization=farm)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["fermiere@example.org"]
    assert farm.name in mail.outbox[0].body
    user = services.invitation_accept(
        token=_token(mail.outbox[0]), password="un-mot-de-passe-solide-2026", first_name="Line", last_name="Ferme"
    )
    assert user.email == "fermiere@example.org" and user.check_password("un-mot-de-passe-solide-2026")
    assert Membership.objects.get(user=user, organization=farm).role == "admin"


def test_an_invitation_is_used_once(setting):
    _territory, officer, farm = setting
    _invitation, raw = services.invitation_create(by=officer, email="a@example.org", organization=farm)
    services.invitation_accept(token=raw, **ACCOUNT)
    with pytest.raises(DomainError) as error:
        services.invitation_accept(token=raw, **ACCOUNT)
    assert error.value.code == "invitation_used"


def test_an_expired_invitation_is_refused_and_creates_no_account(setting):
    _territory, officer, farm = setting
    invitation, raw = services.invitation_create(by=officer, email="late@example.org", organization=farm)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(DomainError) as error:
        services.invitation_accept(token=raw, **ACCOUNT)
    assert error.value.code == "invitation_expired"
    assert not User.objects.filter(email="late@example.org").exists()


def test_a_weak_password_is_refused_and_nothing_is_written(setting):
    _territory, officer, farm = setting
    _invitation, raw = services.invitation_create(by=officer, email="weak@example.org", organization=farm)
    with pytest.raises(DomainError) as error:
        services.invitation_accept(token=raw, **{**ACCOUNT, "password": "123"})
    assert "password" in error.value.fields
    assert not User.objects.filter(email="weak@example.org").exists()
    assert Invitation.objects.get(email="weak@example.org").accepted_at is None


def test_an_officer_invites_a_colleague_as_officer(setting):
    territory, officer, _farm = setting
    _invitation, raw = services.invitation_create(
        by=officer, email="collegue@example.org", territory=territory, territory_role="officer"
    )
    user = services.invitation_accept(token=raw, **ACCOUNT)
    assert TerritoryRole.objects.get(user=user, territory=territory).role == "officer"


def test_an_invalid_email_is_refused(setting):
    _territory, officer, farm = setting
    with pytest.raises(DomainError) as error:
        services.invitation_create(by=officer, email="pas-un-email", organization=farm)
    assert "email" in error.value.fields
    assert not Invitation.objects.exists()


def test_the_invitation_page_accepts_and_signs_in(setting, client):
    _territory, officer, farm = setting
    _invitation, raw = services.invitation_create(by=officer, email="page@example.org", organization=farm)
    response = client.post(
        f"/invitation/{raw}/", {"first_name": "Paul", "last_name": "Page", "password": "un-mot-de-passe-solide-2026"}
    )
    assert response.status_code == 302
    assert client.get("/profil/").status_code == 200


def test_the_invitation_page_keeps_what_was_typed_on_error(setting, client):
    _territory, officer, farm = setting
    _invitation, raw = services.invitation_create(by=officer, email="typo@example.org", organization=farm)
    response = client.post(f"/invitation/{raw}/", {"first_name": "Zoé", "last_name": "Martin", "password": "123"})
    assert response.status_code == 400
    assert 'value="Zoé"' in response.content.decode()
    assert "fr-error-text" in response.content.decode()


def test_registering_an_actor_with_a_bad_contact_email_registers_nothing(setting):
    from actors.models import Organization

    _territory, officer, _farm = setting
    before = Organization.objects.count()
    with pytest.raises(DomainError) as error:
        services.organization_register_and_invite(
            by=officer,
            email="pas-un-email",
            data=organization_data({"kind": "food_aid", "name": "Épicerie du Bourg", "commune": "71137"}),
        )
    assert "email" in error.value.fields
    assert Organization.objects.count() == before


def test_registering_an_actor_invites_its_contact_as_admin(setting):
    _territory, officer, _farm = setting
    organization, invitation = services.organization_register_and_invite(
        by=officer,
        email="contact@example.org",
        data=organization_data({"kind": "farm", "name": "Ferme du Pré", "commune": "71137"}),
    )
    assert invitation.organization == organization and invitation.organization_role == "admin"
