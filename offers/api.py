"""REST API of the offers app: serializers and viewsets, thin; rules live in services."""

from django.urls import path  # noqa: F401


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""


urlpatterns: list = []
