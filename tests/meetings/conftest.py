"""Fixtures of the meetings tests: the Clunisois PAT, its officer and a few actors."""

import pytest
from django.core import mail

from tests.factories import (
    FarmFactory,
    MeetingFactory,
    OrganizationFactory,
    StructureFactory,
    TerritoryFactory,
    commune,
    make_member,
    make_officer,
)


@pytest.fixture
def territory(geo):
    return TerritoryFactory(name="PAT du Clunisois", slug="clunisois")


@pytest.fixture
def officer(territory):
    return make_officer(territory, email="officer@pat.example.org")


@pytest.fixture
def farm(territory):
    return FarmFactory(name="Ferme du Moulin")


@pytest.fixture
def structure(territory):
    return StructureFactory(name="Épicerie solidaire de Cluny", email="epicerie@example.org")


@pytest.fixture
def farmer(farm):
    return make_member(farm, email="farmer@example.org")


@pytest.fixture
def volunteer(structure):
    return make_member(structure, email="volunteer@example.org")


@pytest.fixture
def elected_user(territory):
    from actors.models import TerritoryRole
    from tests.factories import UserFactory

    user = UserFactory(email="elu@example.org")
    TerritoryRole.objects.create(user=user, territory=territory, role=TerritoryRole.Role.ELECTED)
    return user


@pytest.fixture
def outsider_org(geo):
    """An organization in Pontarlier, outside the Clunisois."""
    return OrganizationFactory(name="Association de Pontarlier", commune=commune("25462"))


@pytest.fixture
def meeting(territory, officer):
    m = MeetingFactory(territory=territory, title="Se connaître et partager ses contraintes")
    m.organizers.add(officer)
    return m


@pytest.fixture
def outbox():
    mail.outbox.clear()
    return mail.outbox


def on_the_day(meeting):
    """Bring a meeting to today (it started an hour ago): attendance is taken from its day on."""
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() - timedelta(hours=1)
    type(meeting).objects.filter(pk=meeting.pk).update(starts_at=start, ends_at=start + timedelta(hours=3))
    meeting.refresh_from_db()
    return meeting
