import pytest

from tests.factories import TerritoryFactory, make_officer


@pytest.fixture(autouse=True)
def _french(settings):
    """Messages are French unless a test asks otherwise: a request in English must not leak into the next test."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def catalog(geo):
    """The real catalog (initiatives/data/initiatives.json), loaded through the command's service."""
    from initiatives.services import initiatives_load

    initiatives_load()
    from initiatives.models import Initiative

    return Initiative.objects.all()


@pytest.fixture
def territory(geo):
    """The territory of the action-plan tests (a module may bring its own)."""
    return TerritoryFactory(name="PAT du Clunisois", slug="clunisois")


@pytest.fixture
def officer(territory):
    return make_officer(territory, first_name="Claire", last_name="Pilote")


@pytest.fixture
def plan(territory, officer):
    from initiatives import services

    return services.action_plan_get_or_create(territory=territory, by=officer)
