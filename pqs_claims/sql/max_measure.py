"""The ``pqs_max_measure`` window aggregate: the over-maximum state machine of
payment-rules.md §5 rules 5 and 6 (each line's measure — 1 unit, or the unit's points — under
the price list's maximum payable; a line that does not fit is skipped, a later smaller one may
fit). ``batch_sql`` runs it over one chunk, partitioned by contract.

Created by migration 0009 (its frozen copy); this is the living definition, checked against
the database by ``tests/pqs_claims/test_sql_folder.py``. A change here needs a new migration
that runs :data:`MAX_MEASURE`.
"""

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
