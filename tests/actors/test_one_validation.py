"""Invitations and profiles are validated by their inputs (``actors.inputs``), which the pages
and the services share: a bad value gets the same French message through the page and through
the service, and changes nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from actors import inputs, services
from actors.models import Invitation, Organization, TerritoryRole, User
from miam.errors import DomainError
from tests.factories import FarmFactory, TerritoryFactory, UserFactory, make_officer

BAD_EMAIL = "Saisissez une adresse e-mail valide."
REQUIRED = "Ce champ est obligatoire."


@pytest.fixture
def territory(geo):
    return TerritoryFactory(name="PAT du Clunisois", slug="clunisois")


@pytest.fixture
def officer(territory):
    return make_officer(territory, email="cm.pat@example.org")


def _service_error(call) -> dict[str, list[str]]:
    with pytest.raises(DomainError) as error:
        call()
    return error.value.fields


def _page_errors(response, form: str) -> dict[str, list[str]]:
    return {name: list(messages) for name, messages in response.context[form].errors.items()}


def test_a_bad_address_to_invite_into_an_organization_is_refused_alike(client, territory, officer):
    farm = FarmFactory()
    client.force_login(officer)
    page = client.post(
        reverse("actors:invitations", args=[territory.slug]),
        {"action": "organization", "org-organization": farm.pk, "org-email": "pas-un-email"},
    )
    assert page.status_code == 400
    assert _page_errors(page, "org_form") == {"email": [BAD_EMAIL]}
    service = _service_error(lambda: services.invitation_create(by=officer, email="pas-un-email", organization=farm))
    assert service == {"email": [BAD_EMAIL]}
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_bad_territory_role_is_refused_alike(client, territory, officer):
    client.force_login(officer)
    message = "Sélectionnez un choix valide. chef n’en fait pas partie."
    page = client.post(
        reverse("actors:invitations", args=[territory.slug]),
        {"action": "team", "team-email": "collegue@example.org", "team-territory_role": "chef"},
    )
    assert _page_errors(page, "team_form") == {"territory_role": [message]}
    service = _service_error(
        lambda: services.invitation_create(
            by=officer, email="collegue@example.org", territory=territory, territory_role="chef"
        )
    )
    assert service == {"territory_role": [message]}
    assert not Invitation.objects.exists()
    # No role at all: the service asks for one whichever door.
    no_role = _service_error(
        lambda: services.invitation_create(by=officer, email="collegue@example.org", territory=territory)
    )
    page = client.post(
        reverse("actors:invitations", args=[territory.slug]),
        {"action": "team", "team-email": "collegue@example.org", "team-territory_role": ""},
    )
    assert no_role == _page_errors(page, "team_form") == {"territory_role": ["Rôle inconnu."]}
    assert not TerritoryRole.objects.exclude(user=officer).exists()


def test_registering_and_inviting_reports_every_error_at_once_and_writes_nothing(client, territory, officer):
    client.force_login(officer)
    page = client.post(
        reverse("actors:invitations", args=[territory.slug]),
        {"action": "new", "new-kind": "farm", "new-name": "", "new-commune": "71137", "new-email": "pas-un-email"},
    )
    assert _page_errors(page, "new_form") == {"name": [REQUIRED], "email": [BAD_EMAIL]}
    service = _service_error(
        lambda: services.organization_register_and_invite(
            by=officer,
            email="pas-un-email",
            data=inputs.organization_data({"kind": "farm", "name": "", "commune": "71137"}),
            territory=territory,
        )
    )
    assert service == {"name": [REQUIRED], "email": [BAD_EMAIL]}
    assert not Organization.objects.exists() and not Invitation.objects.exists()


def test_a_commune_outside_the_territory_is_refused_alike(client, territory, officer):
    """The page offers the territory's communes; the rule is the service's, so a post naming
    another commune (Besançon) gets the same answer as a call would."""
    message = "Choisissez une commune du territoire."
    client.force_login(officer)
    values = {"kind": "farm", "name": "Ferme de Besançon", "commune": "25056"}
    page = client.post(
        reverse("actors:invitations", args=[territory.slug]),
        {"action": "new", **{f"new-{k}": v for k, v in values.items()}, "new-email": "paul@ferme.example"},
    )
    assert page.status_code == 400
    assert _page_errors(page, "new_form") == {"commune": [message]}
    service = _service_error(
        lambda: services.organization_register_and_invite(
            by=officer, email="paul@ferme.example", data=inputs.organization_data(values), territory=territory
        )
    )
    assert service == {"commune": [message]}
    assert not Organization.objects.exists() and not Invitation.objects.exists()


def test_accepting_without_a_name_is_refused_alike(client, territory, officer):
    farm = FarmFactory()
    _invitation, raw = services.invitation_create(by=officer, email="line@example.org", organization=farm)
    page = client.post(f"/invitation/{raw}/", {"first_name": "Line", "last_name": "", "password": "x" * 20})
    assert page.status_code == 400
    assert _page_errors(page, "form") == {"last_name": [REQUIRED]}
    service = _service_error(
        lambda: services.invitation_accept(token=raw, first_name="Line", last_name="", password="x" * 20)
    )
    assert service == {"last_name": [REQUIRED]}
    assert not User.objects.filter(email="line@example.org").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "0" * 31, "Assurez-vous que cette valeur comporte au plus 30 caractères (actuellement 31)."),
        ("language", "de", "Sélectionnez un choix valide. de n’en fait pas partie."),
        ("first_name", "L" * 151, "Assurez-vous que cette valeur comporte au plus 150 caractères (actuellement 151)."),
    ],
)
def test_a_bad_profile_value_is_refused_alike(client, geo, field, value, message):
    me = UserFactory(first_name="Lou", phone="0601020304", language="fr")
    client.force_login(me)
    form = {"first_name": "Lou", "last_name": "", "phone": "0601020304", "language": "fr", field: value}
    page = client.post(reverse("actors:profile"), form)
    assert page.status_code == 200
    assert _page_errors(page, "form") == {field: [message]}
    assert _service_error(lambda: services.user_update(user=me, by=me, **{field: value})) == {field: [message]}
    me.refresh_from_db()
    assert (me.first_name, me.phone, me.language) == ("Lou", "0601020304", "fr")


def test_the_profile_page_shows_and_saves_the_profile(client, geo):
    me = UserFactory(first_name="Lou", language="fr", wants_daily_digest=False)
    client.force_login(me)
    form = client.get(reverse("actors:profile")).context["form"]
    assert form["first_name"].value() == "Lou" and form["language"].value() == "fr"
    response = client.post(
        reverse("actors:profile"),
        {"first_name": "Lou", "last_name": "Martin", "phone": "", "language": "en", "wants_daily_digest": "on"},
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert (me.last_name, me.language, me.wants_daily_digest, me.wants_email_notifications) == (
        "Martin",
        "en",
        True,
        False,  # an unticked box
    )
