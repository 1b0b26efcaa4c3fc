"""Each category's units and conversion factors (docs/units.md), from ``products.taxonomy``."""

from django.db import migrations


def load(apps, schema_editor):
    from products.taxonomy import sync_unit_factors

    sync_unit_factors(apps.get_model("products", "ProductCategory"))


def unload(apps, schema_editor):
    apps.get_model("products", "ProductCategory").objects.update(
        allowed_units=[], kg_per_piece=None, kg_per_litre=None, units_source=""
    )


class Migration(migrations.Migration):
    dependencies = [("products", "0002_unit_factors_fields")]

    operations = [migrations.RunPython(load, unload)]
