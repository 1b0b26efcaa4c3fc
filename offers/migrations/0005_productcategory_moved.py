"""ProductCategory moves to the ``products`` app (2/2): offers and needs point at it there,
and ``offers`` lets go of the model (state only: same table, same rows, same keys)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0005_productions_from_products"),
        ("offers", "0004_productcategory_table"),
        ("products", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="offer",
                    name="category",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="offers",
                        to="products.productcategory",
                        verbose_name="catégorie",
                    ),
                ),
                migrations.AlterField(
                    model_name="need",
                    name="categories",
                    field=models.ManyToManyField(
                        related_name="needs", to="products.productcategory", verbose_name="catégories"
                    ),
                ),
                migrations.DeleteModel(name="ProductCategory"),
            ],
        ),
    ]
