"""API under load: 100,000 offers and 20,000 needs in PostgreSQL, gunicorn, 20 clients.

    python bench/api/run.py                      # fill (once), serve, load, print a table
    python bench/api/run.py --workers 2 --duration 20 --clients 20

It uses its own database (``miam_bench`` by default, created if missing), loads the
reference communes of Bourgogne-Franche-Comté, makes one territory per EPCI, fills
farms, structures, offers and needs with ``bulk_create`` (skipped when already filled),
starts ``gunicorn miam.wsgi`` with DEBUG off on loopback, and measures with N concurrent
clients (threads, ``http.client``, a new connection per request as gunicorn's sync
workers close them):

  (a) ``/api/v1/offers/?territory=…&category=vegetables`` (a page of 50);
  (b) the same list again, and ``/api/v1/geo/offers/?territory=…`` (the map layer of one
      territory), on a second gunicorn with the visitors' cache off (``API_ANON_CACHE_SECONDS=0``):
      the uncached path, with the very URLs and SQL of a visitor;

then the same with ``bench/api/floor.py`` (the same SQL rows, psycopg + orjson in a bare WSGI
app, the same gunicorn), and prints MIAM's throughput as a share of the floor's.

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPARTEMENTS = "21,25,39,58,70,71,89,90"  # Bourgogne-Franche-Comté


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/miam_bench")
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=20_000)
    parser.add_argument("--farms", type=int, default=10_000)
    parser.add_argument("--structures", type=int, default=2_500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds alternating MIAM and the floor")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread if > 1)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--refill", action="store_true", help="drop the listings and fill again")
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator: wrk (C, Debian's package `wrk`) or Python threads; auto: wrk when installed",
    )
    return parser.parse_args()


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def fill(args) -> None:
    """Territories per EPCI, organizations, offers and needs, written in bulk."""
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from actors.models import Commune, Organization, Territory
    from offers.models import Need, Offer
    from products.models import ProductCategory

    rng = random.Random(42)  # noqa: S311 - reproducible synthetic data
    if args.refill:
        with transaction.atomic():
            Need.categories.through.objects.all().delete()
            Need.objects.all().delete()
            Offer.objects.all().delete()
    if Offer.objects.count() >= args.offers and Need.objects.count() >= args.needs:
        print(f"already filled: {Offer.objects.count()} offers, {Need.objects.count()} needs")
        return
    started = time.perf_counter()
    communes = list(Commune.objects.exclude(latitude=None).values("id", "epci_id", "latitude", "longitude"))
    if not Territory.objects.filter(slug__startswith="bench-").exists():
        by_epci: dict[int, list[int]] = {}
        for c in communes:
            if c["epci_id"]:
                by_epci.setdefault(c["epci_id"], []).append(c["id"])
        territories = Territory.objects.bulk_create(
            [Territory(name=f"PAT bench {i}", slug=f"bench-{epci}") for i, epci in enumerate(sorted(by_epci))]
        )
        through = Territory.communes.through
        rows = [
            through(territory_id=t.pk, commune_id=cid)
            for t, epci in zip(territories, sorted(by_epci), strict=True)
            for cid in by_epci[epci]
        ]
        through.objects.bulk_create(rows, batch_size=5000)
        print(f"{len(territories)} territories (one per EPCI), {len(rows)} commune links")

    def organizations(kind: str, count: int) -> list[int]:
        existing = list(Organization.objects.filter(kind=kind, name__startswith="bench").values_list("id", flat=True))
        if len(existing) >= count:
            return existing
        objs = []
        for i in range(count - len(existing)):
            c = rng.choice(communes)
            objs.append(
                Organization(
                    kind=kind,
                    name=f"bench {kind} {i}",
                    commune_id=c["id"],
                    latitude=c["latitude"] + rng.uniform(-0.02, 0.02),
                    longitude=c["longitude"] + rng.uniform(-0.02, 0.02),
                    email=f"{kind}{i}@bench.example",
                )
            )
        Organization.objects.bulk_create(objs, batch_size=5000)
        return list(Organization.objects.filter(kind=kind, name__startswith="bench").values_list("id", flat=True))

    farms = organizations(Organization.Kind.FARM, args.farms)
    structures = organizations(Organization.Kind.FOOD_AID, args.structures)
    leaves = list(ProductCategory.objects.filter(parent__isnull=False).values("id", "storage", "code"))
    parents = list(ProductCategory.objects.filter(parent__isnull=True).values_list("id", flat=True))
    today = timezone.localdate()
    statuses = ["published"] * 7 + ["partly_matched", "fully_matched", "expired", "withdrawn", "draft"]

    offers = []
    for i in range(args.offers - Offer.objects.count()):
        category = rng.choice(leaves)
        start = today + timedelta(days=rng.randint(-20, 20))
        quantity = Decimal(rng.randint(5, 2000))
        pricing = rng.choice(["donation", "donation", "solidarity", "market"])
        price = Decimal(rng.randint(20, 500)) / 100 if pricing != "donation" else None
        offers.append(
            Offer(
                organization_id=rng.choice(farms),
                category_id=category["id"],
                product_name=f"{category['code']} lot {i}",
                quantity=quantity,
                quantity_reserved=quantity / 2 if rng.random() < 0.1 else 0,
                unit="kg",
                window_start=start,
                window_end=start + timedelta(days=rng.randint(1, 30)),
                pricing=pricing,
                price_per_unit=price,
                usual_price_per_unit=price * 2 if pricing == "solidarity" else None,
                labels=rng.choice([[], [], ["AB"], ["HVE"], ["AB", "BF"]]),
                storage=category["storage"],
                logistics=rng.choice([["pickup"], ["delivery", "pickup"], ["gleaning"]]),
                delivery_radius_km=20,
                status=rng.choice(statuses),
            )
        )
    Offer.objects.bulk_create(offers, batch_size=5000)
    print(f"{len(offers)} offers in {time.perf_counter() - started:.1f} s")

    needs = []
    for i in range(args.needs - Need.objects.count()):
        start = today + timedelta(days=rng.randint(-20, 20))
        needs.append(
            Need(
                organization_id=rng.choice(structures),
                title=f"besoin {i}",
                quantity=Decimal(rng.randint(5, 500)),
                unit="kg",
                window_start=start,
                window_end=start + timedelta(days=rng.randint(1, 30)),
                urgency=rng.randint(1, 3),
                status=rng.choice(statuses),
            )
        )
    created = Need.objects.bulk_create(needs, batch_size=5000)
    through = Need.categories.through
    links = []
    for need in created:
        for category_id in rng.sample(parents, rng.randint(1, 3)):
            links.append(through(need_id=need.pk, productcategory_id=category_id))
    through.objects.bulk_create(links, batch_size=10000)
    print(f"{len(created)} needs in {time.perf_counter() - started:.1f} s total")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def pick_territory() -> tuple[str, int]:
    """A big territory: the one at the 90th percentile of offers (a fair, busy case)."""
    from django.db.models import Count

    from actors.models import Organization, Territory

    counts = []
    for territory in Territory.objects.filter(slug__startswith="bench-").only("id", "slug"):
        communes = territory.communes.values("id")
        n = Organization.objects.filter(commune_id__in=communes).aggregate(n=Count("offers"))["n"]
        counts.append((n, territory.slug))
    counts.sort()
    n, slug = counts[int(len(counts) * 0.9)]
    return slug, n


def serve(
    args, env: dict, app: str = "miam.wsgi", health: str = "/healthz", port: int | None = None
) -> subprocess.Popen:
    port = port or args.port
    worker = ["--worker-class", "gthread", "--threads", str(args.threads)] if args.threads > 1 else []
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "-w",
            str(args.workers),
            *worker,
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", health)
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not start")


#: wrk's report of the latency percentiles, read by ``load_wrk`` (wrk's own Lua hook).
WRK_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("MIAM %d %d %d %d %.3f %.3f %.3f %.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, 0, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, 0))
end
"""


