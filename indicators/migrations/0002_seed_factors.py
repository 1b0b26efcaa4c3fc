from django.db import migrations


def seed(apps, schema_editor):
    from indicators.factors import factors_seed

    factors_seed(apps.get_model("indicators", "Factor"))


def unseed(apps, schema_editor):
    from indicators.factors import SEED_FACTORS, SEED_VALID_FROM

    Factor = apps.get_model("indicators", "Factor")
    Factor.objects.filter(code__in=[r["code"] for r in SEED_FACTORS], valid_from=SEED_VALID_FROM).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_factors")]
    operations = [migrations.RunPython(seed, unseed)]
