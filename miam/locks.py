"""Locks that outlive no process: PostgreSQL advisory locks, held by a database session.

``advisory_lock("matching", territory_id)`` serialises the work of one key across every
process: the first holder gets it, a second caller learns it is taken (or waits, with
``wait=True``). The lock belongs to the database session, so a process killed with SIGKILL
loses it with its connection: a dead worker never leaves a lock behind.

A holder that hangs (alive, its session open) must not keep the lock forever: with
``hold_seconds``, the session holding it gets PostgreSQL's ``idle_session_timeout`` and
``idle_in_transaction_session_timeout`` (and ``statement_timeout``) set to that many seconds while
it holds it, so the server itself ends a session that went quiet that long (or a statement that
ran that long), and the lock goes with it; the holder, if it ever wakes up, finds its connection
closed and writes nothing. The settings are put back when the lock is released.

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
def advisory_lock(namespace: str, key: int, *, wait: bool = False, hold_seconds: float | None = None) -> Iterator[bool]:
    """Hold ``(namespace, key)`` for the block; yields whether it was granted. With
    ``hold_seconds``, a holder quiet (or in one statement) that long loses its session."""
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
        if granted and hold_seconds:
            _session_timeouts(cursor, f"{max(1, round(hold_seconds * 1000))}ms")
    try:
        yield granted
    finally:
        if granted:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [first, key])
                    if hold_seconds:
                        _session_timeouts(cursor, None)
            except DatabaseError:  # the connection is gone, and the lock with it
                logger.warning("advisory lock %s/%s: connection lost before unlock", namespace, key)


#: What a holder's session is given while it holds a lock with ``hold_seconds``.
HOLD_TIMEOUTS = ("idle_session_timeout", "idle_in_transaction_session_timeout", "statement_timeout")


def _session_timeouts(cursor, value: str | None) -> None:
    """Set the session's timeouts (``value``), or put back the server's defaults (``None``).
    ``set_config(..., false)`` is a session setting, kept across transactions (a run commits
    several); inside a transaction that rolls back, PostgreSQL undoes it too."""
    for name in HOLD_TIMEOUTS:
        if value is None:
            cursor.execute(f"RESET {name}")
        else:
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
