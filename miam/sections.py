"""Sections a higher app adds to a lower app's page, without the lower app importing it.

An organization's page (``actors``) lists its open offers and needs (``offers``): ``offers``
registers a section for the page ``"organization_detail"`` in its ``AppConfig.ready()``,
the page asks ``context("organization_detail", organization=...)`` and its template shows
what came back. The same pattern as the map's layers (``miam.maps``).
"""

from __future__ import annotations

from collections.abc import Callable

_SECTIONS: dict[str, list[Callable[..., dict]]] = {}


def register(page: str, section: Callable[..., dict]) -> None:
    if section not in _SECTIONS.setdefault(page, []):
        _SECTIONS[page].append(section)


def context(page: str, **kwargs) -> dict:
    """What every section registered for ``page`` adds to its template context."""
    out: dict = {}
    for section in _SECTIONS.get(page, []):
        out.update(section(**kwargs))
    return out
