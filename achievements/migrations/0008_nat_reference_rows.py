"""The delivery locations, programs and subjects of NAT files, kept in the register
(``NatReferenceRow``, versioned) so that its export writes them back; filled from the NAT
submissions committed before (their stored files, oldest first)."""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


def backfill(apps, schema_editor):
    from django_scopes import scopes_disabled

    committed = apps.get_model("achievements", "Submission").objects.filter(
        kind="register", source_format="nat", status="committed"
    )
    if not committed.exists():  # a new database: nothing to keep
        return

    from achievements.nat_reference import backfill as keep_committed

    with scopes_disabled():
        keep_committed()


class Migration(migrations.Migration):

    dependencies = [
        ('achievements', '0007_nat_fill_register_export'),
        ('pghistory', '0007_auto_20250421_0444'),
        ('rtos', '0003_rto_logo'),
    ]

    operations = [
        migrations.CreateModel(
            name='NatReferenceRow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file_id', models.CharField(choices=[('NAT00020', 'Delivery location (NAT00020)'), ('NAT00030', 'Program (NAT00030)'), ('NAT00060', 'Subject (NAT00060)')], max_length=8)),
                ('key', models.CharField(max_length=12)),
                ('fields', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('rto', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rtos.rto')),
                ('source_submission', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='achievements.submission')),
            ],
            options={
                'ordering': ['file_id', 'key'],
            },
        ),
        migrations.CreateModel(
            name='NatReferenceRowVersion',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('file_id', models.CharField(choices=[('NAT00020', 'Delivery location (NAT00020)'), ('NAT00030', 'Program (NAT00030)'), ('NAT00060', 'Subject (NAT00060)')], max_length=8)),
                ('key', models.CharField(max_length=12)),
                ('fields', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('pgh_context', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context')),
                ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='achievements.natreferencerow')),
                ('rto', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='rtos.rto')),
                ('source_submission', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='achievements.submission')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddConstraint(
            model_name='natreferencerow',
            constraint=models.UniqueConstraint(fields=('rto', 'file_id', 'key'), name='nat_reference_row_unique'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='natreferencerow',
            trigger=pgtrigger.compiler.Trigger(name='nat_reference_row_no_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot delete rows from % table', TG_TABLE_NAME;", hash='984d1f3a72e127c43573fb8eb1eccc4d7688ec06', operation='DELETE', pgid='pgtrigger_nat_reference_row_no_delete_c4c73', table='achievements_natreferencerow', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='natreferencerow',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "achievements_natreferencerowversion" ("created_at", "fields", "file_id", "id", "key", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rto_id", "source_submission_id", "updated_at") SELECT new_values."created_at", new_values."fields", new_values."file_id", new_values."id", new_values."key", _pgh_attached_context.value, NOW(), \'insert\', new_values."id", new_values."rto_id", new_values."source_submission_id", new_values."updated_at" FROM ( SELECT new_values.* FROM new_values  ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='fee85b4fb2e6201d486ffd03b46208cc8a3073fd', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_774be', referencing='REFERENCING NEW TABLE AS new_values ', table='achievements_natreferencerow', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='natreferencerow',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) INSERT INTO "achievements_natreferencerowversion" ("created_at", "fields", "file_id", "id", "key", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rto_id", "source_submission_id", "updated_at") SELECT new_values."created_at", new_values."fields", new_values."file_id", new_values."id", new_values."key", _pgh_attached_context.value, NOW(), \'update\', new_values."id", new_values."rto_id", new_values."source_submission_id", new_values."updated_at" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values.* IS DISTINCT FROM new_values.*) ) AS new_values, _pgh_attached_context; RETURN NULL;', hash='c64543a144379e4365e0a8d67b0188d00d7d4446', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_f47d6', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='achievements_natreferencerow', when='AFTER')),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
