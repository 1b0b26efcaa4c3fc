"""Deliveries and matches counted in kilogram-equivalents with the documented factors
(offers.quantities): a dozen eggs weighs 0.696 kg, a litre of milk 1.03 kg; pieces without a
documented weight stay without a mass. Undone, deliveries go back to the former rule (a litre
taken as a kilogram, crates by their weight, pieces and dozens without mass)."""

from decimal import Decimal

from django.db import migrations


def forward(apps, schema_editor):
    from offers.quantities import kg_of, offer_kg_per_unit

    Delivery = apps.get_model("offers", "Delivery")
    Match = apps.get_model("offers", "Match")
    for delivery in Delivery.objects.select_related("match__offer__category").iterator():
        offer = delivery.match.offer
        kg = kg_of(delivery.quantity_received, offer_kg_per_unit(offer.category, delivery.unit, offer.crate_kg))
        Delivery.objects.filter(pk=delivery.pk).update(quantity_kg=kg)
    for match in Match.objects.select_related("offer__category").iterator():
        offer = match.offer
        kg = kg_of(match.quantity, offer_kg_per_unit(offer.category, match.unit, offer.crate_kg))
        Match.objects.filter(pk=match.pk).update(quantity_kg=kg)


def backward(apps, schema_editor):
    Delivery = apps.get_model("offers", "Delivery")
    for delivery in Delivery.objects.select_related("match__offer").iterator():
        if delivery.unit in ("kg", "l"):
            kg = delivery.quantity_received
        elif delivery.unit == "crate":
            kg = delivery.quantity_received * (delivery.match.offer.crate_kg or Decimal(10))
        else:
            kg = None
        Delivery.objects.filter(pk=delivery.pk).update(quantity_kg=kg)
    apps.get_model("offers", "Match").objects.update(quantity_kg=None)


class Migration(migrations.Migration):
    dependencies = [("offers", "0008_load_variants")]

    operations = [migrations.RunPython(forward, backward)]
