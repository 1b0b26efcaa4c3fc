"""Prepared statements for the API's hot reads (PostgreSQL).

Django binds parameters on the client (psycopg's ``ClientCursor``) and disables psycopg's
prepared statements, so PostgreSQL parses and plans every query anew: for the offers list
that planning costs about as much as running it. Inside ``prepared_statements()``, queries on
this thread's connection are bound on the server (``ServerBindingCursor``) and psycopg
prepares a statement once the same SQL has run ``PREPARE_THRESHOLD`` times on the connection
(then PostgreSQL skips parsing, and planning once it settles on a generic plan). Their
timestamps are read by psycopg's C loader (``psycopg-binary``) rather than Django's Python
subclass of the pure-Python one: the same aware datetimes in the session's time zone (UTC,
which Django sets); a page of 50 offers reads 100 of them, and its Python CPU went down by
1.2 to 2.5 ms a request (three alternating in-process runs). The C loader is reached through
psycopg's private ``_cmodule``: tests/miam/test_prepared.py fails if an upgrade moves it, and
without it (pure-Python psycopg) Django's loader stays.

Only the API's reads go through it (``miam.middleware.PreparedApiReadsMiddleware``: every GET
and HEAD under ``/api/``): the ORM's queries are the same SQL either way, Django supports
server-side binding as an option, and a read sends no ``SET`` or DDL with parameters, which
server-side binding refuses. A streamed export's rows, read after the view returned, are read
the usual way. Off when ``DB_PREPARED_STATEMENTS`` is
false (a transaction-pooling PgBouncer cannot keep a session's prepared statements) and on
any other database.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

from django.conf import settings
from django.db import connection

#: Runs of the same SQL on a connection before psycopg prepares it (psycopg's own default).
PREPARE_THRESHOLD = 5


@functools.cache
def _read_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    try:
        from psycopg import _cmodule

        c_loader = _cmodule._psycopg.TimestamptzLoader if _cmodule._psycopg else None
    except (ImportError, AttributeError):  # pure-Python psycopg: Django's loader
        c_loader = None
    if c_loader is None or not settings.USE_TZ:
        return ServerBindingCursor

    class ApiReadCursor(ServerBindingCursor):
        """Server-side binding, timestamps read in C. The loader is set on the cursor only:
        Django checks the connection's loader (its ``timezone``) when it makes a cursor."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.adapters.register_loader("timestamptz", c_loader)

    return ApiReadCursor


@contextlib.contextmanager
def prepared_statements() -> Iterator[None]:
    if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    factory, threshold = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory, raw.prepare_threshold = _read_cursor_class(), PREPARE_THRESHOLD
    try:
        yield
    finally:
        if not raw.closed:
            raw.cursor_factory, raw.prepare_threshold = factory, threshold
