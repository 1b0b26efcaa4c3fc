"""Season agreements in a real browser on a phone: a farmer edits a draft (the household price
among its fields) and the detail says it; the demand calendar's heat-map stays within the
screen; no serious accessibility violation (axe) on either page."""

from __future__ import annotations

import pytest

from agreements.inputs import agreement_data
from agreements.models import SupplyAgreement
from agreements.services import agreements as svc
from tests.agreements.helpers import germigney_values, world
from tests.e2e.conftest import PHONE, axe_violations
from tests.e2e.test_first_touch import _session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def geo(transactional_geo):
    return None


def test_a_farmer_edits_a_draft_agreement_on_a_phone(open_context, live_server, geo):
    w = world()
    agreement = svc.agreement_create(by=w.farmer, data=agreement_data(germigney_values(w)))
    context = open_context(phone=True)
    context.add_cookies([_session_cookie(w.farmer, live_server)])
    page = context.new_page()

    response = page.goto(f"/conventions/{agreement.pk}/modifier/")
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []
    page.fill("input[name=household_price_per_unit]", "2,50")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.wait_for_url(f"**/conventions/{agreement.pk}/")

    assert "payé par le ménage : 2,50 €" in page.content()
    assert SupplyAgreement.objects.get(pk=agreement.pk).household_price_per_unit is not None
    page.goto("/conventions/demande/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []
