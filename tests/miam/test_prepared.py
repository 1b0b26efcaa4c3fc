"""The API's reads run as prepared statements on PostgreSQL (``miam.prepared``): the same
answers, PostgreSQL keeps the plan after a few runs, and the connection is left as Django
made it for everything else."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import FarmFactory, OfferFactory, TerritoryFactory

pytestmark = pytest.mark.postgres


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _read(settings, enabled: bool, paths) -> list:
    settings.DB_PREPARED_STATEMENTS = enabled
    settings.API_ANON_CACHE_SECONDS = 0
    client = APIClient()
    return [client.get(path).json() for _ in range(7) for path in paths]


@pytest.fixture
def listings(geo):
    TerritoryFactory(slug="clunisois")
    farm = FarmFactory()
    for quantity in (10, 20, 30):
        OfferFactory(organization=farm, quantity=quantity)


PATHS = ("/api/v1/offers/?category=vegetables", "/api/v1/geo/offers/", "/api/v1/offers/?territory=clunisois")


def test_the_lists_and_layers_become_prepared_statements_with_the_same_answers(settings, listings):
    from django.db.backends.postgresql.base import Cursor

    plain = _read(settings, False, PATHS)
    assert not any("offers_offer" in sql for sql in _prepared_statements())
    prepared = _read(settings, True, PATHS)
    assert prepared == plain
    statements = [sql for sql in _prepared_statements() if "offers_offer" in sql]
    assert len(statements) >= 2  # the list's page and the layer's rows
    # Outside the API's reads the connection binds on the client again, and prepares nothing.
    assert connection.connection.cursor_factory is Cursor
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = %s", ["5s"])  # a parameter server-side binding refuses
        cursor.execute("RESET statement_timeout")


def test_a_failed_read_leaves_the_connection_as_it_was(settings, listings):
    from django.db.backends.postgresql.base import Cursor

    settings.DB_PREPARED_STATEMENTS = True
    assert APIClient().get("/api/v1/offers/", {"territory": "nulle-part"}).status_code == 400
    assert connection.connection.cursor_factory is Cursor
    assert connection.connection.prepare_threshold is None


def test_api_reads_load_timestamps_in_c_to_the_same_values(listings):
    from psycopg.pq import Format

    from miam.prepared import prepared_statements

    sql = "SELECT created_at, updated_at FROM offers_offer ORDER BY id"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        plain = cursor.fetchall()
    with prepared_statements(), connection.cursor() as cursor:
        cursor.execute(sql)
        fast = cursor.fetchall()
        loader = cursor.cursor.adapters.get_loader(cursor.cursor.adapters.types["timestamptz"].oid, Format.TEXT)
    assert len(plain) == 3
    assert fast == plain
    assert [row[0].tzinfo for row in fast] == [row[0].tzinfo for row in plain]
    assert loader.__module__ == "psycopg_binary._psycopg"  # psycopg-binary is in the lock file
    # Django's own loader is still the connection's, for every other query.
    with connection.cursor() as cursor:
        assert hasattr(
            cursor.cursor.adapters.get_loader(cursor.cursor.adapters.types["timestamptz"].oid, Format.TEXT), "timezone"
        )
