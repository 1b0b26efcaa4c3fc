"""The indicators page in a real browser on a phone: no wider than the screen, charts drawn, no
serious accessibility violation (axe), the period picker changes the period."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE, axe_violations
from tests.e2e.test_first_touch import _session_cookie
from tests.indicators.conftest import dataset  # noqa: F401  (the hand-built dataset, as a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def geo(transactional_geo):
    return None


def test_the_indicators_page_works_on_a_phone(open_context, live_server, dataset):  # noqa: F811
    context = open_context(phone=True)
    context.add_cookies([_session_cookie(dataset.officer, live_server)])
    page = context.new_page()
    response = page.goto(f"/indicateurs/?territory={dataset.territory.pk}&period=2026-Q1")
    assert response.status == 200
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{width} px wide"
    assert page.locator("#chart-kg-by-month rect").count() == 3
    assert page.locator("#figure-meals").inner_text().strip() == "194"
    assert axe_violations(page) == []
    page.select_option("#picker-period", "2026-Q2")
    page.locator("#period-picker button[type=submit]").click()
    page.wait_for_url("**period=2026-Q2**")
    assert "1er avril 2026" in page.locator("#period").inner_text()
