import pytest


@pytest.fixture(autouse=True)
def _reference_geography(request):
    """The communes these tests place farms in (reloaded after a transactional test flushed them)."""
    if "transactional_db" not in request.fixturenames and request.node.get_closest_marker("django_db"):
        request.getfixturevalue("geo")
