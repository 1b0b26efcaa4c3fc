"""Funding lines pay the gap per kg as deliveries are recorded, never beyond their amount; the
planned gap of a whole agreement is reserved when it is signed, so a line is never promised twice
(row locks, tested with two signatures and two recordings at once on PostgreSQL); budgets refuse
the 301st euro."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from actors.models import Notification
from agreements.inputs import agreement_data, funding_line_data
from agreements.models import Funder, FundingLine, FundingUse, Occurrence, SupplyAgreement
from agreements.services import agreements as svc
from agreements.services import funding
from miam.errors import DomainError, NotAllowed
from offers.models import Delivery, Match
from offers.services.matches import match_accept, match_confirm_delivery
from tests.agreements.helpers import BEFORE_START, D, active, germigney_values, signed, world
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
    # An agreement signed before lines were reserved (nothing held for it): the last guard is
    # the consumption itself, under the line's row lock.
    w = world()
    line = line_for(w, amount="20")
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk), end_date="2026-10-13")
    agreement.occurrences.update(funding_reserved_eur=0)
    FundingLine.objects.filter(pk=line.pk).update(reserved_eur=0, amount_eur=15)
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
    # Four Tuesdays of 10 kg at 1 €/kg of gap: the whole line is reserved at signing.
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk), end_date="2026-10-27")
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
    line.refresh_from_db()
    # The 5 kg not delivered of the last one went back to the line.
    assert (line.consumed_eur, line.reserved_eur, line.available_eur) == (Decimal(35), Decimal(0), Decimal(5))


# --- Reservation at signing -----------------------------------------------------------------


@pytest.mark.django_db
def test_signing_reserves_the_planned_gap_of_the_whole_agreement():
    w = world()
    line = line_for(w, amount="500")
    agreement = signed(w, price_paid_per_unit="9.80", funding_line=str(line.pk))  # 26 Tuesdays × 10 kg × 1 €

    line.refresh_from_db()
    assert (line.reserved_eur, line.available_eur, agreement.funding_reserved_eur) == (
        Decimal(260),
        Decimal(240),
        Decimal(260),
    )


@pytest.mark.django_db
def test_a_line_cannot_be_promised_twice_and_the_refused_signature_writes_nothing():
    w = world()
    line = line_for(w, amount="300")
    signed(w, price_paid_per_unit="9.80", funding_line=str(line.pk))  # holds 260 €
    other = _proposed_for_another_farm(w, line)
    svc.agreement_sign(by=other.farmer, agreement=other.agreement)

    with pytest.raises(DomainError) as caught:
        svc.agreement_sign(by=w.volunteer, agreement=other.agreement, today=BEFORE_START)

    assert caught.value.code == "funding_exhausted"
    assert "il reste 40,00 € disponibles pour 260,00 € prévus" in caught.value.message
    refused = SupplyAgreement.objects.get(pk=other.agreement.pk)
    assert refused.status == "proposed" and refused.funding_reserved_eur == 0
    assert not refused.parties.filter(signed_at__isnull=False).exists()
    line.refresh_from_db()
    assert line.reserved_eur == Decimal(260)


@pytest.mark.django_db
def test_skipping_ending_and_delivering_give_back_or_consume_the_reservation():
    w = world()
    line = line_for(w, amount="500")
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    occurrences = list(agreement.occurrences.order_by("date"))
    assert sum(o.funding_reserved_eur for o in occurrences) == Decimal(260)

    svc.occurrence_skip(by=w.volunteer, occurrence=occurrences[1])
    line.refresh_from_db()
    assert line.reserved_eur == Decimal(250)

    match_confirm_delivery(
        match=occurrences[0].match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=occurrences[0].date
    )
    line.refresh_from_db()
    assert (line.consumed_eur, line.reserved_eur) == (Decimal(10), Decimal(240))

    svc.agreement_end(by=w.farmer, agreement=agreement, on=D(2027, 1, 1), today=BEFORE_START)
    line.refresh_from_db()
    kept = Occurrence.objects.filter(agreement=agreement, status="planned", match__delivery__isnull=True).count()
    assert line.reserved_eur == Decimal(10) * kept  # only the deliveries still to come before 1 January


@pytest.mark.django_db
def test_a_bigger_delivery_reserves_more_and_is_refused_when_the_line_cannot():
    w = world()
    line = line_for(w, amount="265")
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))  # 260 € held, 5 € free
    first = agreement.occurrences.order_by("date").first()

    with pytest.raises(DomainError) as caught:
        svc.occurrence_change(by=w.volunteer, occurrence=first, quantity=Decimal(20), today=BEFORE_START)
    assert caught.value.code == "funding_exhausted"
    first.refresh_from_db()
    assert first.quantity == Decimal(10) and first.funding_reserved_eur == Decimal(10)

    svc.occurrence_change(by=w.volunteer, occurrence=first, quantity=Decimal(15), today=BEFORE_START)
    line.refresh_from_db()
    assert (line.reserved_eur, line.available_eur) == (Decimal(265), Decimal(0))


@dataclass
class _Other:
    farmer: object
    agreement: object


def _proposed_for_another_farm(w, line) -> _Other:
    other_farm = FarmFactory()
    other_farmer = make_member(other_farm)
    agreement = svc.agreement_create(
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
    return _Other(farmer=other_farmer, agreement=svc.agreement_propose(by=other_farmer, agreement=agreement))


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
def test_two_agreements_signed_at_once_never_promise_a_line_twice():
    w = world()
    line = line_for(w, amount="300")  # one season of 260 €, not two
    agreements = [_proposed_for_another_farm(w, line) for _ in range(2)]
    for other in agreements:
        svc.agreement_sign(by=other.farmer, agreement=other.agreement)

    outcomes = run_at_once(
        *[
            lambda a=other.agreement: svc.agreement_sign(by=w.volunteer, agreement=a, today=BEFORE_START)
            for other in agreements
        ]
    )

    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], DomainError), outcomes
    assert failures[0].code == "funding_exhausted"
    line.refresh_from_db()
    assert line.reserved_eur == Decimal(260)
    assert SupplyAgreement.objects.filter(status="signed").count() == 1


@pytest.mark.postgres
@pytest.mark.usefixtures("transactional_geo")
def test_two_deliveries_recorded_at_once_never_overspend_a_funding_line():
    w = world()
    line = line_for(w, amount="20")
    first = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk), end_date="2026-10-06")
    other = _proposed_for_another_farm(w, line)
    svc.agreement_update(
        by=other.farmer, agreement=other.agreement, data=agreement_data({"end_date": "2026-10-06"}, partial=True)
    )
    svc.agreement_sign(by=other.farmer, agreement=other.agreement)
    svc.agreement_sign(by=w.volunteer, agreement=other.agreement, today=BEFORE_START)
    second = svc.agreement_activate(by=other.farmer, agreement=other.agreement, today=BEFORE_START)
    # Signed before reservations existed: nothing held, 10 € left for two deliveries of 10 €.
    Occurrence.objects.update(funding_reserved_eur=0)
    FundingLine.objects.filter(pk=line.pk).update(reserved_eur=0, amount_eur=10)
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


# --- Moving a funded delivery ---------------------------------------------------------------


def _snapshot(occurrence: Occurrence, line: FundingLine) -> tuple:
    occurrence = Occurrence.objects.select_related("match__need").get(pk=occurrence.pk)
    line.refresh_from_db()
    match = occurrence.match
    return (
        occurrence.date,
        occurrence.funding_reserved_eur,
        match.scheduled_for,
        match.need.window_start,
        line.reserved_eur,
        occurrence.agreement.events.count(),
    )


@pytest.mark.django_db
def test_a_funded_delivery_moved_out_of_the_lines_period_is_refused_and_nothing_changes():
    w = world()
    line = line_for(w)  # 1 September 2026 – 31 August 2027
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    first = agreement.occurrences.order_by("date").first()
    before = _snapshot(first, line)

    with pytest.raises(DomainError) as caught:
        svc.occurrence_change(by=w.volunteer, occurrence=first, date=D(2027, 9, 7), today=BEFORE_START)

    assert (caught.value.code, caught.value.status_code) == ("funding_period", 400)
    assert caught.value.message.startswith(
        "La ligne de financement « Département du Jura – Viande locale 2026-2027 » paie les livraisons du "
        "1er septembre 2026 au 31 août 2027 : cette livraison ne peut pas être déplacée au 7 septembre 2027"
    )
    assert "date" in caught.value.fields
    assert _snapshot(first, line) == before
    # Within the period it moves, and keeps its reservation.
    svc.occurrence_change(by=w.volunteer, occurrence=first, date=D(2026, 10, 7), today=BEFORE_START)
    first.refresh_from_db()
    assert first.date == D(2026, 10, 7) and first.funding_reserved_eur == Decimal(10)


@pytest.mark.django_db
def test_the_refused_move_is_a_400_on_the_api_and_a_french_message_on_the_page(client):
    w = world()
    line = line_for(w)
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    first = agreement.occurrences.order_by("date").first()
    before = _snapshot(first, line)
    client.force_login(w.volunteer)

    response = client.post(
        f"/api/v1/agreements/{agreement.pk}/occurrences/{first.pk}/change/",
        {"date": "2027-09-07"},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "funding_period" and "hors de cette période" in body["fields"]["date"][0]

    page = client.post(f"/conventions/livraisons/{first.pk}/change/", {"date": "2027-09-07"}, follow=True)
    assert "ne peut pas être déplacée au 7 septembre 2027" in page.content.decode()
    assert _snapshot(first, line) == before


@pytest.mark.django_db
def test_a_delivery_moved_into_the_lines_period_reserves_its_share_and_out_of_it_when_unfunded_moves_freely():
    w = world()
    line = line_for(w, period_start="2026-10-10")  # the first Tuesday, 6 October, is not funded
    agreement = active(w, price_paid_per_unit="9.80", funding_line=str(line.pk))
    first = agreement.occurrences.order_by("date").first()
    assert first.funding_reserved_eur == 0
    line.refresh_from_db()
    held = line.reserved_eur

    svc.occurrence_change(by=w.volunteer, occurrence=first, date=D(2026, 10, 7), today=BEFORE_START)
    first.refresh_from_db()
    assert first.funding_reserved_eur == 0  # still outside, still unfunded: a free move

    svc.occurrence_change(by=w.volunteer, occurrence=first, date=D(2026, 10, 12), today=BEFORE_START)
    first.refresh_from_db()
    line.refresh_from_db()
    assert first.funding_reserved_eur == Decimal(10) and line.reserved_eur == held + Decimal(10)