def load_wrk(port: int, path: str, clients: int, duration: float) -> dict:
    """The same closed loop with wrk (2 threads, ``clients`` connections; gunicorn's sync
    workers close each connection, wrk opens the next): the load generator costs the two
    cores far less than Python threads, which leaves them to the server being measured."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_DONE)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(clients),
            "-d",
            f"{duration:.0f}s",
            "--timeout",
            "30s",
            "-s",
            script.name,
            "-H",
            "Accept: application/json",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    line = next(row for row in out.splitlines() if row.startswith("MIAM "))
    requests, errors, micros, _zero, p50, p95, p99, _ = line.split()[1:]
    non_2xx = sum(int(row.split(":")[1]) for row in out.splitlines() if "Non-2xx" in row)
    ok = int(requests) - int(errors) - non_2xx
    return {
        "requests": ok,
        "errors": int(errors) + non_2xx,
        "rps": ok / (int(micros) / 1e6),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
    }


def merged(runs: list[dict]) -> dict:
    """Rounds of one scenario as one row: requests and errors summed, throughput over the
    total time, percentiles the median of the rounds'."""
    seconds = sum(r["requests"] / r["rps"] for r in runs if r["rps"])
    out = {"requests": sum(r["requests"] for r in runs), "errors": sum(r["errors"] for r in runs)}
    out["rps"] = out["requests"] / seconds if seconds else 0.0
    for key in ("p50", "p95", "p99"):
        out[key] = statistics.median(r[key] for r in runs)
    return out


