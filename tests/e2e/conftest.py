"""Browser tests: Debian's Chromium driven by Playwright's sync API, on pytest-django's live server.

Playwright's sync API runs an event loop in the test's thread; Django refuses ORM calls
from a thread with a running loop unless told that it is safe here (it is: the ORM calls
are the test's own, between browser steps).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module", autouse=True)
def _async_unsafe_allowed_in_browser_tests():
    """Only the browser tests need it: set while their module runs (and its browser, hence
    its event loop, lives), not for the whole session."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.skip("needs Debian's Chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def artifacts(request) -> Path:
    folder = ARTIFACTS / re.sub(r"[^a-z0-9_]+", "_", request.node.name.lower())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def open_context(browser, live_server):
    """``open_context(phone=True)``: a fresh browser profile (its own cookies) on the live server."""
    contexts = []

    def make(*, phone: bool = False):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=PHONE if phone else DESKTOP,
            device_scale_factor=1,
            is_mobile=phone,
            has_touch=phone,
            locale="fr-FR",
            timezone_id="Europe/Paris",
        )
        context.set_default_timeout(15_000)
        # No internet here: map tiles are refused at once instead of waiting for a timeout.
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost).*"), lambda route: route.abort())
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """axe-core (bundled by axe-playwright-python) run in the page: the serious and critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
        if v.get("impact") in impacts
    ]
