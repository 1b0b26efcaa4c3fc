"""Screenshots for the README, on a desktop (1280×860) and a phone (390×844): the map, the
catalog of initiatives, the offer form, the officer dashboard.

Runs a throw-away site (see ``_site.py``) with demo-like data in the PAT du Clunisois, a few
deliveries for the indicators, and saves small PNGs to docs/screenshots/.

    python bench/map/screenshots.py
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _site  # noqa: E402

OUT = _site.ROOT / "docs" / "screenshots"


def add_deliveries(seeded: dict) -> None:
    """A few delivered matches so that the dashboard has figures (ORM, demo only)."""
    from offers.models import Delivery, Match, Need, Offer

    offers = list(Offer.objects.filter(organization__commune__territories=seeded["territory"])[:6])
    needs = list(Need.objects.filter(organization__commune__territories=seeded["territory"])[:6])
    today = dt.date.today()
    for i, (offer, need) in enumerate(zip(offers, needs, strict=False)):
        status = ["delivered", "delivered", "delivered", "confirmed", "proposed", "accepted_farm"][i]
        match = Match.objects.create(
            offer=offer,
            need=need,
            quantity=Decimal(40 + 10 * i),
            unit="kg",
            score=70 + i,
            status=status,
            distance_km=Decimal(5 + i),
            reasons=[
                {"code": "distance", "params": {"km": 8.0}},
                {"code": "delivery_by_farm", "params": {"radius_km": 20.0}},
                {"code": "covers_need", "params": {"percent": 60}},
            ],
        )
        if status == "delivered":
            Delivery.objects.create(
                match=match,
                delivered_on=today - dt.timedelta(days=30 * i),
                mode="delivery",
                quantity_received=match.quantity,
                unit="kg",
                quantity_kg=match.quantity,
                amount_paid_eur=Decimal(i * 25),
                distance_km=match.distance_km,
            )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with _site.workdir() as folder:
        env = _site.prepare_environment(folder)
        _site.setup_django()
        seeded = _site.seed(farms=60, structures=25, offers=120, needs=40)
        add_deliveries(seeded)
        from initiatives import services as initiatives_services

        initiatives_services.initiatives_load()
        territory_id = seeded["territory"].pk

        from playwright.sync_api import sync_playwright

        with _site.serve(env) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=_site.CHROMIUM, args=_site.CHROMIUM_ARGS)

            def context(**kwargs):
                ctx = browser.new_context(base_url=url, locale="fr-FR", **kwargs)
                ctx.route(re.compile(r"^https?://(?!127\.0\.0\.1).*"), lambda route: route.abort())
                return ctx

            desktop = context(viewport={"width": 1280, "height": 860})
            page = desktop.new_page()
            _site.log_in(page, "claire.pat@miam.local")
            page.goto(f"/carte/?territory={territory_id}")
            page.wait_for_function("window.miamMapReady === true")
            page.wait_for_timeout(300)
            page.locator("h1").scroll_into_view_if_needed()
            page.screenshot(path=str(OUT / "map.png"))
            page.goto("/tableau-de-bord/")
            page.screenshot(path=str(OUT / "dashboard.png"))
            page.goto("/initiatives/")
            page.screenshot(path=str(OUT / "catalog.png"))

            phone = context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=1
            )
            page = phone.new_page()
            page.goto(f"/carte/?territory={territory_id}")
            page.wait_for_function("window.miamMapReady === true")
            page.wait_for_timeout(300)
            page.screenshot(path=str(OUT / "map-phone.png"))
            page.goto("/initiatives/")
            page.screenshot(path=str(OUT / "catalog-phone.png"))
            _site.log_in(page, "paul.ferme@miam.local")
            page.goto("/je-propose/")
            page.select_option("#id_category", label="Pommes de terre")
            page.fill("#id_quantity", "120")
            page.locator("h1").scroll_into_view_if_needed()
            page.screenshot(path=str(OUT / "offer-form-phone.png"))
            browser.close()
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(_site.ROOT)}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
