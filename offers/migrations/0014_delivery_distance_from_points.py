"""Recompute the stored ``Delivery.distance_km`` of every delivery with the rule new deliveries are
recorded with (``offers.distances.recorded_distance_km``: both organizations' own points, never 0
between two points of one commune), in batches.

Deliveries recorded before ``offers/distances.py`` hold the matching's estimate, often 0 between
two town-hall points of one commune, or a figure gone stale. No figure reads the stored field (the
indicators, the dashboard, « Mes livraisons » and its export compute the km at read time, a pooled
round's share included: docs/indicators.md); it is kept for the record and the admin, and now says
the same as a delivery confirmed today. Gleaning deliveries keep what the gleaning service stores
(nothing: the volunteers' trips are not recorded). Reversing changes nothing (the old values were
wrong, not lost information worth restoring).
"""

from django.db import migrations

from offers.distances import Place, commune_radius_km, recorded_distance_km, shared_town_halls

BATCH = 1000
SIDES = ("match__offer__organization__", "match__need__organization__")
FIELDS = ("latitude", "longitude", "location_precision", "commune_id")


def recompute(apps, schema_editor):
    Delivery = apps.get_model("offers", "Delivery")
    Commune = apps.get_model("actors", "Commune")
    rows = Delivery.objects.exclude(mode="gleaning").order_by("pk")
    columns = ("pk", "distance_km", *(side + field for side in SIDES for field in FIELDS))
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).values(*columns)[:BATCH])
        if not batch:
            return
        last = batch[-1]["pk"]
        pairs = [tuple(Place(*(row[side + field] for field in FIELDS)) for side in SIDES) for row in batch]
        shared = shared_town_halls(pairs)
        radii = {
            pk: commune_radius_km(outline)
            for pk, outline in Commune.objects.filter(pk__in=shared).values_list("pk", "outline")
        }
        changed = []
        for row, (farm, structure) in zip(batch, pairs, strict=True):
            km = recorded_distance_km(farm, structure, radii)
            if row["distance_km"] != km:
                changed.append(Delivery(pk=row["pk"], distance_km=km))
        Delivery.objects.bulk_update(changed, ["distance_km"])


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0001_initial"),
        ("offers", "0013_matching_run_stage_labels"),
    ]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop, elidable=True)]
