"""ProductCategory moves to the ``products`` app (1/2): its table takes the new app's name.

The rows, their ids and every foreign key pointing at them stay as they are; only the
table is renamed. ``products.0001_initial`` then takes the model over in Django's state
and ``offers.0005_productcategory_moved`` lets go of it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("offers", "0003_match_lifecycle")]

    operations = [migrations.AlterModelTable(name="productcategory", table="products_productcategory")]
