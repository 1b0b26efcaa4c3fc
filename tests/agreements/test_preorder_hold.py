"""A pre-order holds its quantity on the farm's published offer from the moment it is made, so
matching cannot give it to anyone else; the hold follows an edit, goes back when the pre-order is
ended before it starts, and becomes the agreement's deliveries when it starts. Under the offer's
row lock: two pre-orders at once never hold more than is left (409)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agreements.inputs import agreement_data
from agreements.models import SupplyAgreement
from agreements.services import agreements as svc
from agreements.services import demand
from miam.errors import DomainError
from offers.models import Match, Offer
from offers.services.matches import match_accept
from tests.agreements.helpers import D, world
from tests.agreements.test_demand import planned_harvest
from tests.factories import StructureFactory, make_member, matching_need
from tests.offers.test_concurrency import run_at_once


def _preorder(w, offer, *, by=None, structure=None, per_month="120"):
    """120 kg a month of the 1000 kg harvest, October to March: 720 kg."""
    return demand.preorder_propose(
        by=by or w.volunteer,
        offer=offer,
        structure=structure or w.structure,
        quantity_per_month=Decimal(per_month),
        first_month=D(2026, 10, 1),
        last_month=D(2027, 3, 1),
    )


def _offer(offer) -> tuple:
    offer = Offer.objects.get(pk=offer.pk)
    return offer.quantity, offer.quantity_reserved, offer.status


@pytest.mark.django_db
def test_a_pre_order_holds_its_quantity_so_matching_cannot_give_it_to_another_structure():
    w = world()
    offer = planned_harvest(w)
    agreement = _preorder(w, offer)

    assert _offer(offer) == (Decimal(1000), Decimal(720), "partly_matched")
    assert (agreement.preorder_offer_id, agreement.preorder_quantity_held) == (offer.pk, Decimal(720))
    other = matching_need(StructureFactory(), quantity=500)
    proposal = Match.objects.create(offer=offer, need=other, quantity=400, unit="kg", status="proposed")
    match_accept(match=proposal, by=make_member(offer.organization))
    match_accept(match=proposal, by=make_member(other.organization))
    proposal.refresh_from_db()
    assert proposal.quantity == 280  # what the pre-order left, not 400
    assert _offer(offer)[1] == Decimal(1000)


@pytest.mark.django_db
def test_ending_a_pre_order_before_it_starts_gives_the_quantity_back():
    w = world()
    offer = planned_harvest(w)
    agreement = _preorder(w, offer)

    ended = svc.agreement_end(by=w.volunteer, agreement=agreement, on=D(2026, 10, 1))

    assert (ended.status, ended.preorder_quantity_held) == ("ended", 0)
    assert _offer(offer) == (Decimal(1000), Decimal(0), "published")


@pytest.mark.django_db
def test_ending_a_signed_pre_order_from_its_page_gives_the_quantity_back(client):
    w = world()
    offer = planned_harvest(w)
    agreement = _preorder(w, offer)
    svc.agreement_sign(by=w.volunteer, agreement=agreement, today=D(2026, 10, 1))
    svc.agreement_sign(by=w.farmer, agreement=agreement)
    client.force_login(w.farmer)
    page = client.get(f"/conventions/{agreement.pk}/").content.decode()
    assert 'id="preorder-held"' in page and "720 kg réservés" in page

    client.post(f"/conventions/{agreement.pk}/end/", {"on": "2026-10-01"})

    assert SupplyAgreement.objects.get(pk=agreement.pk).status == "ended"
    assert _offer(offer)[1] == 0


@pytest.mark.django_db
def test_starting_a_pre_order_turns_its_hold_into_the_agreements_deliveries():
    w = world()
    offer = planned_harvest(w)
    agreement = _preorder(w, offer)
    svc.agreement_sign(by=w.volunteer, agreement=agreement, today=D(2026, 10, 1))
    svc.agreement_sign(by=w.farmer, agreement=agreement)

    # Started in December: October and November are past; their 240 kg are the farm's again.
    started = svc.agreement_activate(by=w.farmer, agreement=agreement, today=D(2026, 12, 1))

    assert started.preorder_quantity_held == 0
    assert started.occurrences.count() == 4
    planned = Offer.objects.get(pk=started.offer_id)
    assert (planned.quantity, planned.quantity_reserved) == (Decimal(480), Decimal(480))
    # The 480 kg now delivered through the agreement left the published offer: never twice.
    assert _offer(offer) == (Decimal(520), Decimal(0), "published")
    assert SupplyAgreement.objects.get(pk=started.pk).preorder_quantity_held == 0


@pytest.mark.django_db
def test_editing_a_pre_order_moves_its_hold_and_more_than_is_left_is_refused_with_a_409():
    w = world()
    offer = planned_harvest(w)
    agreement = _preorder(w, offer)

    svc.agreement_update(
        by=w.volunteer, agreement=agreement, data=agreement_data({"quantity_per_delivery": "150"}, partial=True)
    )
    assert _offer(offer)[1] == Decimal(900)

    with pytest.raises(DomainError) as caught:
        svc.agreement_update(
            by=w.volunteer, agreement=agreement, data=agreement_data({"quantity_per_delivery": "200"}, partial=True)
        )
    assert (caught.value.code, caught.value.status_code) == ("offer_exhausted", 409)
    assert caught.value.message == "Il reste 1000 kg de cette production, pas 1200."
    agreement.refresh_from_db()
    assert (agreement.quantity_per_delivery, agreement.preorder_quantity_held) == (Decimal(150), Decimal(900))
    assert _offer(offer)[1] == Decimal(900)


@pytest.mark.django_db
def test_a_pre_order_over_what_is_left_is_a_409_through_the_api(client):
    w = world()
    offer = planned_harvest(w)
    _preorder(w, offer)  # 720 of 1000
    client.force_login(w.volunteer)
    response = client.post(
        "/api/v1/demand/preorders/",
        {
            "offer": offer.pk,
            "structure": w.structure.pk,
            "quantity_per_month": "50",
            "first_month": "2026-10",
            "last_month": "2027-03",
        },
        content_type="application/json",
    )
    assert response.status_code == 409, response.json()
    assert "Il reste 280 kg de cette production, pas 300." in str(response.json())
    assert SupplyAgreement.objects.count() == 1 and _offer(offer)[1] == Decimal(720)


@pytest.mark.postgres
@pytest.mark.usefixtures("transactional_geo")
def test_two_pre_orders_at_once_never_hold_more_than_is_left():
    w = world()
    offer = planned_harvest(w)  # 1000 kg: one pre-order of 720 kg, not two
    second = StructureFactory(profile__monthly_budget_eur=Decimal(1000))
    second_volunteer = make_member(second)

    outcomes = run_at_once(
        lambda: _preorder(w, offer),
        lambda: _preorder(w, offer, by=second_volunteer, structure=second),
    )

    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], DomainError), outcomes
    assert (failures[0].code, failures[0].status_code) == ("offer_exhausted", 409)
    assert failures[0].fields == {"quantity_per_month": ["Il reste 280 kg de cette production, pas 720."]}
    assert _offer(offer)[1] == Decimal(720)
    assert SupplyAgreement.objects.count() == 1
    assert SupplyAgreement.objects.get().preorder_quantity_held == Decimal(720)
