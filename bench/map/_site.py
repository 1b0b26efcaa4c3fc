"""Shared by the map benchmark and the README screenshots: a throw-away MIAM site on loopback.

A fresh SQLite file (or ``DATABASE_URL`` when given), migrated, with the communes of
Saône-et-Loire and the PAT du Clunisois (its real EPCI perimeter), seeded straight through
the ORM in bulk, served by gunicorn on 127.0.0.1 with collected static files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "miam-bench-2026"  # noqa: S105 - a throw-away local site


def prepare_environment(workdir: Path) -> dict:
    """Environment of the throw-away site (also applied to this process before Django starts)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "miam.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-map-not-secret",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
    }
    if not os.environ.get("DATABASE_URL"):
        env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    return env


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)


def seed(*, farms: int, structures: int, offers: int, needs: int, rng_seed: int = 7) -> dict:
    """The PAT du Clunisois with people and as many markers as asked, jittered around its town halls."""
    from actors import services
    from actors.models import (
        Commune,
        FarmProfile,
        Membership,
        Organization,
        StructureProfile,
        Territory,
        TerritoryRole,
        User,
    )
    from actors.reference import load_reference
    from offers.models import Need, Offer
    from products.models import ProductCategory

    if not Commune.objects.filter(insee_code="71137").exists():
        load_reference(departements=["71"])
    rng = random.Random(rng_seed)
    staff = User.objects.filter(email="bench-staff@miam.local").first() or User.objects.create_user(
        "bench-staff@miam.local", PASSWORD, is_staff=True
    )
    territory = Territory.objects.filter(slug="clunisois").first() or services.territory_create(
        by=staff, name="PAT du Clunisois", slug="clunisois", epci_codes=["200040293"]
    )
    communes = list(territory.communes.exclude(latitude=None))

    def place(commune):
        return commune.latitude + rng.uniform(-0.02, 0.02), commune.longitude + rng.uniform(-0.03, 0.03)

    def orgs(kind: str, n: int, label: str) -> list:
        rows = []
        for i in range(n):
            commune = rng.choice(communes)
            lat, lon = place(commune)
            rows.append(
                Organization(
                    kind=kind,
                    name=f"{label} {i + 1}",
                    commune=commune,
                    latitude=lat,
                    longitude=lon,
                    location_precision="address",
                )
            )
        return Organization.objects.bulk_create(rows, batch_size=1000)

    farm_rows = orgs("farm", farms, "Ferme")
    FarmProfile.objects.bulk_create(
        [FarmProfile(organization=o, delivery_radius_km=20) for o in farm_rows], batch_size=1000
    )
    structure_rows = orgs("food_aid", structures, "Épicerie solidaire")
    StructureProfile.objects.bulk_create(
        [
            StructureProfile(organization=o, structure_type="epicerie", has_fridge=True, pickup_radius_km=15)
            for o in structure_rows
        ],
        batch_size=1000,
    )
    categories = list(ProductCategory.objects.filter(parent__isnull=False))
    today = dt.date.today()
    offer_rows = []
    for _i in range(offers):
        category = rng.choice(categories)
        offer_rows.append(
            Offer(
                organization=rng.choice(farm_rows),
                category=category,
                product_name=category.name,
                quantity=Decimal(rng.randint(10, 500)),
                unit=category.default_unit,
                window_start=today,
                window_end=today + dt.timedelta(days=rng.randint(3, 30)),
                pricing=rng.choice(["donation", "solidarity", "market"]),
                storage=category.storage,
                logistics=["delivery", "pickup"],
                delivery_radius_km=Decimal(20),
                status="published",
            )
        )
        if offer_rows[-1].pricing != "donation":
            offer_rows[-1].price_per_unit = Decimal("1.50")
            offer_rows[-1].usual_price_per_unit = Decimal("2.00")
    Offer.objects.bulk_create(offer_rows, batch_size=1000)
    families = list(ProductCategory.objects.filter(parent__isnull=True))
    need_rows = [
        Need(
            organization=rng.choice(structure_rows),
            title=f"Besoin {i + 1}",
            quantity=Decimal(rng.randint(10, 300)),
            unit="kg",
            window_start=today,
            window_end=today + dt.timedelta(days=rng.randint(3, 30)),
            status="published",
        )
        for i in range(needs)
    ]
    Need.objects.bulk_create(need_rows, batch_size=1000)
    Through = Need.categories.through
    saved = list(Need.objects.filter(organization__in=structure_rows).values_list("id", flat=True))
    Through.objects.bulk_create(
        [Through(need_id=pk, productcategory_id=rng.choice(families).pk) for pk in saved], batch_size=1000
    )

    officer = User.objects.filter(email="claire.pat@miam.local").first()
    if officer is None:
        officer = User.objects.create_user("claire.pat@miam.local", PASSWORD, first_name="Claire", last_name="Morel")
        TerritoryRole.objects.create(user=officer, territory=territory, role="officer")
    farmer = User.objects.filter(email="paul.ferme@miam.local").first()
    if farmer is None:
        farmer = User.objects.create_user("paul.ferme@miam.local", PASSWORD, first_name="Paul", last_name="Martin")
        Membership.objects.create(user=farmer, organization=farm_rows[0], role="admin")
    return {
        "territory": territory,
        "farm": farm_rows[0],
        "structure": structure_rows[0],
        "officer": officer,
        "farmer": farmer,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(env: dict, *, workers: int = 3):
    """gunicorn on a free loopback port (as the Dockerfile runs it: 3 workers), stopped on exit."""
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "miam.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def workdir():
    with tempfile.TemporaryDirectory(prefix="miam-map-") as folder:
        yield Path(folder)


def log_in(page, email: str) -> None:
    page.goto("/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("networkidle")
