"""Two confirmations at once on real PostgreSQL: row locks and the database constraint
never let an offer be reserved beyond what it holds."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from miam.errors import DomainError
from offers.models import Match, Offer
from offers.services.matches import match_accept
from tests.factories import make_member, matching_need, matching_offer

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


def test_two_confirmations_at_once_on_an_offer_that_can_serve_one_let_exactly_one_succeed():
    offer = matching_offer(quantity=100)
    needs = [matching_need(quantity=100), matching_need(quantity=100)]
    matches = [accepted_by_farm(offer, need, Decimal(100)) for need in needs]
    volunteers = [make_member(need.organization) for need in needs]

    outcomes = run_at_once(
        *[lambda m=m, v=v: match_accept(match=m, by=v) for m, v in zip(matches, volunteers, strict=True)]
    )

    successes = [o for o in outcomes if isinstance(o, Match)]
    failures = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(successes) == 1 and len(failures) == 1, outcomes
    assert failures[0].code == "offer_exhausted"
    offer.refresh_from_db()
    assert offer.quantity_reserved == Decimal(100) <= offer.quantity
    statuses = sorted(Match.objects.filter(offer=offer).values_list("status", flat=True))
    assert statuses == sorted([Match.MatchStatus.CONFIRMED, Match.MatchStatus.ACCEPTED_FARM])


def test_many_confirmations_at_once_never_reserve_more_than_the_offer_holds():
    offer = matching_offer(quantity=100)
    needs = [matching_need(quantity=40) for _ in range(4)]
    matches = [accepted_by_farm(offer, need, Decimal(40)) for need in needs]
    volunteers = [make_member(need.organization) for need in needs]

    outcomes = run_at_once(
        *[lambda m=m, v=v: match_accept(match=m, by=v) for m, v in zip(matches, volunteers, strict=True)]
    )

    assert sum(isinstance(o, Match) for o in outcomes) == 2  # 2 × 40 kg fit in 100 kg, a third does not
    assert all(o.code == "offer_exhausted" for o in outcomes if isinstance(o, DomainError))
    offer.refresh_from_db()
    assert offer.quantity_reserved == Decimal(80)


def test_the_database_itself_refuses_a_reservation_beyond_the_quantity():
    offer = matching_offer(quantity=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(quantity_reserved=F("quantity") + 1)
    offer.refresh_from_db()
    assert offer.quantity_reserved == 0
