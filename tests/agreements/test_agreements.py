"""Season agreements: the Germigney case, the lifecycle, one occurrence changed, bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actors.models import Notification
from agreements import recurrence
from agreements.inputs import agreement_data
from agreements.models import AgreementEvent, Occurrence, SupplyAgreement
from agreements.selectors import agreement_totals
from agreements.services import agreements as svc
from miam.errors import DomainError, NotAllowed
from offers.models import Match, Need, Offer
from offers.services.matches import match_confirm_delivery
from tests.agreements.helpers import BEFORE_START, D, active, germigney_values, signed, world
from tests.factories import FarmFactory, commune, make_member

pytestmark = pytest.mark.django_db
MS = Match.MatchStatus


def test_french_recurrences_are_rrules():
    assert recurrence.parse("chaque mardi")[0] == "FREQ=WEEKLY;BYDAY=TU"
    assert recurrence.parse("Un jeudi sur deux")[0] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
    assert recurrence.parse("le premier lundi du mois")[0] == "FREQ=MONTHLY;BYDAY=+1MO"
    assert recurrence.parse("biweekly-TH")[0] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
    assert recurrence.parse("FREQ=WEEKLY;BYDAY=FR")[0] == "FREQ=WEEKLY;BYDAY=FR"
    every_other = recurrence.dates("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", D(2026, 10, 1), D(2026, 10, 31))
    assert every_other == [D(2026, 10, 1), D(2026, 10, 15), D(2026, 10, 29)]
    with pytest.raises(recurrence.RecurrenceError, match="non reconnue"):
        recurrence.parse("quand il fait beau")
    with pytest.raises(recurrence.RecurrenceError, match="Fréquence"):
        recurrence.parse("FREQ=SECONDLY")


def test_germigney_weekly_beef_gives_26_occurrences_as_scheduled_matches_reserving_the_planned_production():
    w = world()
    agreement = active(w)

    assert agreement.status == SupplyAgreement.Status.ACTIVE
    occurrences = list(agreement.occurrences.order_by("date"))
    assert len(occurrences) == 26
    assert occurrences[0].date == D(2026, 10, 6) and occurrences[-1].date == D(2027, 3, 30)
    assert all(o.date.weekday() == 1 for o in occurrences)
    matches = Match.objects.filter(occurrence__agreement=agreement)
    assert matches.count() == 26
    assert set(matches.values_list("status", "origin", "quantity", "price_per_unit")) == {
        (MS.SCHEDULED, Match.Origin.AGREEMENT, Decimal(10), Decimal("10.80"))
    }
    offer = Offer.objects.get(pk=agreement.offer_id)
    assert (offer.quantity, offer.quantity_reserved, offer.status) == (Decimal(260), Decimal(260), "fully_matched")
    assert offer.organization == w.farm and offer.usual_price_per_unit == Decimal("11.80")
    assert Need.objects.filter(organization=w.structure, status="fully_matched").count() == 26
    history = list(AgreementEvent.objects.filter(agreement=agreement).values_list("action", "to_status"))
    assert history == [
        ("created", "draft"),
        ("proposed", "proposed"),
        ("signed", "proposed"),
        ("signed", "signed"),
        ("activated", "active"),
    ]


def test_each_reception_updates_kg_and_euros_delivered():
    w = world()
    agreement = active(w)
    first, second = [o.match for o in agreement.occurrences.order_by("date")[:2]]

    match_confirm_delivery(match=first, by=w.volunteer, quantity_received=Decimal(10), delivered_on=D(2026, 10, 6))
    totals = agreement_totals(agreement)
    assert (totals.delivered, totals.kg_delivered, totals.paid_eur) == (1, Decimal(10), Decimal("108.00"))

    match_confirm_delivery(match=second, by=w.volunteer, quantity_received=Decimal("9.5"), delivered_on=D(2026, 10, 13))
    totals = agreement_totals(agreement)
    assert (totals.delivered, totals.kg_delivered, totals.paid_eur) == (2, Decimal("19.5"), Decimal("210.60"))
    assert totals.fair_value_eur == Decimal("210.60")
    # The farm was told, as for any delivery.
    assert Notification.objects.filter(user=w.farmer, kind="match_delivered").count() == 2


def test_ending_on_january_first_keeps_the_past_occurrences_and_removes_only_the_future_ones():
    w = world()
    agreement = active(w)
    first = agreement.occurrences.order_by("date").first()
    match_confirm_delivery(match=first.match, by=w.volunteer, quantity_received=Decimal(10), delivered_on=first.date)

    agreement = svc.agreement_end(by=w.farmer, agreement=agreement, on=D(2027, 1, 1))

    assert agreement.status == SupplyAgreement.Status.ENDED and agreement.ended_on == D(2027, 1, 1)
    kept = list(agreement.occurrences.order_by("date").values_list("date", flat=True))
    assert len(kept) == 13 and kept[0] == D(2026, 10, 6) and kept[-1] == D(2026, 12, 29)
    assert Match.objects.filter(offer_id=agreement.offer_id).count() == 13
    assert not Match.objects.filter(offer_id=agreement.offer_id, scheduled_for__gte=D(2027, 1, 1)).exists()
    assert Match.objects.get(pk=first.match_id).status == MS.DELIVERED  # the past stays as it was
    offer = Offer.objects.get(pk=agreement.offer_id)
    assert offer.quantity == offer.quantity_reserved == Decimal(130)
    assert Need.objects.filter(organization=w.structure).count() == 13
    assert (
        AgreementEvent.objects.filter(agreement=agreement, action="ended")
        .get()
        .note.endswith("13 livraisons à venir retirées")
    )


def test_one_occurrence_skipped_moved_or_resized_leaves_the_series_whole():
    w = world()
    agreement = active(w)
    a, b, c = list(agreement.occurrences.order_by("date")[:3])
    offer_id = agreement.offer_id

    svc.occurrence_skip(by=w.volunteer, occurrence=a)
    svc.occurrence_change(by=w.farmer, occurrence=b, date=D(2026, 10, 14), today=BEFORE_START)
    svc.occurrence_change(by=w.farmer, occurrence=c, quantity=Decimal(15), today=BEFORE_START)

    a.refresh_from_db(), b.refresh_from_db(), c.refresh_from_db()
    assert a.status == Occurrence.Status.SKIPPED and a.match is None
    assert b.date == D(2026, 10, 14) and b.planned_for == D(2026, 10, 13)
    assert b.match.scheduled_for == D(2026, 10, 14) and b.match.need.window_start == D(2026, 10, 14)
    assert c.quantity == Decimal(15) and c.match.quantity == Decimal(15) and c.match.need.quantity == Decimal(15)
    offer = Offer.objects.get(pk=offer_id)
    assert offer.quantity == offer.quantity_reserved == Decimal(260 - 10 + 5)
    assert agreement.occurrences.filter(status=Occurrence.Status.PLANNED, match__isnull=False).count() == 25
    with pytest.raises(DomainError, match="n'est plus prévue"):
        svc.occurrence_skip(by=w.volunteer, occurrence=a)


def test_suspending_releases_the_occurrences_to_come_and_resuming_brings_them_back():
    w = world()
    agreement = active(w)
    svc.agreement_suspend(by=w.officer, agreement=agreement, today=D(2027, 1, 1))
    assert Match.objects.filter(offer_id=agreement.offer_id).count() == 13
    svc.agreement_resume(by=w.officer, agreement=agreement, today=D(2027, 1, 1))
    assert Match.objects.filter(offer_id=agreement.offer_id, status=MS.SCHEDULED).count() == 26
    offer = Offer.objects.get(pk=agreement.offer_id)
    assert offer.quantity == offer.quantity_reserved == Decimal(260)


def test_each_side_signs_for_itself_and_an_officer_helps_without_signing():
    w = world()
    agreement = svc.agreement_create(by=w.officer, data=agreement_data(germigney_values(w)))
    svc.agreement_propose(by=w.officer, agreement=agreement)
    with pytest.raises(NotAllowed, match="signe pour elle-même"):
        svc.agreement_sign(by=w.officer, agreement=agreement)
    svc.agreement_sign(by=w.farmer, agreement=agreement)
    with pytest.raises(DomainError, match="déjà signé"):
        svc.agreement_sign(by=w.farmer, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == SupplyAgreement.Status.PROPOSED  # the structure has not signed
    with pytest.raises(
        DomainError, match="^On ne peut pas démarrer une convention au statut « proposée à la signature »"
    ):
        svc.agreement_activate(by=w.officer, agreement=agreement, today=BEFORE_START)


def test_an_outsider_cannot_draft_an_agreement_between_others():
    w = world()
    stranger = make_member(FarmFactory(commune=commune("39013")))
    with pytest.raises(NotAllowed):
        svc.agreement_create(by=stranger, data=agreement_data(germigney_values(w)))
    assert not SupplyAgreement.objects.exists()


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        (
            {"recurrence": "chaque dimanche", "start_date": "2026-10-06", "end_date": "2026-10-10"},
            "recurrence",
            "ne donne aucune livraison entre le 6 octobre 2026 et le 10 octobre 2026",
        ),
        ({"end_date": "2026-09-30"}, "end_date", "La période se termine (30 septembre 2026) avant de commencer"),
        (
            {"price_paid_per_unit": "11.00"},
            "price_paid_per_unit",
            "Le prix payé par la structure (11,00 €) ne peut dépasser le prix juste au producteur (10,80 €).",
        ),
        ({"funding_line": "999999"}, "funding_line", "Financeur inconnu : aucune ligne de financement « 999999 »."),
        # Beyond any id: unknown, never a database error (SQLite cannot even bind it).
        ({"structures": ["9999999999999999999"]}, "structures", "Organisation inconnue : 9999999999999999999."),
        ({"farm": 2**64}, "farm", "Organisation inconnue"),
        ({"recurrence": "parfois"}, "recurrence", "Récurrence non reconnue"),
    ],
)
def test_bad_input_gives_a_clear_french_error_and_writes_nothing(over, field, message):
    w = world()
    with pytest.raises(DomainError) as caught:
        svc.agreement_create(by=w.farmer, data=agreement_data(germigney_values(w, **over)))
    assert message in " ".join(caught.value.fields[field])
    assert not SupplyAgreement.objects.exists() and not AgreementEvent.objects.exists()


def test_a_structure_cannot_sign_an_agreement_its_monthly_budget_cannot_pay():
    w = world(budget=Decimal(300))  # 4 or 5 Tuesdays × 108 € > 300 €
    agreement = svc.agreement_create(by=w.farmer, data=agreement_data(germigney_values(w)))
    svc.agreement_propose(by=w.farmer, agreement=agreement)
    svc.agreement_sign(by=w.farmer, agreement=agreement)
    with pytest.raises(DomainError) as caught:
        svc.agreement_sign(by=w.volunteer, agreement=agreement, today=BEFORE_START)
    assert caught.value.code == "budget_exceeded"
    assert "300,00 €" in caught.value.message and "octobre 2026" in caught.value.message
    assert agreement.parties.get().signed_at is None
    # Two deliveries a month fit: 2 × 10 kg × 10.80 = 216 € ≤ 300 €.
    fits = svc.agreement_create(
        by=w.farmer, data=agreement_data(germigney_values(w, recurrence="le premier mardi du mois"))
    )
    svc.agreement_propose(by=w.farmer, agreement=fits)
    svc.agreement_sign(by=w.farmer, agreement=fits)
    assert svc.agreement_sign(by=w.volunteer, agreement=fits, today=BEFORE_START).status == "signed"


def test_both_sides_are_reminded_before_each_delivery_once(django_capture_on_commit_callbacks):
    w = world()
    agreement = active(w)
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.occurrences_remind(today=D(2026, 10, 4), days_ahead=2) == 1
        assert svc.occurrences_remind(today=D(2026, 10, 4), days_ahead=2) == 0
    occurrence = agreement.occurrences.get(reminded_at__isnull=False)
    assert svc.occurrence_remind_send(occurrence_id=occurrence.pk) is False  # a second run: nothing
    titles = Notification.objects.filter(kind="agreement_reminder").values_list("user_id", "title")
    assert {u for u, _ in titles} == {w.farmer.pk, w.volunteer.pk}
    assert "6 octobre 2026" in titles[0][1]
    assert agreement.occurrences.filter(reminded_at__isnull=False).count() == 1


def test_activation_plans_only_the_occurrences_still_to_come():
    w = world()
    agreement = signed(w)
    agreement = svc.agreement_activate(by=w.farmer, agreement=agreement, today=D(2027, 3, 1))
    assert agreement.occurrences.count() == 5  # the Tuesdays of March 2027
