"""REST API for matches and matching runs."""


def register(router) -> None:
    """Add match viewsets to the v1 router."""


urlpatterns: list = []
