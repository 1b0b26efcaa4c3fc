"""Funding lines pay the gap per kg as deliveries are recorded, never beyond their amount (row
locks, tested with two recordings at once on PostgreSQL); budgets refuse the 301st euro."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from actors.models import Notification
from agreements.inputs import funding_line_data
from agreements.models import Funder, FundingLine, FundingUse
from agreements.services import funding
from miam.errors import DomainError, NotAllowed
from offers.models import Delivery, Match
from offers.services.matches import match_accept, match_confirm_delivery
from tests.agreements.helpers import D, active, world
from tests.factories import FarmFactory, StructureFactory, make_member, matching_need, matching_offer
from tests.offers.test_concurrency import run_at_once

MS = Match.MatchStatus


def line_for(w, amount="500", share="1.00", **over) -> FundingLine:
    funder = Funder.objects.create(territory=w.territory, name="Département du Jura", kind="departement")
    values = {
        "funder": funder.pk,
        "name": "Viande locale 2026-2027",
        "amount_eur": amount,
        "period_start": "2026-09-01",
        "period_end": "2027-08-31",
        "share_per_kg_eur": share,
        **over,
    }
    return funding.funding_line_create(by=w.officer, data=funding_line_data(values))


@pytest.mark.django_db
def test_a_funder_paying_one_euro_per_kg_of_the_gap_is_consumed_at_each_delivery():
    w = world()
    line = line_for(w)
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    first = agreement.occurrences.order_by("date").first()

    match_confirm_delivery(match=first.match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=first.date)

    line.refresh_from_db()
    assert line.consumed_eur == Decimal("10.00") and line.remaining_eur == Decimal("490.00")
    use = FundingUse.objects.get()
    assert (use.quantity_kg, use.amount_eur, use.delivery.amount_paid_eur) == (Decimal(10), Decimal(10), Decimal(98))


@pytest.mark.django_db
def test_a_line_never_pays_more_than_the_gap():
    w = world()
    line = line_for(w, share="5.00")
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    first = agreement.occurrences.order_by("date").first()
    match_confirm_delivery(match=first.match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=first.date)
    assert FundingUse.objects.get().amount_eur == Decimal("10.00")  # the gap is 1 €/kg


@pytest.mark.django_db
def test_a_delivery_the_line_can_no_longer_pay_is_refused_and_nothing_is_written():
    w = world()
    line = line_for(w, amount="15")
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    first, second = agreement.occurrences.order_by("date")[:2]
    match_confirm_delivery(match=first.match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=first.date)

    with pytest.raises(DomainError) as caught:
        match_confirm_delivery(
            match=second.match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=second.date
        )

    assert caught.value.code == "funding_exhausted"
    assert "il reste 5,00 € pour 10,00 €" in caught.value.message
    assert Delivery.objects.count() == 1 and FundingUse.objects.count() == 1
    assert Match.objects.get(pk=second.match_id).status == MS.SCHEDULED
    line.refresh_from_db()
    assert line.consumed_eur == Decimal(10)


@pytest.mark.django_db
def test_officers_are_alerted_once_before_a_line_runs_out():
    w = world()
    line = line_for(w, amount="40")  # alert under 20 %: 8 € left
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    occurrences = list(agreement.occurrences.order_by("date")[:4])
    for occurrence in occurrences[:3]:
        match_confirm_delivery(
            match=occurrence.match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=occurrence.date
        )
    assert not Notification.objects.filter(kind="funding_low").exists()  # 10 € left of 40
    match_confirm_delivery(
        match=occurrences[3].match, by=w.volunteer, quantity_received=Decimal(5), delivered_on=occurrences[3].date
    )
    alert = Notification.objects.get(kind="funding_low")
    assert alert.user == w.officer and "5,00 €" in alert.body


@pytest.mark.django_db
def test_funding_lines_are_managed_by_the_territorys_officers_only():
    w = world()
    funder = Funder.objects.create(territory=w.territory, name="CCAS de Cluny", kind="ccas")
    values = {
        "funder": funder.pk,
        "name": "Ligne",
        "amount_eur": "100",
        "period_start": "2026-09-01",
        "period_end": "2027-08-31",
        "share_per_kg_eur": "1",
    }
    with pytest.raises(NotAllowed):
        funding.funding_line_create(by=w.volunteer, data=funding_line_data(values))
    with pytest.raises(DomainError) as caught:
        funding.funding_line_create(by=w.officer, data=funding_line_data({**values, "period_end": "2026-01-01"}))
    assert "se termine avant de commencer" in caught.value.fields["period_end"][0]
    with pytest.raises(DomainError) as caught:
        funding.funding_line_create(by=w.officer, data=funding_line_data({**values, "funder": "424242"}))
    assert caught.value.fields["funder"] == ["Financeur inconnu : « 424242 »."]
    assert not FundingLine.objects.exists()


@pytest.mark.django_db
def test_300_euros_a_month_cannot_confirm_a_purchase_that_brings_it_to_301():
    structure = StructureFactory()  # 300 € a month
    volunteer = make_member(structure)
    first = matching_offer(
        quantity=100, pricing="solidarity", price_per_unit=Decimal(2), usual_price_per_unit=Decimal(3)
    )
    second = matching_offer(
        quantity=101, pricing="solidarity", price_per_unit=Decimal(1), usual_price_per_unit=Decimal(2)
    )
    needs = [
        matching_need(structure, quantity=200, accepted_pricing="purchase", max_price_per_unit=3) for _ in range(2)
    ]
    spent = Match.objects.create(
        offer=first,
        need=needs[0],
        quantity=Decimal(100),
        price_per_unit=Decimal(2),
        status=MS.ACCEPTED_FARM,
        farm_accepted_at=timezone.now(),
        acted_by_person=True,
    )
    match_accept(match=spent, by=volunteer)  # 200 €
    over = Match.objects.create(
        offer=second,
        need=needs[1],
        quantity=Decimal(101),
        price_per_unit=Decimal(1),
        status=MS.ACCEPTED_FARM,
        farm_accepted_at=timezone.now(),
        acted_by_person=True,
    )

    with pytest.raises(DomainError) as caught:
        match_accept(match=over, by=volunteer)  # 200 + 101 = 301 €

    assert (
        caught.value.code == "budget_exceeded" and "il reste 100,00 € pour un achat de 101,00 €" in caught.value.message
    )
    assert Match.objects.get(pk=over.pk).status == MS.ACCEPTED_FARM


@pytest.mark.postgres
@pytest.mark.usefixtures("transactional_geo")
def test_two_deliveries_recorded_at_once_never_overspend_a_funding_line():
    w = world()
    line = line_for(w, amount="10")  # one delivery of 10 kg at 1 €/kg, not two
    other_farm = FarmFactory()
    other_farmer = make_member(other_farm)
    first = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    from agreements.inputs import agreement_data
    from agreements.services import agreements as svc
    from tests.agreements.helpers import BEFORE_START, germigney_values

    second = svc.agreement_create(
        by=other_farmer,
        data=agreement_data(
            germigney_values(
                w,
                farm=other_farm.pk,
                carrier=other_farm.pk,
                transport_payer=other_farm.pk,
                price_paid_per_unit="9.80",
                funding_line=str(line.pk),
            )
        ),
    )
    svc.agreement_propose(by=other_farmer, agreement=second)
    svc.agreement_sign(by=other_farmer, agreement=second)
    svc.agreement_sign(by=w.volunteer, agreement=second, today=BEFORE_START)
    svc.agreement_activate(by=other_farmer, agreement=second, today=BEFORE_START)
    matches = [a.occurrences.order_by("date").first().match for a in (first, second)]

    outcomes = run_at_once(
        *[
            lambda m=m: match_confirm_delivery(
                match=m, by=w.volunteer, quantity_received=Decimal(10), delivered_on=D(2026, 10, 6)
            )
            for m in matches
        ]
    )

    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], DomainError), outcomes
    assert failures[0].code == "funding_exhausted"
    line.refresh_from_db()
    assert line.consumed_eur == Decimal(10) and FundingUse.objects.count() == 1 == Delivery.objects.count()
