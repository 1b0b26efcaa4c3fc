"""REST API of the offers app, one module per resource: ``offers``, ``needs``, ``matches``
(read and act), ``runs`` (matching runs) and ``layers`` (GeoJSON). Every write calls a
service of ``offers.services``, so that the API, the pages and the jobs apply the same rules
and permissions."""

from django.urls import path

from offers.api import layers, matches, needs, offers, runs


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("offers", offers.OfferViewSet, basename="offer")
    router.register("needs", needs.NeedViewSet, basename="need")
    router.register("matches", matches.MatchViewSet, basename="match")
    router.register("matches", matches.MatchActionViewSet, basename="match-action")
    router.register("matching-runs", runs.MatchingRunViewSet, basename="matching-run")


urlpatterns: list = [
    path("geo/offers/", layers.OfferLayerView.as_view(), name="geo-offers"),
    path("geo/needs/", layers.NeedLayerView.as_view(), name="geo-needs"),
    # Before the router's ``matches/{pk}/`` so that "propose" is not taken for an id.
    path("matches/propose/", matches.MatchProposeView.as_view(), name="match-propose"),
]
