import uuid

from django.db import migrations, models

import core.models


def fill_entry_ids(apps, schema_editor):
    VerificationLookup = apps.get_model("verification", "VerificationLookup")
    for row in VerificationLookup.objects.filter(entry_id__isnull=True).only("pk").iterator():
        VerificationLookup.objects.filter(pk=row.pk).update(entry_id=uuid.uuid4().hex)


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="verificationlookup",
            name="entry_id",
            field=models.CharField(max_length=32, null=True, editable=False),
        ),
        migrations.RunPython(fill_entry_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="verificationlookup",
            name="entry_id",
            field=models.CharField(
                default=core.models.new_public_id, editable=False, max_length=32, unique=True
            ),
        ),
    ]
