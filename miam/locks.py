"""Locks that outlive no process: PostgreSQL advisory locks, held by a database session.

``advisory_lock("matching", territory_id)`` serialises the work of one key across every
process: the first holder gets it, a second caller learns it is taken (or waits, with
``wait=True``). The lock belongs to the database session, so a process killed with SIGKILL
loses it with its connection: a dead worker never leaves a lock behind.

On SQLite (the embedded default, one process running tasks in line) it is a no-op that
always grants the lock: SQLite already serialises writers.
"""

from __future__ import annotations

import contextlib
import logging
import zlib
from collections.abc import Iterator

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def lock_key(namespace: str) -> int:
    """A stable 31-bit number for a namespace (the first half of the two-number lock key)."""
    return zlib.crc32(f"miam:{namespace}".encode()) & 0x7FFFFFFF


@contextlib.contextmanager
def advisory_lock(namespace: str, key: int, *, wait: bool = False) -> Iterator[bool]:
    """Hold ``(namespace, key)`` for the block; yields whether it was granted."""
    if connection.vendor != "postgresql":
        yield True
        return
    first = lock_key(namespace)
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [first, key])
            granted = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [first, key])
            granted = bool(cursor.fetchone()[0])
    try:
        yield granted
    finally:
        if granted:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [first, key])
            except DatabaseError:  # the connection is gone, and the lock with it
                logger.warning("advisory lock %s/%s: connection lost before unlock", namespace, key)
