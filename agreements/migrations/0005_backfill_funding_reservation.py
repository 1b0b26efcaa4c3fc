"""Back-fill the funding reservations of agreements signed before 0004 added them.

Signing now reserves on the agreement's funding line the planned gap of its deliveries to come
(``agreements.reservation.planned_gap``); starting moves it onto each occurrence. An agreement
signed, or started, before 0004 holds nothing: its line could be promised to another agreement
meanwhile. This migration computes, with the same pure functions, what signing would reserve
today:

- a signed agreement not started holds the planned gap of its dates from today, every party;
- an active or suspended one, on each of its occurrences from today that is still planned and not
  delivered, that occurrence's share;

and adds it to the line's ``reserved_eur``. What already holds a reservation (signed after 0004)
is left alone, so running it again changes nothing. A line that can no longer cover all it is
asked is never overdrawn: the agreements are served in the order they were created, the last one
gets what is left, and a history row on each agreement says what was reserved (and what was not).

Backwards it does nothing: the reservations are what the code of 0004 expects, and unapplying
0004 drops them with their columns.
"""

from decimal import Decimal

from django.db import migrations
from django.db.models import F, Q
from django.utils import timezone

SIGNED, ACTIVE, SUSPENDED = "signed", "active", "suspended"
CHANGEABLE_MATCHES = ("confirmed", "scheduled")


def _euros(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def backfill(apps, schema_editor):
    # Pure modules only (no models): the same arithmetic signing uses.
    from agreements import recurrence, reservation
    from offers import quantities

    SupplyAgreement = apps.get_model("agreements", "SupplyAgreement")
    FundingLine = apps.get_model("agreements", "FundingLine")
    Occurrence = apps.get_model("agreements", "Occurrence")
    AgreementEvent = apps.get_model("agreements", "AgreementEvent")
    today = timezone.localdate()
    rules: dict[int, reservation.LineRules] = {}

    agreements = (
        SupplyAgreement.objects.filter(status__in=(SIGNED, ACTIVE, SUSPENDED), funding_line__isnull=False)
        .select_related("category")
        .order_by("created_at", "id")
    )
    for agreement in agreements:
        line = FundingLine.objects.select_for_update().get(pk=agreement.funding_line_id)
        if line.pk not in rules:
            rules[line.pk] = reservation.LineRules.of(line)
        category = agreement.category
        terms = {
            "category_id": category.pk,
            "parent_id": category.parent_id,
            "gap_per_unit": agreement.fair_price_per_unit - agreement.price_paid_per_unit,
            "kg_per_unit": quantities.offer_kg_per_unit(category, agreement.unit),
        }
        left = line.amount_eur - line.consumed_eur - line.reserved_eur
        wanted = held = Decimal(0)
        if agreement.status == SIGNED:
            if agreement.funding_reserved_eur:
                continue
            days = recurrence.dates(agreement.recurrence, agreement.start_date, agreement.end_date)
            days = [d for d in days if d >= today]
            structure_ids = list(
                apps.get_model("agreements", "AgreementParty")
                .objects.filter(agreement_id=agreement.pk)
                .order_by("id")
                .values_list("structure_id", flat=True)
            )
            wanted = reservation.planned_gap(
                rules[line.pk],
                days=days,
                structure_ids=structure_ids,
                quantity=agreement.quantity_per_delivery,
                **terms,
            )
            held = min(wanted, max(left, Decimal(0)))
            if held:
                SupplyAgreement.objects.filter(pk=agreement.pk).update(funding_reserved_eur=held)
        else:
            occurrences = (
                Occurrence.objects.select_for_update(of=("self",))
                .filter(agreement_id=agreement.pk, status="planned", funding_reserved_eur=0, date__gte=today)
                .filter(Q(match__isnull=True) | Q(match__status__in=CHANGEABLE_MATCHES))
                .order_by("date", "id")
            )
            for occurrence in occurrences:
                share = reservation.planned_share(
                    rules[line.pk],
                    day=occurrence.date,
                    quantity=occurrence.quantity,
                    structure_id=occurrence.structure_id,
                    **terms,
                )
                wanted += share
                given = min(share, max(left - held, Decimal(0)))
                if given:
                    Occurrence.objects.filter(pk=occurrence.pk).update(funding_reserved_eur=given)
                    held += given
        if not wanted:
            continue
        if held:
            FundingLine.objects.filter(pk=line.pk).update(reserved_eur=F("reserved_eur") + held)
        note = f"financement réservé après coup : {_euros(held)} €"
        if held < wanted:
            note += f" sur {_euros(wanted)} € prévus (la ligne n'en couvre pas plus)"
        AgreementEvent.objects.create(
            agreement_id=agreement.pk,
            action="funding_backfilled",
            from_status=agreement.status,
            to_status=agreement.status,
            note=note,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0004_household_price_and_funding_reservation"),
        ("offers", "0011_agreement_origin_and_delivery_lot"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False)]
