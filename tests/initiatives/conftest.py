import pytest


@pytest.fixture
def catalog(geo):
    """The real catalog (initiatives/data/initiatives.json), loaded through the command's service."""
    from initiatives.services import initiatives_load

    initiatives_load()
    from initiatives.models import Initiative

    return Initiative.objects.all()
