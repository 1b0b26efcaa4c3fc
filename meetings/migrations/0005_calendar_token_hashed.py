"""Calendar feed secrets are stored hashed, like API keys: the existing ones are hashed in
place, so that the addresses people already subscribed to keep working."""

import hashlib

from django.db import migrations, models


def hash_existing(apps, schema_editor):
    CalendarToken = apps.get_model("meetings", "CalendarToken")
    for token in CalendarToken.objects.all().only("pk", "token_hash"):
        digest = hashlib.sha256(token.token_hash.encode()).hexdigest()
        CalendarToken.objects.filter(pk=token.pk).update(token_hash=digest)


class Migration(migrations.Migration):
    dependencies = [("meetings", "0004_french_verbose_names")]

    operations = [
        migrations.RenameField("calendartoken", "token", "token_hash"),
        migrations.AlterField(
            model_name="calendartoken",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True, verbose_name="empreinte du jeton"),
        ),
        # Irreversible by nature: a hash cannot give the secret back.
        migrations.RunPython(hash_existing, migrations.RunPython.noop),
    ]
