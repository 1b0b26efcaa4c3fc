"""Advisory locks: a holder with ``hold_seconds`` has its session's timeouts set while it holds
the lock, and put back after (a worker's connection is reused by its next task)."""

from __future__ import annotations

import pytest
from django.db import connection

from miam.locks import HOLD_TIMEOUTS, advisory_lock

pytestmark = pytest.mark.postgres


def _timeouts() -> dict[str, str]:
    with connection.cursor() as cursor:
        values = {}
        for name in HOLD_TIMEOUTS:
            cursor.execute(f"SHOW {name}")
            values[name] = cursor.fetchone()[0]
    return values


def test_a_holder_has_the_deadline_as_its_session_timeouts_until_it_lets_go(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL advisory locks")
    before = _timeouts()
    with advisory_lock("test-locks", 1, hold_seconds=90) as granted:
        assert granted
        assert set(_timeouts().values()) == {"90s"}
    assert _timeouts() == before
    with advisory_lock("test-locks", 1) as granted:  # without hold_seconds: nothing changes
        assert granted and _timeouts() == before
