"""Reference rows kept in each process's memory: read on every list request, changed rarely.

The product taxonomy and the territories' slugs are looked up by every filtered list (to turn
``?category=vegetables`` or ``?territory=clunisois`` into ids, or a 400 when unknown): one
query each, per request, for rows that change a few times a year. A ``ProcessCache`` keeps
them for at most ``seconds``; a save or delete of one of its models drops it in the process
that made it (signals), and a value not found makes it read the table again once, so a
territory created a moment ago in another process is known at once. What another process
deleted or renamed is seen within ``seconds``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
_ALL: list[ProcessCache] = []


class ProcessCache(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *, models, seconds: float = 60.0) -> None:
        self.name, self.load, self.seconds = name, load, seconds
        self._value: T | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        for model in models:
            post_save.connect(self.clear, sender=model, dispatch_uid=f"refcache-save-{name}")
            post_delete.connect(self.clear, sender=model, dispatch_uid=f"refcache-delete-{name}")
        _ALL.append(self)

    def get(self, *, fresh: bool = False) -> T:
        """The rows, read again when older than ``seconds`` or when ``fresh``."""
        with self._lock:
            if fresh or self._value is None or time.monotonic() - self._loaded_at > self.seconds:
                self._value = self.load()
                self._loaded_at = time.monotonic()
            return self._value

    def clear(self, **kwargs) -> None:
        with self._lock:
            self._value = None


def clear_all() -> None:
    """Forget every process cache (tests: rows from a rolled-back test must not linger)."""
    for cache in _ALL:
        cache.clear()
