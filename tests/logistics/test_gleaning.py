"""Gleaning days: slots with volunteer capacity, sign-up with or without an account, moving
the date tells everyone signed up, no confirmation without agreement and insurance, the
kilograms gleaned recorded per structure. Bad input: French errors, nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from actors.models import Notification, StructureProfile
from logistics.inputs import gleaning_data, signup_data
from logistics.models import GleaningDay, GleaningHarvest, GleaningSignup, GleaningSlot
from logistics.services import gleaning
from miam.errors import DomainError
from tests.factories import FarmFactory, StructureFactory, TerritoryFactory, make_member, matching_offer
from tests.logistics.helpers import at

pytestmark = pytest.mark.django_db


def gleaning_offer(farm=None):
    return matching_offer(farm or FarmFactory(), logistics=["gleaning"])


def day_input(offer, **overrides) -> dict:
    values = {
        "offer": offer.pk,
        "place": "Verger du Bourg",
        "commune": "71137",
        "date": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
        "starts_at": "09:00",
        "ends_at": "17:00",
        "slots": [
            {"starts_at": "09:00", "ends_at": "12:00", "volunteer_capacity": 4},
            {"starts_at": "14:00", "ends_at": "17:00", "volunteer_capacity": 6},
        ],
    }
    values.update(overrides)
    return values


def posted_day(**overrides) -> tuple[GleaningDay, object]:
    offer = gleaning_offer()
    organiser = make_member(offer.organization)
    day = gleaning.gleaning_create(by=organiser, data=gleaning_data(day_input(offer, **overrides)))
    gleaning.gleaning_post(by=organiser, day=day)
    return day, organiser


def test_a_gleaning_day_is_made_with_its_slots():
    offer = gleaning_offer()
    day = gleaning.gleaning_create(by=make_member(offer.organization), data=gleaning_data(day_input(offer)))
    assert [(s.starts_at, s.volunteer_capacity) for s in day.slots.all()] == [(dt.time(9), 4), (dt.time(14), 6)]
    assert day.status == "draft"


def test_bad_slots_are_refused_in_french_and_nothing_is_written():
    offer = gleaning_offer()
    with pytest.raises(DomainError) as caught:
        gleaning.gleaning_create(
            by=make_member(offer.organization),
            data=gleaning_data(
                day_input(
                    offer,
                    slots=[
                        {"starts_at": "09:00", "ends_at": "12:00", "volunteer_capacity": -3},
                        {"starts_at": "15:00", "ends_at": "14:00", "volunteer_capacity": 2},
                    ],
                )
            ),
        )
    assert caught.value.fields == {
        "slots.0.volunteer_capacity": ["Ce nombre ne peut pas être négatif."],
        "slots.1.ends_at": ["L'heure de fin doit être après l'heure de début."],
    }
    assert not GleaningDay.objects.exists() and not GleaningSlot.objects.exists()


def test_an_offer_not_open_to_gleaning_has_no_gleaning_day():
    offer = matching_offer(logistics=["delivery"])
    with pytest.raises(DomainError) as caught:
        gleaning.gleaning_create(by=make_member(offer.organization), data=gleaning_data(day_input(offer)))
    assert caught.value.fields == {"offer": ["Cette offre n'est pas proposée au glanage."]}


def test_a_resident_without_an_account_signs_up_with_name_and_consent():
    day, _organiser = posted_day()
    slot = day.slots.first()
    refused_ = signup_data({"name": "Dominique", "email": "dominique@example.org", "volunteers": 2})
    with pytest.raises(DomainError) as caught:
        gleaning.gleaning_signup(slot=slot, by=None, data=refused_)
    assert "consent" in caught.value.fields
    made = gleaning.gleaning_signup(
        slot=slot, by=None, data=signup_data({"name": "Dominique", "email": "dominique@example.org", "consent": True})
    )
    assert (made.name, made.user, made.consent) == ("Dominique", None, True)


def test_a_slot_over_capacity_is_refused_and_nothing_is_written():
    day, _organiser = posted_day()
    slot = day.slots.first()  # 4 volunteers
    structure = StructureFactory()
    member = make_member(structure)
    gleaning.gleaning_signup(
        slot=slot, by=member, data=signup_data({"name": "Épicerie", "structure": structure.pk, "volunteers": 3})
    )
    with pytest.raises(DomainError) as caught:
        gleaning.gleaning_signup(
            slot=slot, by=None, data=signup_data({"name": "Sam", "volunteers": 2, "consent": True})
        )
    assert caught.value.fields == {"volunteers": ["Ce créneau est complet : il reste 1 place(s) sur 4."]}
    assert GleaningSignup.objects.count() == 1


def test_moving_the_date_tells_everyone_signed_up(django_capture_on_commit_callbacks):
    day, organiser = posted_day()
    structure = StructureFactory()
    member = make_member(structure)
    gleaning.gleaning_signup(
        slot=day.slots.first(), by=member, data=signup_data({"name": "Épicerie", "structure": structure.pk})
    )
    gleaning.gleaning_signup(
        slot=day.slots.last(),
        by=None,
        data=signup_data({"name": "Dominique", "email": "dominique@example.org", "consent": True}),
    )
    new_date = day.date + dt.timedelta(days=2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        gleaning.gleaning_move(by=organiser, day=day, date=new_date, starts_at=dt.time(10), ends_at=dt.time(18))
    moved = Notification.objects.filter(kind="gleaning_moved")
    assert list(moved.values_list("user", flat=True)) == [member.pk]
    assert "dominique@example.org" in [to for m in mail.outbox for to in m.to]
    assert [s.starts_at for s in GleaningSlot.objects.filter(day=day).order_by("starts_at")] == [
        dt.time(10),
        dt.time(15),
    ]


def test_a_day_cannot_be_confirmed_without_agreement_and_insurance():
    day, organiser = posted_day()
    with pytest.raises(DomainError) as caught:
        gleaning.gleaning_confirm(by=organiser, day=day)
    assert caught.value.fields == {
        "agreement_reference": ["La convention de glanage est obligatoire pour confirmer."],
        "insurance_reference": ["L'assurance responsabilité civile est obligatoire pour confirmer."],
    }
    day.refresh_from_db()
    assert day.status == "posted"
    gleaning.gleaning_record_papers(
        by=organiser, day=day, agreement_reference="CONV-2026-14", insurance_reference="MAIF 123456"
    )
    assert gleaning.gleaning_confirm(by=organiser, day=day).status == "confirmed"


def test_gleaned_kilograms_are_recorded_per_structure_afterwards():
    territory = TerritoryFactory()
    day, organiser = posted_day(date=timezone.localdate().isoformat())
    gleaning.gleaning_record_papers(by=organiser, day=day, agreement_reference="C", insurance_reference="A")
    gleaning.gleaning_confirm(by=organiser, day=day)
    first, second = StructureFactory(), StructureFactory()
    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=first, quantity_kg=Decimal("120.5"))
    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=second, quantity_kg=Decimal(40))
    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=second, quantity_kg=Decimal(45))
    assert gleaning.gleaned_kg_by_structure(territory=territory) == {first.pk: Decimal("120.5"), second.pk: 45}
    assert GleaningHarvest.objects.count() == 2


def test_only_structures_in_reach_with_volunteers_are_alerted():
    day, _organiser = posted_day()
    near = at("71240", StructureFactory)  # Jalogny, a few km
    far = at("71076", StructureFactory)  # Chalon-sur-Saône, ~40 km
    none = at("71264", StructureFactory)  # Lournand, no volunteers
    StructureProfile.objects.filter(organization__in=[near, far]).update(gleaning_volunteers=5)
    assert near in gleaning.structures_in_reach(day)
    assert far not in gleaning.structures_in_reach(day)
    assert none not in gleaning.structures_in_reach(day)


def test_the_api_refuses_a_slot_over_capacity_in_french():
    day, _organiser = posted_day()
    slot = day.slots.first()
    url = f"/api/v1/gleanings/{day.pk}/slots/{slot.pk}/signup/"
    answer = APIClient().post(url, {"name": "Sam", "volunteers": 9, "consent": True}, format="json")
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"volunteers": ["Ce créneau est complet : il reste 4 place(s) sur 4."]}
    ok = APIClient().post(url, {"name": "Sam", "volunteers": 2, "consent": True}, format="json")
    assert ok.status_code == 201
    listed = APIClient().get("/api/v1/gleanings/").json()["results"]
    assert listed[0]["slots"][0]["taken"] == 2 and listed[0]["commune_name"] == "Cluny"


def test_a_person_s_gleaning_sign_ups_are_in_their_export_and_go_with_their_account():
    from actors.services import user_delete, user_export_data

    day, _organiser = posted_day()
    person = make_member(StructureFactory())
    gleaning.gleaning_signup(slot=day.slots.first(), by=person, data=signup_data({"name": "Camille"}))
    exported = user_export_data(user=person)["gleaning_signups"]
    assert [(s["name"], s["volunteers"]) for s in exported] == [("Camille", 1)]
    user_delete(user=person, by=person)
    assert not GleaningSignup.objects.exists()


def _confirmed_day(offer=None):
    offer = offer or gleaning_offer()
    organiser = make_member(offer.organization)
    values = day_input(offer, date=timezone.localdate().isoformat())
    day = gleaning.gleaning_create(by=organiser, data=gleaning_data(values))
    gleaning.gleaning_post(by=organiser, day=day)
    gleaning.gleaning_record_papers(by=organiser, day=day, agreement_reference="C", insurance_reference="A")
    gleaning.gleaning_confirm(by=organiser, day=day)
    return day, organiser


def test_a_harvest_takes_its_kilograms_from_what_is_left_of_the_offer_and_a_correction_gives_back():
    from offers.models import Offer

    day, organiser = _confirmed_day()  # an offer of 100 kg
    first, second = StructureFactory(), StructureFactory()

    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=first, quantity_kg=Decimal(30))
    offer = Offer.objects.get(pk=day.offer_id)
    assert (offer.quantity_reserved, offer.quantity_available, offer.status) == (30, 70, "partly_matched")

    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=first, quantity_kg=Decimal(20))  # corrected
    offer.refresh_from_db()
    assert offer.quantity_available == 80

    # The field gave more than the offer said: the offer is emptied, never below nothing, and
    # the kilograms are all recorded (the indicators count them).
    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=second, quantity_kg=Decimal(95))
    offer.refresh_from_db()
    assert (offer.quantity_reserved, offer.quantity_available, offer.status) == (100, 0, "fully_matched")
    harvest = GleaningHarvest.objects.get(structure=second)
    assert (harvest.quantity_kg, harvest.offer_quantity_held) == (95, 80)
    # What the first gives back goes to no one else by itself: it is what is left again.
    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=first, quantity_kg=Decimal(10))
    offer.refresh_from_db()
    assert offer.quantity_available == 10


def test_a_harvest_on_a_confirmed_match_takes_only_what_the_match_had_not_reserved():
    from offers.models import Match, Offer
    from offers.services.matches import match_accept
    from tests.factories import make_member as member
    from tests.factories import matching_need

    day, organiser = _confirmed_day()
    structure = StructureFactory()
    need = matching_need(structure, quantity=200)
    # The pair was confirmed before the day: 40 kg of the 100 reserved.
    Match.objects.create(
        offer_id=day.offer_id, need=need, quantity=40, unit="kg", quantity_kg=40, status="confirmed", mode="gleaning"
    )
    Offer.objects.filter(pk=day.offer_id).update(quantity_reserved=40)

    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=structure, quantity_kg=Decimal(50))
    offer = Offer.objects.get(pk=day.offer_id)
    assert offer.quantity_reserved == 50  # 40 of the match + 10 more gleaned, not 90
    harvest = GleaningHarvest.objects.get()
    assert harvest.delivery.quantity_received == 50

    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=structure, quantity_kg=Decimal(30))
    offer.refresh_from_db()
    assert offer.quantity_reserved == 40  # what a delivery keeps: its match's quantity

    # Matching cannot give the gleaned kilograms to someone else.
    other = matching_need(StructureFactory(), quantity=100)
    proposal = Match.objects.create(offer_id=day.offer_id, need=other, quantity=70, unit="kg", status="proposed")
    match_accept(match=proposal, by=member(offer.organization))
    match_accept(match=proposal, by=member(other.organization))
    proposal.refresh_from_db()
    offer.refresh_from_db()
    assert proposal.quantity == 60 and offer.quantity_available == 0
