from django.db import migrations


def seed(apps, schema_editor):
    from indicators.factors import SEED_FACTORS, SEED_VALID_FROM

    Factor = apps.get_model("indicators", "Factor")
    for row in SEED_FACTORS:
        Factor.objects.get_or_create(code=row["code"], valid_from=SEED_VALID_FROM, defaults=row)


def unseed(apps, schema_editor):
    from indicators.factors import SEED_FACTORS, SEED_VALID_FROM

    Factor = apps.get_model("indicators", "Factor")
    Factor.objects.filter(code__in=[r["code"] for r in SEED_FACTORS], valid_from=SEED_VALID_FROM).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_factors")]
    operations = [migrations.RunPython(seed, unseed)]
