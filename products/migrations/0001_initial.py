"""ProductCategory, moved from ``offers`` with its rows (state only: the table was renamed
by ``offers.0004_productcategory_table``); its content type (and so its admin permissions)
follows it."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor, *, source="offers", target="products"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if ContentType.objects.using(db).filter(app_label=target, model="productcategory").exists():
        return
    ContentType.objects.using(db).filter(app_label=source, model="productcategory").update(app_label=target)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="products", target="offers")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("offers", "0004_productcategory_table"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProductCategory",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.SlugField(unique=True, verbose_name="code")),
                        ("name", models.CharField(max_length=100, verbose_name="nom")),
                        ("name_en", models.CharField(max_length=100, verbose_name="nom (anglais)")),
                        (
                            "storage",
                            models.CharField(
                                choices=[
                                    ("ambient", "ambiant"),
                                    ("chilled", "réfrigéré (0 à 4 °C)"),
                                    ("frozen", "congelé (≤ −18 °C)"),
                                ],
                                default="ambient",
                                max_length=10,
                                verbose_name="conservation",
                            ),
                        ),
                        (
                            "default_unit",
                            models.CharField(
                                choices=[
                                    ("kg", "kg"),
                                    ("l", "litre"),
                                    ("piece", "pièce"),
                                    ("dozen", "douzaine"),
                                    ("crate", "cagette"),
                                ],
                                default="kg",
                                max_length=10,
                                verbose_name="unité par défaut",
                            ),
                        ),
                        (
                            "shelf_life_days",
                            models.PositiveIntegerField(
                                blank=True, null=True, verbose_name="durée de conservation typique (jours)"
                            ),
                        ),
                        ("sort_order", models.PositiveIntegerField(default=0)),
                        (
                            "parent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="children",
                                to="products.productcategory",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "catégorie de produits",
                        "verbose_name_plural": "catégories de produits",
                        "ordering": ["sort_order", "name"],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
