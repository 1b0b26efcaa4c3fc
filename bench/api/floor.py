"""The floor of the API benchmark: a minimal WSGI app over psycopg that runs the same SQL as
MIAM's uncached offers list and GeoJSON layer and returns their rows with orjson.

    gunicorn bench.api.floor:app -w 2     # BENCH_TERRITORY=bench-39 DATABASE_URL=postgres://…

At import, Django compiles the two queries once (the list's page of 50 with its count, the
layer's ``values()`` rows), exactly as the views build them for a visitor; then each request
is one ``execute`` and one ``orjson.dumps``: no Django, no DRF, no per-row Python beyond
psycopg's own. What MIAM adds on top of it (routing, filters, permissions, serializing,
rendering) is what the ratio measures. Not part of the test suite.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import orjson
import psycopg
from psycopg.rows import dict_row

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "miam.settings")


def _compile() -> dict[str, tuple[str, list]]:
    import django

    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection

    from actors.selectors import annotate_public_point
    from offers import selectors
    from offers.api.layers import OfferLayerView
    from offers.api.offers import offer_rows_visible_to
    from offers.filters import OfferFilter
    from offers.models import OPEN_STATUSES

    slug = os.environ["BENCH_TERRITORY"]
    anonymous = AnonymousUser()
    listed = OfferFilter(
        {"territory": slug, "category": "vegetables"}, queryset=offer_rows_visible_to(anonymous, with_total=True)
    ).qs
    page = listed.order_by("-created_at", "-id")[:50]
    layer_qs = annotate_public_point(
        selectors.offers_visible_to(anonymous).order_by("-created_at", "-id"), anonymous
    ).filter(status__in=OPEN_STATUSES)
    layer_qs = OfferFilter({"territory": slug}, queryset=layer_qs).qs
    layer = layer_qs.values("id", "point_lat", "point_lon", "is_exact", *OfferLayerView.fields)[:20_001]
    out = {}
    for name, qs in (("/offers", page), ("/geo", layer)):
        sql, params = qs.query.sql_with_params()
        out[name] = (sql, list(params))
    connection.close()
    return out


QUERIES = _compile()
_connection: psycopg.Connection | None = None


def _cursor():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, row_factory=dict_row)
    return _connection.cursor()


def app(environ, start_response):
    query = QUERIES.get(environ.get("PATH_INFO", "").rstrip("/"))
    if query is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    with _cursor() as cursor:
        cursor.execute(*query)
        rows = cursor.fetchall()
    body = orjson.dumps({"results": rows}, default=str)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
