"""Querysets built once per process and handed out as copies."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from django.db.models import QuerySet


def built_once(cache: dict, key: Hashable, build: Callable[[], QuerySet]) -> QuerySet:
    """A copy of the queryset ``build()`` gives, built the first time ``key`` is asked for
    and kept in ``cache``. Building a query of many named columns costs more than all of a
    list's filters. Only share a queryset that depends on nothing of the requester's, since
    each request filters its own copy. The shared queryset itself is never evaluated."""
    queryset = cache.get(key)
    if queryset is None:
        queryset = cache[key] = build()
    return queryset.all()
