from django.db import migrations


def load(apps, schema_editor):
    from products.taxonomy import sync_categories

    sync_categories(apps.get_model("offers", "ProductCategory"))


class Migration(migrations.Migration):
    dependencies = [("offers", "0001_initial")]

    # Reversing keeps the categories: offers and needs point to them.
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
