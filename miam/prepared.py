"""Prepared statements for the API's hot reads (PostgreSQL).

Django binds parameters on the client (psycopg's ``ClientCursor``) and disables psycopg's
prepared statements, so PostgreSQL parses and plans every query anew: for the offers list
that planning costs about as much as running it. Inside ``prepared_statements()``, queries on
this thread's connection are bound on the server (``ServerBindingCursor``) and psycopg
prepares a statement once the same SQL has run ``PREPARE_THRESHOLD`` times on the connection
(then PostgreSQL skips parsing, and planning once it settles on a generic plan).

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
from collections.abc import Iterator

from django.conf import settings
from django.db import connection

#: Runs of the same SQL on a connection before psycopg prepares it (psycopg's own default).
PREPARE_THRESHOLD = 5


@contextlib.contextmanager
def prepared_statements() -> Iterator[None]:
    if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    factory, threshold = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory, raw.prepare_threshold = ServerBindingCursor, PREPARE_THRESHOLD
    try:
        yield
    finally:
        if not raw.closed:
            raw.cursor_factory, raw.prepare_threshold = factory, threshold