def load(port: int, path: str, clients: int, duration: float) -> dict:
    """Closed loop: each client sends its next request as soon as the last one is answered."""
    if CLIENT == "wrk":
        return load_wrk(port, path, clients, duration)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def client():
        nonlocal errors
        mine, failed = [], 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            url = path
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", url, headers={"Accept": "application/json"})
                response = conn.getresponse()
                response.read()
                conn.close()
                ok = response.status == 200
            except OSError:
                ok = False
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p95": pct(0.95),
        "p99": pct(0.99),
    }


CLIENT = "python"


def main() -> None:
    global CLIENT
    args = parse_args()
    CLIENT = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-not-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THROTTLE_ANON": "1000000/min",
        "THROTTLE_USER": "1000000/min",
        "THROTTLE_APIKEY": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "miam.settings",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    ensure_database(args.database_url)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_communes", "--departements", DEPARTEMENTS, "-v", "0")
    fill(args)
    slug, territory_offers = pick_territory()
    list_path = f"/api/v1/offers/?territory={slug}&category=vegetables&page_size=50"
    geo_path = f"/api/v1/geo/offers/?territory={slug}"

    def warm(paths) -> bytes:  # the workers and their connections
        body = b""
        for path in paths:
            for _ in range(10):
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
                conn.request("GET", path)
                body = conn.getresponse().read()
        return body

    server = serve(args, env)
    try:
        warm([list_path])
        results = [
            (
                "offers list, page of 50 (territory + category), visitors' cache",
                load(args.port, list_path, args.clients, args.duration),
            )
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    # Uncached: the very same anonymous URLs and SQL, the visitors' cache off
    # (API_ANON_CACHE_SECONDS=0; lists refuse unknown parameters, so no cache-busting one),
    # against the floor (the same SQL rows, psycopg + orjson in a bare WSGI app, the same
    # gunicorn) served at the same time on the next port: the rounds alternate MIAM and the
    # floor, so that both see the same machine (a shared box drifts within a minute).
    server = serve(args, {**env, "API_ANON_CACHE_SECONDS": "0"})
    floor_port = args.port + 1
    floor = serve(args, {**env, "BENCH_TERRITORY": slug}, app="bench.api.floor:app", health="/offers", port=floor_port)
    pairs = {"list": [], "layer": []}
    try:
        features = warm([list_path, geo_path]).count(b'"Feature"')
        for path in ("/offers", "/geo"):
            for _ in range(10):
                conn = http.client.HTTPConnection("127.0.0.1", floor_port, timeout=30)
                conn.request("GET", path)
                conn.getresponse().read()
        for _round in range(args.rounds):
            for name, port, path, floor_path in (
                ("list", args.port, list_path, "/offers"),
                ("layer", args.port, geo_path, "/geo"),
            ):
                pairs[name].append(
                    (
                        load(port, path, args.clients, args.duration),
                        load(floor_port, floor_path, args.clients, args.duration),
                    )
                )
    finally:
        for process in (server, floor):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    results += [
        ("same, every request from the database (visitors' cache off)", merged([m for m, _f in pairs["list"]])),
        (
            f"GeoJSON offers layer, one territory ({features} features), no cache",
            merged([m for m, _f in pairs["layer"]]),
        ),
        ("floor: the list's SQL rows, psycopg + orjson", merged([f for _m, f in pairs["list"]])),
        ("floor: the layer's SQL rows, psycopg + orjson", merged([f for _m, f in pairs["layer"]])),
    ]
    print()
    print(
        f"PostgreSQL, {args.offers:,} offers, {args.needs:,} needs; territory `{slug}` ({territory_offers:,} offers); "
        f"gunicorn -w {args.workers}"
        + (f" --threads {args.threads}" if args.threads > 1 else "")
        + f"; {args.clients} concurrent clients ({CLIENT}); {args.rounds} rounds of {args.duration:.0f} s per scenario"
        f" (uncached rows: all rounds; p50/p95/p99: medians of the rounds'); {os.cpu_count()} CPU"
    )
    print()
    print("| endpoint | requests | errors | req/s | p50 (ms) | p95 (ms) | p99 (ms) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results:
        print(
            f"| {name} | {r['requests']} | {r['errors']} | {r['rps']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} |"
        )
    uncached, layer = results[1][1], results[2][1]
    print()
    for name, label in (("list", "uncached list"), ("layer", "GeoJSON layer")):
        ratios = [m["rps"] / f["rps"] for m, f in pairs[name]]
        print(
            f"{label}: {statistics.median(ratios):.0%} of the floor's throughput, median of the rounds "
            f"({', '.join(f'{r:.0%}' for r in ratios)}; target ≥ 50 %)"
        )
    print(
        f"targets: list ≥ 200 req/s and p95 ≤ 100 ms: {uncached['rps']:.0f} req/s, p95 {uncached['p95']:.0f} ms; "
        f"GeoJSON p95 ≤ 150 ms: {layer['p95']:.0f} ms"
    )


if __name__ == "__main__":
    main()
