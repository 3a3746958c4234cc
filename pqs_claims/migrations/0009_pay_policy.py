"""payment-rules.md §1 as corrected: the price list's measure (units or points) and maximum
payable (defaults to the designated number), and the training contracts' SRTO history
(one row per SRTO period; existing contracts get one period from their commencement)."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_0003 = importlib.import_module("pqs_claims.migrations.0003_max_units_aggregate")

FILL = """
UPDATE pqs_claims_pricelistentry SET max_payable = designated_units WHERE max_payable IS NULL;
INSERT INTO pqs_claims_trainingcontractsrto (contract_id, srto_code, valid_from, valid_to)
SELECT id, srto_code, commencement_date, NULL FROM pqs_claims_trainingcontract;
"""

# §5 rules 5-6 as corrected (payment-rules.md): the 0003 state machine with each line's
# measure (1 unit, or the unit's points) and the price list's maximum payable. It replaces
# 0003's pqs_max_units (dropped below; its text is history, not a second live copy).
MAX_MEASURE = r"""
CREATE OR REPLACE FUNCTION pqs_max_measure_step(
    s text[], prior numeric, reach boolean, unit text, priced boolean, measure numeric,
    max_payable integer, counts boolean, payable boolean
) RETURNS text[] LANGUAGE plpgsql IMMUTABLE AS $$
-- s[1] measure counted after this row, s[2] this row's rule 5/6 outcome ('-' not reached,
-- 'AP' paid earlier in this batch, 'OVER' does not fit under the maximum, 'GO' decided by
-- rules 7-9), s[3] measure counted before this row, s[4:] units paid in this batch.
DECLARE
    c numeric;
BEGIN
    IF s IS NULL THEN
        s := ARRAY[prior::text, '-', prior::text];
    END IF;
    IF NOT reach THEN
        s[2] := '-';
        RETURN s;
    END IF;
    c := s[1]::numeric;
    s[3] := c::text;
    IF unit = ANY(s[4:]) THEN
        s[2] := 'AP';
        RETURN s;
    END IF;
    IF priced AND c + measure > max_payable THEN
        s[2] := 'OVER';
        RETURN s;
    END IF;
    IF priced AND counts THEN
        s[1] := (c + measure)::text;
    END IF;
    IF priced AND payable THEN
        s := s || unit;
    END IF;
    s[2] := 'GO';
    RETURN s;
END
$$;
CREATE OR REPLACE AGGREGATE pqs_max_measure(
    numeric, boolean, text, boolean, numeric, integer, boolean, boolean
) (SFUNC = pqs_max_measure_step, STYPE = text[]);
"""

MAX_MEASURE_REVERSE = """
DROP AGGREGATE IF EXISTS pqs_max_measure(
    numeric, boolean, text, boolean, numeric, integer, boolean, boolean);
DROP FUNCTION IF EXISTS pqs_max_measure_step(
    text[], numeric, boolean, text, boolean, numeric, integer, boolean, boolean);
"""


class Migration(migrations.Migration):
    dependencies = [("pqs_claims", "0008_hostile_chunk_attempts")]

    operations = [
        migrations.AddField(
            model_name="pricelistentry",
            name="measure",
            field=models.CharField(
                choices=[("UNITS", "Units of competency"), ("POINTS", "Points")],
                default="UNITS",
                max_length=6,
            ),
        ),
        migrations.AddField(
            model_name="pricelistentry",
            name="max_payable",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.CreateModel(
            name="TrainingContractSrto",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("srto_code", models.CharField(max_length=10, verbose_name="SRTO code")),
                ("valid_from", models.DateField()),
                ("valid_to", models.DateField(blank=True, null=True)),
                (
                    "contract",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="srto_periods",
                        to="pqs_claims.trainingcontract",
                    ),
                ),
            ],
            options={"ordering": ["contract_id", "valid_from"]},
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.RunSQL(MAX_MEASURE, MAX_MEASURE_REVERSE),
        migrations.RunSQL(_0003.REVERSE, _0003.SQL),
        migrations.AlterField(
            model_name="pricelistentry",
            name="max_payable",
            field=models.PositiveIntegerField(
                help_text="The maximum payable units or points of a contract (the cap, §5 rule"
                " 6); the designated number when not given."
            ),
        ),
        migrations.AlterField(
            model_name="pricelistentry",
            name="designated_units",
            field=models.PositiveIntegerField(
                help_text="The designated number of units or points: divides the contribution."
            ),
        ),
        migrations.AddConstraint(
            model_name="pricelistentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_payable__gte", 1)), name="price_max_payable_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="pricelistentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("measure__in", ["UNITS", "POINTS"])),
                name="price_measure_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainingcontractsrto",
            constraint=models.UniqueConstraint(
                fields=("contract", "valid_from"), name="contract_srto_period"
            ),
        ),
        migrations.AddConstraint(
            model_name="trainingcontractsrto",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("valid_to__isnull", True),
                    ("valid_to__gte", models.F("valid_from")),
                    _connector="OR",
                ),
                name="contract_srto_period_order",
            ),
        ),
    ]
