"""CPU per request of the uncached list and layer, and of the floor: in-process, steady on a
shared machine (it counts CPU seconds, not wall time).

    python bench/api/cpu.py                  # after bench/api/run.py filled miam_bench
    python bench/api/cpu.py --requests 500 --rounds 5

For each endpoint it sends ``--requests`` requests through Django's test client (the whole
middleware, DRF, filters, the query, the JSON), the visitors' cache off, and reads two clocks:
this process's CPU time (Python) and the CPU time of the PostgreSQL backend serving its
connection (``/proc/<pid>/stat``, Linux). The floor (``floor.py``) is measured the same way,
calling its WSGI app directly. Rounds alternate endpoints; the table gives the minimum and
the median over rounds. Throughput on two cores is bounded by about
2 000 / (Python + PostgreSQL + the server's and client's own cost) requests per second.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(call, backend_pid, requests: int) -> tuple[float, float]:
    for _ in range(10):
        call()
    pid = backend_pid()
    python0, pg0 = time.process_time(), backend_cpu(pid)
    for _ in range(requests):
        call()
    return 1000 * (time.process_time() - python0) / requests, 1000 * (backend_cpu(pid) - pg0) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/miam_bench")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "DEBUG": "0",
            "SECRET_KEY": "bench-not-secret-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver",
            "THROTTLE_ANON": "1000000/min",
            "THROTTLE_USER": "1000000/min",
            "LOG_LEVEL": "WARNING",
            "API_ANON_CACHE_SECONDS": "0",
            "DJANGO_SETTINGS_MODULE": "miam.settings",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    sys.path.insert(0, str(ROOT / "bench" / "api"))
    from run import pick_territory

    slug, offers = pick_territory()
    os.environ["BENCH_TERRITORY"] = slug
    from bench.api import floor

    client = Client(HTTP_ACCEPT="application/json")

    def miam(path):
        def call():
            response = client.get(path)
            assert response.status_code == 200, response.content[:200]

        def pid():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                return cursor.fetchone()[0]

        return call, pid

    def bare(path):
        return (lambda: floor.app({"PATH_INFO": path}, lambda status, headers: None)), (
            lambda: floor._connection.info.backend_pid
        )

    endpoints = {
        "offers list (page of 50, territory + category)": miam(
            f"/api/v1/offers/?territory={slug}&category=vegetables&page_size=50"
        ),
        "GeoJSON offers layer (one territory)": miam(f"/api/v1/geo/offers/?territory={slug}"),
        "floor: the list's SQL rows": bare("/offers"),
        "floor: the layer's SQL rows": bare("/geo"),
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in endpoints}
    for _round in range(args.rounds):
        for name, (call, pid) in endpoints.items():
            results[name].append(measure(call, pid, args.requests))
    print(
        f"territory `{slug}` ({offers:,} offers); {args.requests} requests × {args.rounds} rounds; CPU ms per request"
    )
    print()
    print("| endpoint | Python (min · median) | PostgreSQL (min · median) | both (min) |")
    print("| --- | ---: | ---: | ---: |")
    for name, runs in results.items():
        py, pg = [r[0] for r in runs], [r[1] for r in runs]
        print(
            f"| {name} | {min(py):.2f} · {statistics.median(py):.2f} | {min(pg):.2f} · {statistics.median(pg):.2f} "
            f"| {min(py) + min(pg):.2f} |"
        )


if __name__ == "__main__":
    main()
