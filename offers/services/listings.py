"""Offers and needs: create, update, publish, withdraw, expire."""

__all__: list[str] = []
