"""A farm's productions point at ``products.ProductCategory`` (same table, same rows)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0004_territory_figure_sources"),
        ("products", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="farmprofile",
                    name="productions",
                    field=models.ManyToManyField(
                        blank=True, related_name="farms", to="products.productcategory", verbose_name="productions"
                    ),
                ),
            ],
        ),
    ]
