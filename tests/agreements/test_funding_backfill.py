"""The migration that back-fills the funding reservations of agreements signed before 0004:
it reserves exactly what signing (and starting) computes today, never overdraws a line, and
running it again changes nothing. Run through the MigrationExecutor on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from agreements.models import AgreementEvent, FundingLine, Occurrence, SupplyAgreement
from agreements.services import agreements as svc
from tests.agreements.helpers import world
from tests.agreements.test_funding import _proposed_for_another_farm, line_for

BEFORE = [("agreements", "0004_household_price_and_funding_reservation")]
BACKFILL = [("agreements", "0005_backfill_funding_reservation")]


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)


def _season(today: dt.date, **over) -> dict:
    """Ten-odd Tuesdays from next week, 10 kg each, 1 € of gap per kg: dates from today, so the
    migration's « today » (the clock) and the test's agree."""
    return {
        "start_date": (today + dt.timedelta(days=1)).isoformat(),
        "end_date": (today + dt.timedelta(days=80)).isoformat(),
        "price_paid_per_unit": "9.80",
        **over,
    }


def _line(w, amount: str, today: dt.date) -> FundingLine:
    return line_for(
        w,
        amount=amount,
        period_start=(today - dt.timedelta(days=30)).isoformat(),
        period_end=(today + dt.timedelta(days=60)).isoformat(),  # the last Tuesdays are not funded
    )


def _reserved(agreement) -> Decimal:
    # Only the columns 0005 knows: later migrations' columns are not there while it is tested.
    return SupplyAgreement.objects.values_list("funding_reserved_eur", flat=True).get(pk=agreement.pk)


def _as_before_0004() -> None:
    """What an agreement signed or started before 0004 held: nothing."""
    SupplyAgreement.objects.update(funding_reserved_eur=0)
    Occurrence.objects.update(funding_reserved_eur=0)
    FundingLine.objects.update(reserved_eur=0)
    AgreementEvent.objects.filter(action="funding_backfilled").delete()


@pytest.mark.postgres
@pytest.mark.usefixtures("transactional_geo")
def test_the_backfill_reserves_what_signing_and_starting_compute_and_never_overdraws_a_line():
    today = timezone.localdate()
    w = world(budget=Decimal(100000))
    line = _line(w, "1000", today)
    signed_one = svc.agreement_sign(
        by=w.volunteer,
        agreement=_sign_farm(_proposed_for_another_farm(w, line), **_season(today)),
        today=today,
    )
    started = _proposed_for_another_farm(w, line)
    _sign_farm(started, **_season(today))
    svc.agreement_sign(by=w.volunteer, agreement=started.agreement, today=today)
    started = svc.agreement_activate(by=started.farmer, agreement=started.agreement, today=today)
    small = _line(w, "1000", today)
    capped = _proposed_for_another_farm(w, small)
    _sign_farm(capped, **_season(today))
    capped = svc.agreement_sign(by=w.volunteer, agreement=capped.agreement, today=today)

    # What the services reserve today, the figures the migration must find again.
    signed_one = SupplyAgreement.objects.select_related("funding_line", "category").get(pk=signed_one.pk)
    expected_signed = svc._planned_gap(
        signed_one, svc._dates(signed_one, since=today), [p.structure_id for p in signed_one.parties.all()]
    )
    expected_occurrences = {o.pk: o.funding_reserved_eur for o in started.occurrences.all()}
    assert signed_one.funding_reserved_eur == expected_signed > 0
    assert Decimal(0) in expected_occurrences.values()  # the Tuesdays after the line's period
    assert sum(expected_occurrences.values()) == expected_signed
    assert capped.funding_reserved_eur == expected_signed
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        _migrate(BEFORE)
        _as_before_0004()
        # The other line: 25 €, of which deliveries consumed 20 € since then.
        FundingLine.objects.filter(pk=small.pk).update(amount_eur=Decimal(25), consumed_eur=Decimal(20))
        _migrate(BACKFILL)

        assert _reserved(signed_one) == expected_signed
        assert {o.pk: o.funding_reserved_eur for o in Occurrence.objects.filter(agreement=started)} == (
            expected_occurrences
        )
        assert FundingLine.objects.get(pk=line.pk).reserved_eur == 2 * expected_signed
        # Never overdrawn: 5 € were left of 25, the agreement holds them and its history says so.
        assert _reserved(capped) == Decimal(5)
        assert FundingLine.objects.get(pk=small.pk).reserved_eur == Decimal(5)
        note = AgreementEvent.objects.get(agreement_id=capped.pk, action="funding_backfilled").note
        wanted = f"{expected_signed:.2f}".replace(".", ",")
        assert note == f"financement réservé après coup : 5,00 € sur {wanted} € prévus (la ligne n'en couvre pas plus)"

        # Again: nothing more (what holds a reservation is left alone).
        _migrate(BEFORE)
        _migrate(BACKFILL)
        assert FundingLine.objects.get(pk=line.pk).reserved_eur == 2 * expected_signed
        assert FundingLine.objects.get(pk=small.pk).reserved_eur == Decimal(5)
        assert AgreementEvent.objects.filter(action="funding_backfilled").count() == 3
    finally:
        _migrate(latest)


def _sign_farm(other, **values):
    from agreements.inputs import agreement_data

    agreement = svc.agreement_update(
        by=other.farmer, agreement=other.agreement, data=agreement_data(values, partial=True)
    )
    return svc.agreement_sign(by=other.farmer, agreement=agreement)
