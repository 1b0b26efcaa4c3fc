"""The match lifecycle: proposed → accepted → confirmed → scheduled → delivered → closed,
declined, cancelled (cascade), expired; manual proposals; notifications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from actors.models import Notification
from miam.errors import DomainError, NotAllowed
from offers.models import Delivery, Match, MatchingRun, Status
from offers.services import matches as services
from offers.services import runs
from tests.factories import (
    FarmFactory,
    StructureFactory,
    TerritoryFactory,
    UserFactory,
    commune,
    make_member,
    make_officer,
    matching_need,
    matching_offer,
)

pytestmark = pytest.mark.usefixtures("geo")
MS = Match.MatchStatus
TODAY = timezone.localdate


@pytest.fixture
def territory(geo):
    return TerritoryFactory()


@pytest.fixture
def pair(territory):
    """A 100 kg offer at 1,20 €/kg, a 60 kg need, proposed by a run; one member each side."""
    offer = matching_offer(
        quantity=100, pricing="solidarity", price_per_unit=Decimal("1.20"), usual_price_per_unit=Decimal("1.50")
    )
    need = matching_need(quantity=60, accepted_pricing="purchase", max_price_per_unit=Decimal("2"))
    runs.matching_run(territory_id=territory.pk, trigger="manual")
    match = Match.objects.get(offer=offer, need=need)
    return match, make_member(offer.organization), make_member(need.organization)


def confirmed(pair):
    match, farmer, volunteer = pair
    services.match_accept(match=match, by=farmer)
    return services.match_accept(match=match, by=volunteer)


def test_the_farm_accepting_first_waits_for_the_structure(pair):
    match, farmer, volunteer = pair
    match = services.match_accept(match=match, by=farmer)
    assert match.status == MS.ACCEPTED_FARM and match.acted_by_person
    assert match.offer.quantity_reserved == 0
    assert Notification.objects.filter(user=volunteer, kind="match_accepted").exists()
    assert not Notification.objects.filter(user=farmer, kind="match_accepted").exists()


def test_both_sides_accepting_confirms_and_reserves_the_quantity(pair):
    match = confirmed(pair)
    assert match.status == MS.CONFIRMED and match.confirmed_at
    match.offer.refresh_from_db()
    match.need.refresh_from_db()
    assert match.offer.quantity_reserved == Decimal("60")
    assert match.offer.status == Status.PARTLY_MATCHED
    assert match.need.quantity_covered == Decimal("60")
    assert match.need.status == Status.FULLY_MATCHED


def test_an_officer_accepting_on_a_sides_behalf_names_it_and_one_call_never_confirms_both(pair, territory):
    match, _, _ = pair
    officer = make_officer(territory)
    with pytest.raises(DomainError) as error:
        services.match_accept(match=match, by=officer)
    assert error.value.code == "side_required" and "side" in error.value.fields
    match = services.match_accept(match=match, by=officer, side="farm")
    assert match.status == MS.ACCEPTED_FARM
    match = services.match_accept(match=match, by=officer, side="structure")
    assert match.status == MS.CONFIRMED


def test_a_member_cannot_accept_in_the_name_of_the_other_side(pair):
    match, farmer, _ = pair
    with pytest.raises(NotAllowed):
        services.match_accept(match=match, by=farmer, side="structure")


def test_someone_from_another_organization_cannot_accept(pair):
    match, _, _ = pair
    with pytest.raises(NotAllowed):
        services.match_accept(match=match, by=make_member(StructureFactory()))


def test_a_match_asking_more_than_is_left_is_resized_to_what_is_left_and_both_sides_are_told(pair):
    # Formerly this failed with offer_exhausted and left the match "accepted" forever.
    match, farmer, volunteer = pair
    services.match_accept(match=match, by=farmer)
    match.offer.quantity_reserved = Decimal(50)  # taken meanwhile by a competing confirmation
    match.offer.save()
    match = services.match_accept(match=match, by=volunteer)
    assert (match.status, match.quantity) == (MS.CONFIRMED, Decimal("50"))
    assert match.reasons[-1] == {"code": "resized", "params": {"quantity": 50.0, "unit": "kg"}}
    assert Notification.objects.filter(user=farmer, kind="match_resized").exists()
    assert Notification.objects.filter(user=volunteer, kind="match_resized").exists()


def test_a_competing_confirmation_resizes_or_withdraws_the_other_live_matches_of_the_offer(territory):
    offer = matching_offer(quantity=100, min_quantity=20)
    needs = [matching_need(quantity=q) for q in (70, 25, 50)]
    big, small, middle = (
        services.match_request(by=make_member(n.organization), offer=offer, need=n, quantity=n.quantity) for n in needs
    )
    farmer = make_member(offer.organization)
    services.match_accept(match=big, by=farmer)  # 70 reserved, 30 left
    small.refresh_from_db()
    middle.refresh_from_db()
    assert (small.status, small.quantity) == (MS.ACCEPTED_STRUCTURE, Decimal("25"))  # still fits
    assert (middle.status, middle.quantity) == (MS.ACCEPTED_STRUCTURE, Decimal("30"))  # resized
    services.match_accept(match=small, by=farmer)  # 5 left, below the 20 kg minimum
    middle.refresh_from_db()
    assert middle.status == MS.EXPIRED and "réservée" in middle.declined_reason
    assert Notification.objects.filter(
        user__memberships__organization=middle.need.organization, kind="match_exhausted"
    ).exists()


def test_declining_needs_a_reason(pair):
    match, farmer, _ = pair
    with pytest.raises(DomainError) as error:
        services.match_decline(match=match, by=farmer, reason="  ")
    assert error.value.code == "reason_required"


def test_declining_records_the_side_and_reason(pair):
    match, farmer, volunteer = pair
    match = services.match_decline(match=match, by=volunteer, reason="Pas de place en chambre froide")
    assert (match.status, match.declined_by_side) == (MS.DECLINED, "structure")
    assert Notification.objects.filter(user=farmer, kind="match_declined").exists()
    with pytest.raises(DomainError):
        services.match_accept(match=match, by=farmer)


def test_scheduling_sets_the_day_and_the_mode(pair):
    match, farmer, volunteer = pair
    confirmed(pair)
    tomorrow = TODAY() + dt.timedelta(days=1)
    match = services.match_schedule(match=match, by=volunteer, date=tomorrow, mode="pickup")
    assert (match.status, match.scheduled_for, match.mode) == (MS.SCHEDULED, tomorrow, "pickup")
    assert Notification.objects.filter(user=farmer, kind="match_scheduled").exists()


def test_scheduling_in_the_past_or_after_the_window_is_refused(pair):
    match, farmer, _ = pair
    confirmed(pair)
    with pytest.raises(DomainError) as error:
        services.match_schedule(match=match, by=farmer, date=TODAY() - dt.timedelta(days=1), mode="delivery")
    assert error.value.code == "date_past"
    with pytest.raises(DomainError) as error:
        services.match_schedule(match=match, by=farmer, date=TODAY() + dt.timedelta(days=60), mode="delivery")
    assert error.value.code == "date_after_window"


def test_a_proposal_cannot_be_scheduled_before_it_is_confirmed(pair):
    match, farmer, _ = pair
    with pytest.raises(DomainError) as error:
        services.match_schedule(match=match, by=farmer, date=TODAY(), mode="delivery")
    assert error.value.code == "invalid_status"


def test_the_structure_confirms_the_delivery_and_the_farmer_is_paid_for_what_was_received(pair):
    match, farmer, volunteer = pair
    confirmed(pair)
    match = services.match_confirm_delivery(
        match=match, by=volunteer, quantity_received=Decimal("55.5"), note="Un cageot abîmé"
    )
    assert match.status == MS.DELIVERED and match.quantity_received == Decimal("55.5")
    delivery = Delivery.objects.get(match=match)
    assert delivery.quantity_kg == Decimal("55.500")
    assert delivery.amount_paid_eur == Decimal("66.60")  # 1,20 € × 55,5 kg
    # Both organizations sit on Cluny's town hall: the matching says 0 km, the delivery records
    # the mean distance between two points of a disc as large as Cluny (tests/web/test_dashboard.py).
    assert match.distance_km == Decimal("0.0") and delivery.distance_km == Decimal("3.3")
    assert delivery.received_by == volunteer
    assert Notification.objects.filter(user=farmer, kind="match_delivered").exists()
    assert services.match_close(match=match, by=farmer).status == MS.CLOSED


def test_only_the_structure_confirms_a_delivery(pair):
    match, farmer, _ = pair
    confirmed(pair)
    with pytest.raises(NotAllowed):
        services.match_confirm_delivery(match=match, by=farmer, quantity_received=60)


def test_more_than_agreed_cannot_be_received(pair):
    match, _, volunteer = pair
    confirmed(pair)
    with pytest.raises(DomainError) as error:
        services.match_confirm_delivery(match=match, by=volunteer, quantity_received=61)
    assert error.value.code == "quantity_too_high"


def test_a_donation_delivery_pays_nothing(territory):
    offer = matching_offer(quantity=10)
    need = matching_need(quantity=10)
    runs.matching_run(territory_id=territory.pk, trigger="manual")
    match = Match.objects.get()
    officer = make_officer(territory)
    services.match_accept(match=match, by=officer, side="farm")
    services.match_accept(match=match, by=officer, side="structure")
    services.match_confirm_delivery(match=match, by=make_member(need.organization), quantity_received=10)
    assert Delivery.objects.get().amount_paid_eur == 0
    assert offer.pk == match.offer_id


def test_cancelling_a_confirmed_match_returns_the_quantity_and_proposes_the_next_best_at_once(
    pair, territory, django_capture_on_commit_callbacks
):
    match, farmer, _ = pair
    confirmed(pair)
    later_need = matching_need(quantity=40, accepted_pricing="purchase")
    with django_capture_on_commit_callbacks(execute=True):
        services.match_cancel(match=match, by=farmer, reason="Grêle : récolte perdue en partie")
    match.refresh_from_db()
    match.offer.refresh_from_db()
    assert match.status == MS.CANCELLED
    assert match.offer.quantity_reserved == 0 and match.offer.status == Status.PUBLISHED
    match.need.refresh_from_db()
    assert match.need.quantity_covered == 0
    cascade = MatchingRun.objects.filter(trigger="cascade").get()
    assert cascade.status == MatchingRun.RunStatus.SUCCESS
    proposal = Match.objects.get(offer=match.offer, need=later_need)
    assert proposal.status == MS.PROPOSED and proposal.run_id == cascade.pk
    assert Match.objects.filter(offer=match.offer, need=match.need).get().status == MS.CANCELLED


def test_a_proposal_cannot_be_cancelled_only_declined(pair):
    match, farmer, _ = pair
    with pytest.raises(DomainError) as error:
        services.match_cancel(match=match, by=farmer, reason="non")
    assert error.value.code == "invalid_status"


def test_a_scheduled_match_not_collected_in_time_expires_and_cascades(
    pair, territory, django_capture_on_commit_callbacks
):
    match, _, volunteer = pair
    confirmed(pair)
    services.match_schedule(match=match, by=volunteer, date=TODAY(), mode="delivery")
    other = matching_need(quantity=30, accepted_pricing="purchase")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.matches_expire_uncollected(today=TODAY() + dt.timedelta(days=2)) == 1
        assert services.matches_expire_uncollected(today=TODAY() + dt.timedelta(days=2)) == 0
    match.refresh_from_db()
    match.offer.refresh_from_db()
    assert match.status == MS.EXPIRED and match.offer.quantity_reserved == 0
    assert Match.objects.filter(need=other, status=MS.PROPOSED).exists()


def test_the_day_before_a_delivery_both_sides_get_one_reminder(pair, django_capture_on_commit_callbacks):
    match, farmer, volunteer = pair
    confirmed(pair)
    tomorrow = TODAY() + dt.timedelta(days=1)
    services.match_schedule(match=match, by=farmer, date=tomorrow, mode="delivery")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.matches_remind_upcoming(today=TODAY()) == 1
        assert services.matches_remind_upcoming(today=TODAY()) == 0
    assert {m.to[0] for m in mail.outbox} == {farmer.email, volunteer.email}
    assert "Rappel" in mail.outbox[0].subject
    assert "demain" in mail.outbox[0].body


def test_stale_proposals_of_a_withdrawn_offer_are_withdrawn_or_expired(pair, territory):
    match, farmer, _ = pair
    other_need = matching_need(quantity=10, accepted_pricing="purchase")
    runs.matching_run(territory_id=territory.pk, trigger="manual")
    services.match_accept(match=match, by=farmer)
    match.offer.status = Status.WITHDRAWN
    match.offer.save()
    assert services.matches_expire_stale(today=TODAY()) == 2
    match.refresh_from_db()
    assert match.status == MS.EXPIRED
    assert Match.objects.get(need=other_need).status == MS.WITHDRAWN


def test_an_officer_proposes_a_feasible_pair_by_hand(territory):
    offer = matching_offer(quantity=100)
    need = matching_need(quantity=50)
    farmer = make_member(offer.organization)
    officer = make_officer(territory)
    match = services.match_propose_manual(by=officer, offer=offer, need=need, quantity=Decimal(30))
    assert (match.origin, match.status, match.quantity, match.proposed_by) == ("manual", MS.PROPOSED, 30, officer)
    assert match.acted_by_person and match.explanation
    assert Notification.objects.filter(user=farmer, kind="match_proposed").exists()
    runs.matching_run(territory_id=territory.pk, trigger="manual")
    match.refresh_from_db()
    assert match.quantity == Decimal(30) and match.origin == "manual"


def test_a_manual_proposal_breaking_hard_constraints_lists_them_in_french(territory):
    offer = matching_offer(category="leafy-vegetables", storage="chilled", delivery_radius_km=5)
    need = matching_need(StructureFactory(commune=commune("71495")), has_fridge=False)
    with pytest.raises(DomainError) as error:
        services.match_propose_manual(by=make_officer(territory), offer=offer, need=need, quantity=10)
    assert error.value.code == "pair_not_feasible"
    assert "frigo" in error.value.message and "la ferme livre jusqu'à 5 km" in error.value.message
    codes = [c.split(" : ")[0] for c in error.value.fields["constraints"]]
    assert codes == ["no_fridge", "out_of_reach"]


def test_a_manual_proposal_cannot_take_more_than_remains(territory):
    offer = matching_offer(quantity=10)
    need = matching_need(quantity=50)
    with pytest.raises(DomainError) as error:
        services.match_propose_manual(by=make_officer(territory), offer=offer, need=need, quantity=20)
    assert "reste" in error.value.message


def test_only_an_officer_of_the_territory_proposes_by_hand(territory):
    offer = matching_offer()
    need = matching_need()
    with pytest.raises(NotAllowed):
        services.match_propose_manual(by=make_member(offer.organization), offer=offer, need=need, quantity=10)
    other_officer = make_officer(TerritoryFactory(epci_codes=["242504496"]))
    with pytest.raises(NotAllowed):
        services.match_propose_manual(by=other_officer, offer=offer, need=need, quantity=10)


def test_a_declined_pair_cannot_be_proposed_by_hand_either(pair, territory):
    match, farmer, _ = pair
    services.match_decline(match=match, by=farmer, reason="Déjà promis")
    with pytest.raises(DomainError) as error:
        services.match_propose_manual(by=make_officer(territory), offer=match.offer, need=match.need, quantity=10)
    assert error.value.code == "pair_exists"


def test_a_read_only_api_key_cannot_act(pair):
    from actors.models import ApiKey
    from actors.permissions import ApiKeyPrincipal

    match, _, _ = pair
    raw, prefix, key_hash = ApiKey.generate()
    key = ApiKey.objects.create(name="lecture", prefix=prefix, key_hash=key_hash, organization=match.offer.organization)
    with pytest.raises(NotAllowed):
        services.match_accept(match=match, by=ApiKeyPrincipal(api_key=key))
    assert raw and UserFactory and FarmFactory
