import pytest


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
