"""Confirmations at once on real PostgreSQL: row locks and the database constraint never let
an offer be reserved beyond what it holds, nor a structure's month of purchases beyond its
budget; what can no longer be reserved is resized or withdrawn, never left accepted."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from miam.errors import DomainError
from offers.models import Match, Offer
from offers.services import budget
from offers.services.matches import match_accept
from tests.factories import StructureFactory, make_member, matching_need, matching_offer

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("transactional_geo")]


def accepted_by_farm(offer, need, quantity) -> Match:
    return Match.objects.create(
        offer=offer,
        need=need,
        quantity=quantity,
        status=Match.MatchStatus.ACCEPTED_FARM,
        farm_accepted_at=timezone.now(),
        acted_by_person=True,
    )


def run_at_once(*calls):
    """Each call in its own thread (own database connection), released together."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # collected, asserted by the test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_confirmations_at_once_on_an_offer_that_can_serve_one_confirm_one_and_withdraw_the_other():
    offer = matching_offer(quantity=100)
    needs = [matching_need(quantity=100), matching_need(quantity=100)]
    matches = [accepted_by_farm(offer, need, Decimal(100)) for need in needs]
    volunteers = [make_member(need.organization) for need in needs]

    outcomes = run_at_once(
        *[lambda m=m, v=v: match_accept(match=m, by=v) for m, v in zip(matches, volunteers, strict=True)]
    )

    assert not [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, DomainError)], outcomes
    offer.refresh_from_db()
    assert offer.quantity_reserved == Decimal(100) <= offer.quantity
    statuses = sorted(Match.objects.filter(offer=offer).values_list("status", flat=True))
    # The loser is not left "accepted" forever: nothing is left for it, so it expired (and was told).
    assert statuses == sorted([Match.MatchStatus.CONFIRMED, Match.MatchStatus.EXPIRED])


def test_many_confirmations_at_once_never_reserve_more_than_the_offer_holds():
    offer = matching_offer(quantity=100)
    needs = [matching_need(quantity=40) for _ in range(4)]
    matches = [accepted_by_farm(offer, need, Decimal(40)) for need in needs]
    volunteers = [make_member(need.organization) for need in needs]

    run_at_once(*[lambda m=m, v=v: match_accept(match=m, by=v) for m, v in zip(matches, volunteers, strict=True)])

    offer.refresh_from_db()
    assert offer.quantity_reserved == Decimal(100)  # 40 + 40, then the third resized to the 20 kg left
    rows = sorted(Match.objects.filter(offer=offer).values_list("status", "quantity"))
    MS = Match.MatchStatus
    assert sorted(s for s, _ in rows) == sorted([MS.CONFIRMED, MS.CONFIRMED, MS.CONFIRMED, MS.EXPIRED])
    assert sum(q for s, q in rows if s == MS.CONFIRMED) == Decimal(100)


def test_two_purchases_confirmed_at_once_never_spend_more_than_the_structures_monthly_budget():
    structure = StructureFactory()  # 300 € a month
    volunteer = make_member(structure)
    offers = [
        matching_offer(quantity=100, pricing="solidarity", price_per_unit=Decimal(2), usual_price_per_unit=Decimal(3))
        for _ in range(2)
    ]
    needs = [
        matching_need(structure, quantity=100, accepted_pricing="purchase", max_price_per_unit=3) for _ in range(2)
    ]
    matches = []
    for offer, need in zip(offers, needs, strict=True):
        match = accepted_by_farm(offer, need, Decimal(100))  # 200 € each: one fits, not both
        Match.objects.filter(pk=match.pk).update(price_per_unit=Decimal(2))
        matches.append(Match.objects.get(pk=match.pk))

    outcomes = run_at_once(*[lambda m=m: match_accept(match=m, by=volunteer) for m in matches])

    failures = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(failures) == 1 and failures[0].code == "budget_exceeded", outcomes
    assert "300,00" in failures[0].message or "100,00" in failures[0].message
    assert budget.budget_remaining(structure=structure, month=timezone.localdate()) == Decimal(100)
    statuses = sorted(Match.objects.filter(need__organization=structure).values_list("status", flat=True))
    assert statuses == sorted([Match.MatchStatus.CONFIRMED, Match.MatchStatus.ACCEPTED_FARM])


def test_the_database_itself_refuses_a_reservation_beyond_the_quantity():
    offer = matching_offer(quantity=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(quantity_reserved=F("quantity") + 1)
    offer.refresh_from_db()
    assert offer.quantity_reserved == 0
