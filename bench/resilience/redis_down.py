"""What a Redis outage costs the web: gunicorn on loopback, once with Redis reachable and once
with ``REDIS_URL`` at a port where nothing listens (the shared Redis server is left alone).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/miam_bench_res REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python bench/resilience/redis_down.py

The database is migrated and seeded (one commune, a PAT, a farm, an API key, 200 offers). For
each case: anonymous API reads (cached), reads with the key (rate limited by key), offers
created through the API (each queues a matching run through the outbox), the home page and
``/readyz``; the status codes and the latencies (p50 / p95) are printed. Bounded: a few hundred
requests per case, on 127.0.0.1 only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "redis://127.0.0.1:6399/5"


def seed() -> tuple[int, str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "miam.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from actors import services as actor_services
    from actors.models import Commune, Departement, Membership, Organization, Region, Territory, TerritoryRole, User
    from offers.models import Offer, Status
    from products.models import ProductCategory

    region = Region.objects.get_or_create(code="27", defaults={"name": "Bourgogne-Franche-Comté"})[0]
    dep = Departement.objects.get_or_create(code="71", defaults={"name": "Saône-et-Loire", "region": region})[0]
    cluny = Commune.objects.get_or_create(
        insee_code="71137",
        defaults={"name": "Cluny", "latitude": 46.434, "longitude": 4.659, "departement": dep, "population": 4500},
    )[0]
    territory = Territory.objects.get_or_create(slug="bench-resilience", defaults={"name": "PAT bench"})[0]
    territory.communes.set([cluny])
    farm = Organization.objects.get_or_create(
        name="Ferme du bench",
        defaults={
            "kind": Organization.Kind.FARM,
            "commune": cluny,
            "latitude": cluny.latitude,
            "longitude": cluny.longitude,
        },
    )[0]
    officer = User.objects.get_or_create(email="officer@bench.invalid")[0]
    TerritoryRole.objects.get_or_create(user=officer, territory=territory, role=TerritoryRole.Role.OFFICER)
    Membership.objects.get_or_create(
        user=User.objects.get_or_create(email="farmer@bench.invalid")[0], organization=farm
    )
    potatoes = ProductCategory.objects.get(code="potatoes")
    today = dt.date.today()
    if Offer.objects.filter(organization=farm).count() < 200:
        Offer.objects.bulk_create(
            Offer(
                organization=farm,
                category=potatoes,
                product_name=f"Pommes de terre {i}",
                quantity=100,
                unit="kg",
                window_start=today,
                window_end=today + dt.timedelta(days=10),
                pricing="donation",
                storage=potatoes.storage,
                logistics=["delivery"],
                delivery_radius_km=20,
                status=Status.PUBLISHED,
            )
            for i in range(200)
        )
    _key, raw = actor_services.apikey_create(by=officer, name="bench", territory=territory, can_write=True)
    return farm.pk, raw


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, *, key: str = "", body: dict | None = None) -> tuple[int, float]:
    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Api-Key {key}"
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=30) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, (time.perf_counter() - started) * 1000


def measure(redis_url: str, farm_id: int, key: str) -> dict:
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_url, "DEBUG": "0", "SECRET_KEY": "bench-not-secret", "LOG_LEVEL": "ERROR"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "miam.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        today = dt.date.today()
        offer = {
            "organization": farm_id,
            "category": "potatoes",
            "product_name": "Pommes de terre (bench)",
            "quantity": "50",
            "unit": "kg",
            "window_start": today.isoformat(),
            "window_end": (today + dt.timedelta(days=7)).isoformat(),
            "pricing": "donation",
            "logistics": ["delivery"],
            "delivery_radius_km": "15",
        }
        cases = {
            "GET /api/v1/offers/ (visitor, cached)": [
                request(f"{base}/api/v1/offers/?territory=bench-resilience") for _ in range(100)
            ],
            "GET /api/v1/offers/ (API key)": [request(f"{base}/api/v1/offers/?page=2", key=key) for _ in range(100)],
            "POST /api/v1/offers/ (API key)": [
                request(f"{base}/api/v1/offers/", key=key, body=offer) for _ in range(30)
            ],
            "GET / (home page)": [request(f"{base}/") for _ in range(50)],
            "GET /readyz": [request(f"{base}/readyz") for _ in range(5)],
        }
    finally:
        server.terminate()
        server.wait(15)
    out = {}
    for name, results in cases.items():
        times = sorted(ms for _status, ms in results)
        out[name] = {
            "statuses": dict(Counter(status for status, _ms in results)),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        }
    return out


def main() -> None:
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL (PostgreSQL, a throw-away database) and REDIS_URL")
    farm_id, key = seed()
    from miam.models import OutboxMessage
    from offers.models import MatchingRun

    for label, url in (("Redis reachable", os.environ["REDIS_URL"]), ("Redis unreachable", UNREACHABLE)):
        # No worker here: forget the runs still pending, so that this case's saves queue their own.
        MatchingRun.objects.filter(status="pending").update(status="failed", stage="bench")
        before = OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
        print(f"## {label}")
        for name, figures in measure(url, farm_id, key).items():
            print(f"{name}: {figures}")
        written = OutboxMessage.objects.filter(id__gt=before)
        print(
            f"outbox messages written: {written.count()}, unsent (left for beat): {written.filter(sent_at=None).count()}"
        )


if __name__ == "__main__":
    main()
