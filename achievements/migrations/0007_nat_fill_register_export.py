"""Fill the register rows written before ``achievements.nat_fill`` with the AVETMISS
"not stated" values (and NAT00085 from the residential address), so that the NAT export
validates and re-importing it changes nothing (issue 11 §1). Set-based: two UPDATEs, each
versioned by the statement-level triggers. Values a row has are never replaced."""

from django.db import migrations


def fill(apps, schema_editor):
    from achievements.nat_fill import fill_register_sql

    with schema_editor.connection.cursor() as cur:
        for sql, params in fill_register_sql():
            cur.execute(sql, params)


class Migration(migrations.Migration):
    dependencies = [
        ("achievements", "0006_outcome_withdrawal"),
        ("students", "0002_client_record_statement_level_versions"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
