"""Back-fill what the gleaning harvests recorded before ``0006_harvest_offer_quantity`` took from
their offer (``offer_quantity``, ``offer_quantity_held``: 0 for them, and their offer still
offering what the field gave), with the arithmetic a harvest recorded today goes through
(``logistics.harvests.harvest_take``), for offers still open (published or partly matched): an
expired, withdrawn or fully matched offer is left as it is.

Each open offer's harvests are taken in the order of their day (then of their recording), under
the offer's row lock, as if recorded now one after the other: the kilograms in the offer's unit
(``offers.quantities.offer_kg_per_unit``), beyond what the structure's confirmed match of the
offer had reserved, held on the offer within what is left, never below nothing; the offer's
status follows (``offers.services.listings._status_from_quantities``).

What the structure's match had reserved: the match the harvest was recorded on
(``delivery_record_gleaned``), when it was a confirmed one (``confirmed_at``; not one made for the
harvest, ``origin`` gleaning), its quantity; a harvest without a delivery, the pair's match that
is confirmed or scheduled now (``gleaning_pair_reserved``). A harvest larger than its confirmed
match raised the match's quantity to its own (``delivery_record_gleaned``), so its confirmed
quantity is no longer known: the back-fill then holds nothing beyond the match, never more than
the service would have. Harvests already holding something are left alone, so running it again
changes nothing; reversing it changes nothing either.
"""

from django.db import migrations
from django.utils import timezone

from logistics.harvests import harvest_take
from offers.quantities import offer_kg_per_unit

# The values of ``offers.models`` when this was written (a migration imports no model).
OPEN = ("published", "partly_matched")
FULLY = "fully_matched"
RESERVED = ("confirmed", "scheduled")  # offers.services.matches.RESERVED_STATUSES
GLEANABLE = ("proposed", "accepted_farm", "accepted_structure", *RESERVED, "delivered", "withdrawn")


def _already(harvest, Match) -> object:
    match = harvest.delivery.match if harvest.delivery_id else None
    if match is not None:
        return match.quantity if match.origin != "gleaning" and match.confirmed_at is not None else 0
    found = (
        Match.objects.filter(
            offer_id=harvest.day.offer_id, need__organization_id=harvest.structure_id, status__in=GLEANABLE
        )
        .order_by("-id")
        .values_list("status", "quantity")
        .first()
    )
    return found[1] if found is not None and found[0] in RESERVED else 0


def backfill(apps, schema_editor):
    Harvest = apps.get_model("logistics", "GleaningHarvest")
    Offer = apps.get_model("offers", "Offer")
    Match = apps.get_model("offers", "Match")
    harvests = (
        Harvest.objects.filter(offer_quantity=0, offer_quantity_held=0, day__offer__status__in=OPEN)
        .select_related("day", "delivery__match")
        .order_by("day__date", "recorded_at", "id")
    )
    by_offer: dict[int, list] = {}
    for harvest in harvests:
        by_offer.setdefault(harvest.day.offer_id, []).append(harvest)
    for offer_id, offer_harvests in sorted(by_offer.items()):
        offer = Offer.objects.select_for_update().select_related("category").get(pk=offer_id)
        kg_per_unit = offer_kg_per_unit(offer.category, offer.unit, offer.crate_kg)
        reserved = offer.quantity_reserved
        for harvest in offer_harvests:
            take = harvest_take(
                quantity_kg=harvest.quantity_kg,
                kg_per_unit=kg_per_unit,
                already=_already(harvest, Match),
                available=offer.quantity - reserved,
                reserved=reserved,
            )
            reserved += take.change
            harvest.offer_quantity, harvest.offer_quantity_held = take.offer_quantity, take.offer_quantity_held
            harvest.save(update_fields=["offer_quantity", "offer_quantity_held"])
        if reserved != offer.quantity_reserved:
            status = "published" if reserved <= 0 else ("partly_matched" if reserved < offer.quantity else FULLY)
            Offer.objects.filter(pk=offer.pk).update(
                quantity_reserved=reserved, status=status, updated_at=timezone.now()
            )


class Migration(migrations.Migration):
    dependencies = [
        ("logistics", "0006_harvest_offer_quantity"),
        ("offers", "0014_delivery_distance_from_points"),
        ("products", "0005_category_variants"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
