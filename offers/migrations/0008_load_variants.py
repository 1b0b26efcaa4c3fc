"""UHT milk (ambient) and the variants a need accepts (``products.taxonomy.VARIANTS``); here
rather than in products because undoing it must know whether offers or needs use UHT milk."""

from django.db import IntegrityError, migrations, transaction


def load(apps, schema_editor):
    from products.taxonomy import sync_categories, sync_unit_factors, sync_variants

    ProductCategory = apps.get_model("products", "ProductCategory")
    sync_categories(ProductCategory)
    sync_unit_factors(ProductCategory)
    sync_variants(ProductCategory)


def unload(apps, schema_editor):
    """Variants undone; UHT milk removed unless something uses it."""
    ProductCategory = apps.get_model("products", "ProductCategory")
    ProductCategory.objects.update(variant_of=None)
    uht = ProductCategory.objects.filter(code="long-life-milk").values_list("pk", flat=True).first()
    if uht is None:
        return
    Offer, Need = apps.get_model("offers", "Offer"), apps.get_model("offers", "Need")
    if Offer.objects.filter(category_id=uht).exists() or Need.categories.through.objects.filter(
        productcategory_id=uht
    ).exists():
        return
    try:
        with transaction.atomic():  # a farm's productions may still name it: then it stays
            schema_editor.execute(f"DELETE FROM {ProductCategory._meta.db_table} WHERE id = %s", [uht])
    except IntegrityError:
        pass


class Migration(migrations.Migration):
    dependencies = [("products", "0005_category_variants"), ("offers", "0007_match_reasons")]

    operations = [migrations.RunPython(load, unload)]
