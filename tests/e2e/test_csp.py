"""The Content-Security-Policy is on and the pages' scripts run under it (django-csp, nonces)."""

from __future__ import annotations

import pytest

from tests.factories import TerritoryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_geo")]


def _watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    return violations


def test_the_map_runs_under_the_policy_and_an_injected_inline_script_does_not(open_context):
    territory = TerritoryFactory()
    page = open_context().new_page()
    violations = _watch_csp(page)
    response = page.goto(f"/carte/?territory={territory.pk}")
    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    # django-leaflet's inline script carries the nonce, so the map is made; htmx and DSFR load.
    page.wait_for_function("() => window.miamMapReady === true")
    assert page.locator("#miam-map.leaflet-container").count() == 1
    assert page.evaluate("typeof window.htmx") == "object"
    assert violations == []
    # The same page with an inline script that has no nonce (what an injection would be): refused.
    page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.injected = 1";
        document.body.appendChild(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected") is None
    assert violations and "script-src" in violations[0]


def test_the_api_docs_and_the_printable_plan_run_under_the_policy(open_context):
    page = open_context().new_page()
    violations = _watch_csp(page)
    response = page.goto("/api/v1/docs/")
    assert response.status == 200 and "content-security-policy" in response.headers
    page.wait_for_selector(".swagger-ui .info", timeout=20_000)  # Swagger UI's script ran
    assert violations == []
