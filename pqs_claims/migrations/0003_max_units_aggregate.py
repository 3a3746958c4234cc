"""The over-maximum state machine of payment-rules.md §5 rules 5 and 6 as a window
aggregate (pqs_claims/batch_sql.py runs it over one chunk, partitioned by contract)."""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION pqs_max_units_step(
    s text[], prior integer, reach boolean, unit text, priced boolean, units integer,
    counts boolean, payable boolean
) RETURNS text[] LANGUAGE plpgsql IMMUTABLE AS $$
-- s[1] units counted after this row, s[2] this row's rule 5/6 outcome ('-' not reached,
-- 'AP' paid earlier in this batch, 'OVER' over the maximum, 'GO' decided by rules 7-9),
-- s[3] units counted before this row, s[4:] units paid in this batch on this contract.
DECLARE
    c integer;
BEGIN
    IF s IS NULL THEN
        s := ARRAY[prior::text, '-', prior::text];
    END IF;
    IF NOT reach THEN
        s[2] := '-';
        RETURN s;
    END IF;
    c := s[1]::integer;
    s[3] := c::text;
    IF unit = ANY(s[4:]) THEN
        s[2] := 'AP';
        RETURN s;
    END IF;
    IF priced AND c >= units THEN
        s[2] := 'OVER';
        RETURN s;
    END IF;
    IF priced AND counts THEN
        s[1] := (c + 1)::text;
    END IF;
    IF priced AND payable THEN
        s := s || unit;
    END IF;
    s[2] := 'GO';
    RETURN s;
END
$$;
CREATE OR REPLACE AGGREGATE pqs_max_units(
    integer, boolean, text, boolean, integer, boolean, boolean
) (SFUNC = pqs_max_units_step, STYPE = text[]);
"""

REVERSE = """
DROP AGGREGATE IF EXISTS pqs_max_units(integer, boolean, text, boolean, integer, boolean, boolean);
DROP FUNCTION IF EXISTS pqs_max_units_step(
    text[], integer, boolean, text, boolean, integer, boolean, boolean
);
"""


class Migration(migrations.Migration):
    dependencies = [("pqs_claims", "0002_statement_level_frozen_trigger")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
