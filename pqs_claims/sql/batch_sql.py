"""The monthly batch calculation of one chunk (one RTO of one batch) as ONE set-based
statement: ``INSERT INTO payment lines … SELECT`` over the chunk's candidate claim lines.

It implements exactly what :func:`pqs_claims.engine.decide` does — the engine stays the
executable specification and ``tests/pqs_claims/test_batch_sql.py`` runs both on the same
randomised data and asserts identical payment lines (amount, status, reasons, explanation
and every §6 field). The §2 codes and the §3 amount are the fragments of
``pqs_claims.rules_sql``, shared with the claim validation and lodgement
(``pqs_claims.claim_sql``): one place per rule. How each rule is expressed:

* §2 validation: joins to the RTO's PQS approvals (first valid on the activity end date by
  ``valid_from, id``), the funding program, the DELTA contract, the localities list; codes in
  the engine's order via ``array_remove(ARRAY[CASE …], NULL)``.
* §3 amount: price list entry / location loadings valid on the end date (first by
  ``effective_from``), unit points, PPG price. The amount is one exact division
  ``contribution × points × (100 + loading%) × factor_num / (units × 100 × factor_den)``
  evaluated to 30 decimals and rounded with ``round(numeric, 2)``: PostgreSQL rounds
  numeric half AWAY FROM ZERO, which is ROUND_HALF_UP for the (never negative) amounts —
  the engine's ``round_money``. Stored unit value and factor: ``round(…, 4)`` (half-up).
* §5 rules 1–4: per-line predicates (rule 3 from the report date, ``first_lodged_on``:
  ``engine.report_date``; rule 4 joins the register's achievements — lodged claim lines at
  any RTO and the register's unit outcomes — through the superseded-code equivalents,
  earliest end date first, compared by END date).
* §2 ``NOT_SRTO``: the contract's SRTO history period containing the line's lodgement
  date; ``RELATED_RECORD_ERROR`` / ``MISSING_SCHOOL_LEVEL`` are read from what the claim line
  stored at validation from the whole NAT set (``related_errors``, ``school_level``).
* §5 rules 5–6 (already paid earlier in this batch; the contract's measure — 1 per unit,
  or the unit's points for a points-priced qualification — under the price list's
  ``max_payable``, in the order end date, lodgement time, unit code, id): window counts
  for contracts of unit measure and one maximum, and the ``pqs_max_measure`` window
  aggregate (migration 0008) partitioned by contract for the others — a state machine
  over the contract's lines in which a line that does not fit is skipped and a later,
  smaller one may still fit.
* explanations: the engine's sentences built with ``to_char`` (money ``$1,234.50``,
  dates DD/MM/YYYY) and ``trim_scale`` (the engine's ``Decimal.normalize``).

Cross-RTO reads (earlier batches' paid / counted lines of the chunk's contracts, the
register's achievements of the chunk's learners) are department-wide on purpose, as in
``tests/pqs_claims/oracle.load_batch_context``; everything else carries ``rto_id`` explicitly.

Cost (bench/payment_batch.py, pqs_claims/README.md "Benchmark"): the statement is prepared
once per session with a generic plan; a first month (no earlier batch) uses a variant that
never reads the payment line table (see ``FIRST_CHUNK_SQL``); rules 5-6 sort narrow rows;
public ids are made in SQL from one random key per statement (``_PUBLIC_ID``); the
inserted lines' references are checked once per statement by the table's triggers instead
of per-row foreign keys (``models.PaymentLine``).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time

from django.db import connection

from .. import engine
from ..models import PaymentBatch, PaymentLine
from .columns import payment_line_columns
from .rules_sql import (
    _WS,
    APPLIED_PCT,
    CONTRACT_CTES,
    CONTRIBUTION,
    DEPARTMENTAL_CODES,
    F_DEN,
    F_NUM,
    LOOKUP_CTES,
    PPG_PRICE,
    PRICED_AMOUNT,
    V_COLUMNS,
    V_JOINS,
    WARNINGS,
    norm,
)

_norm = norm


def _money(expr: str) -> str:
    return f"to_char({expr}, 'FM999,999,999,999,990.00')"


def _date(expr: str) -> str:
    return f"to_char({expr}, 'DD/MM/YYYY')"


# public_id: models.new_line_public_id's shape — the statement's time in milliseconds (12
# hex), then 80 bits of sha256(a per-statement random key from Python's `secrets` || the
# claim line id): unguessable and unique like a random id, but one chunk's ids are adjacent
# in the unique index, and a hash per row costs less than gen_random_uuid()'s strong random
# draw per row.
_PUBLIC_ID = "%(id_prefix)s || left(encode(sha256(%(id_key)s || int8send(id)), 'hex'), 20)"

# §5 rule 6 ordering within a contract (engine.order_key; unit codes compared by code point)
ORD = 'activity_end_date NULLS FIRST, lodged_at NULLS FIRST, subject_identifier COLLATE "C", id'


#: Each payment-line column (``columns.payment_line_columns()``, from the model) and the
#: expression over the chunk's decided lines ``t`` that fills it (payment-rules.md §6).
_LINE_EXPRESSIONS = {
    "rto_id": "rto_id",
    "public_id": _PUBLIC_ID,
    "batch_id": "%(batch_id)s",
    "claim_line_id": "id",
    "submission_public_id": "submission_public_id",
    "file_line_number": "line_number",
    "client_identifier": "client_identifier",
    "learner_name": f"left(btrim(given_names || ' ' || family_name, {_WS}), 130)",
    "subject_identifier": "subject_identifier",
    "program_identifier": "program_identifier",
    "funding_program": "coalesce(program_code, '')",
    "training_contract_identifier": "training_contract_identifier",
    "activity_start_date": "activity_start_date",
    "activity_end_date": "activity_end_date",
    "lodgement_date": "lodgement_date",
    "outcome": "outcome",
    "contribution": "CASE WHEN money THEN contribution END",
    "designated_units": "CASE WHEN money THEN designated_units END",
    "points": "CASE WHEN money THEN points END",
    "unit_value": "CASE WHEN money THEN round(contribution * points / designated_units, 4) END",
    "delivery_loading_percent": "CASE WHEN money THEN delivery_pct END",
    "residential_loading_percent": "CASE WHEN money THEN residential_pct END",
    "applied_loading_percent": "CASE WHEN money THEN applied_pct END",
    "outcome_factor": "CASE WHEN money THEN round(f_num / f_den, 4) END",
    "amount": "CASE WHEN pay_status = 'PAID' THEN priced_amount ELSE 0 END",
    "status": "pay_status",
    "reasons": "CASE WHEN pay_status = 'INVALID'"
    " THEN ARRAY['INVALID'] || invalid_codes || warnings"
    " ELSE ARRAY[pay_status] || array_remove(applies, pay_status) || warnings END",
    "explanation": "explanation",
    "counts_to_max": "counts_to_max",
    "voided": "false",
}
_LINE_VALUES = {c: _LINE_EXPRESSIONS[c] for c in payment_line_columns()}
assert _LINE_VALUES.keys() == _LINE_EXPRESSIONS.keys(), "a payment-line column without a value"
_LINE_COLUMNS = ", ".join(_LINE_VALUES)
_LINE_SELECT = ",\n        ".join(_LINE_VALUES.values())

_CHUNK_SQL = f"""
WITH
cand AS (
    -- Materialised and scanned by most CTEs below: the columns their lookups read come
    -- first (a row is decoded only up to the last column a scan needs).
    SELECT c.id, c.activity_end_date, c.program_identifier, c.subject_identifier,
           c.training_contract_identifier, c.learner_key, c.activity_start_date,
           c.delivery_postcode, c.residential_postcode,
           -- once per line: upper() is not cheap and the lookups would each evaluate it
           {_norm("c.delivery_locality")} AS delivery_locality_key,
           {_norm("c.residential_locality")} AS residential_locality_key,
           c.rto_id, c.submission_id, c.line_number, c.client_identifier,
           c.family_name, c.given_names, c.date_of_birth, c.residential_locality,
           c.delivery_locality, c.nominal_hours, c.outcome, c.funding_source_state,
           c.purchasing_contract_identifier, c.hours_attended,
           c.national_errors, c.related_errors, c.school_level, c.lodged_at, c.first_lodged_on,
           (c.lodged_at AT TIME ZONE 'Australia/Brisbane')::date AS lodgement_date
    FROM pqs_claims_claimline c
    WHERE c.rto_id = %(rto_id)s AND c.lodged_at IS NOT NULL AND c.lodged_at <= %(cutoff)s
      AND NOT EXISTS (
        SELECT 1 FROM pqs_claims_claimline s
        WHERE s.rto_id = %(rto_id)s AND s.supersedes_id = c.id AND s.lodged_at <= %(cutoff)s)
      {{not_decided}}
),
{CONTRACT_CTES}
earlier AS (
    SELECT p.training_contract_identifier AS delta, p.subject_identifier AS unit, p.status,
           p.counts_to_max, p.points, p.outcome, p.activity_start_date, p.activity_end_date
    FROM pqs_claims_paymentline p
    WHERE {{in_earlier_batch}} AND NOT p.voided
      AND p.training_contract_identifier IN (SELECT delta FROM deltas)
),
counted AS (  -- the measure counted (units, or points: §5 rule 6)
    SELECT delta, sum(coalesce(points, 1)) AS n FROM earlier WHERE counts_to_max GROUP BY delta),
paid_before AS (SELECT * FROM earlier WHERE status = 'PAID'),
keys AS (SELECT DISTINCT learner_key FROM cand),
equiv AS (
    SELECT DISTINCT subject_identifier AS unit, subject_identifier AS code, 0 AS rank FROM cand
    UNION ALL
    SELECT * FROM unnest(%(eq_unit)s::text[], %(eq_code)s::text[], %(eq_rank)s::int[])
),
achieved AS (
    SELECT a.learner_key, a.subject_identifier AS unit, a.activity_end_date AS end_date,
           a.lodged_at, a.training_contract_identifier AS delta
    FROM pqs_claims_claimline a
    WHERE a.learner_key IN (SELECT learner_key FROM keys)
      AND a.outcome IN ('20', '51', '60') AND a.lodged_at <= %(cutoff)s
      AND a.activity_end_date IS NOT NULL
    UNION ALL
    SELECT k.key, uo.subject_identifier, uo.activity_end_date, NULL::timestamptz, NULL
    FROM achievements_unitoutcome uo
    JOIN students_learner l ON l.id = uo.learner_id
    CROSS JOIN LATERAL (VALUES
        (CASE WHEN {_norm("l.usi")} ~ '^[A-Z0-9]{{10}}$'
                   AND {_norm("l.usi")} NOT IN ('INTOFF', 'INDIV')
              THEN 'USI:' || {_norm("l.usi")}
              ELSE 'NAME:' || {_norm("l.family_name")} || '|'
                   || coalesce(to_char(l.date_of_birth, 'YYYY-MM-DD'), '?') END),
        ('NAME:' || {_norm("l.family_name")} || '|'
         || coalesce(to_char(l.date_of_birth, 'YYYY-MM-DD'), '?'))
    ) k(key)
    WHERE uo.outcome_identifier_national IN ('20', '51', '60')
      AND (l.usi IN (SELECT substr(learner_key, 5) FROM keys WHERE learner_key LIKE 'USI:%%')
           OR l.family_name IN (SELECT split_part(substr(learner_key, 6), '|', 1)
                                FROM keys WHERE learner_key LIKE 'NAME:%%'))
      AND k.key IN (SELECT learner_key FROM keys)
),
prev AS (
    SELECT DISTINCT ON (c.id) c.id, x.end_date, e.code
    FROM cand c
    JOIN equiv e ON e.unit = c.subject_identifier
    -- rule 4 (engine._previously_completed): an earlier end date, or the same end date
    -- and lodged earlier (claim lines only); claim lines of the same contract are this
    -- line's own history, not another record
    JOIN achieved x ON x.learner_key = c.learner_key AND x.unit = e.code
                   AND (x.end_date < c.activity_end_date
                        OR (x.end_date = c.activity_end_date AND x.lodged_at < c.lodged_at))
                   AND NOT (x.lodged_at IS NOT NULL
                            AND x.delta = c.training_contract_identifier)
    ORDER BY c.id, x.end_date, e.rank
),
{LOOKUP_CTES}
v AS (
    SELECT c.*, {V_COLUMNS}
           pv.end_date AS prev_end, pv.code AS prev_code,
           pbf.outcome AS pb_outcome, pbf.activity_start_date AS pb_start,
           pbf.activity_end_date AS pb_end, pbf.delta IS NOT NULL AS paid_before,
           coalesce(cn.n, 0) AS prior_counted,
           sub.public_id AS submission_public_id
    FROM cand c
    JOIN pqs_claims_claimsubmission sub ON sub.id = c.submission_id
    {V_JOINS}
    LEFT JOIN prev pv ON pv.id = c.id
    LEFT JOIN paid_before pbf
        ON pbf.delta = c.training_contract_identifier AND pbf.unit = c.subject_identifier
    LEFT JOIN counted cn ON cn.delta = c.training_contract_identifier
),
codes AS (
    SELECT v.*,
        {DEPARTMENTAL_CODES}
        -- (the subquery only when there are national errors: this expression is inlined
        -- wherever invalid_codes is used, and most lines have none)
        || CASE WHEN cardinality(national_errors) + cardinality(related_errors) = 0
                THEN '{{}}'::text[]
                ELSE ARRAY(SELECT 'AVETMISS:' || e FROM (
                    SELECT e, min(i) AS i FROM unnest(national_errors || related_errors)
                        WITH ORDINALITY u(e, i) GROUP BY e) n ORDER BY i)
           END AS invalid_codes,
        {WARNINGS} AS warnings,
        {CONTRIBUTION} AS contribution,
        ({PPG_PRICE}) AS ppg_price,
        coalesce(first_lodged_on, lodgement_date) AS lodged_on
    FROM v
),
f AS (
    SELECT codes.*,
        cardinality(invalid_codes) = 0 AS valid,
        f_rule = 'HELD' AS held,
        {F_NUM} AS f_num,
        {F_DEN} AS f_den,
        CASE WHEN f_rule = 'HELD' THEN 'held'
             WHEN f_rule = 'HOURS' THEN
                CASE WHEN hours_attended IS NULL OR coalesce(nominal_hours, 0) = 0
                     THEN 'withdrawn: no hours attended or nominal hours'
                     ELSE 'withdrawn: ' || hours_attended || ' of ' || nominal_hours
                          || ' nominal hours' END
             ELSE '' END AS f_note,
        {APPLIED_PCT} AS applied_pct,
        base_contribution IS NOT NULL AS priced,
        activity_end_date IS NOT NULL AND lodged_on - activity_end_date > max_report_lag_days
            AS late
    FROM codes
),
g AS (
    SELECT f.*,
        valid AND NOT held AND NOT late AND prev_end IS NULL AND NOT paid_before AS reach,
        (f_num > 0 OR (outcome = '60' AND ct_counts_to_max)) AS counts_flag,
        {PRICED_AMOUNT} AS priced_amount
    FROM f
),
-- Rules 5-6 need a dozen narrow columns: the windows sort and the CTEs materialise those,
-- not the ~2 kB wide rows of g (which is read once more, at the end, by id).
k AS (
    SELECT id, training_contract_identifier, subject_identifier, activity_end_date, lodged_at,
           valid, reach, priced, max_payable, points, counts_flag, f_num <> 0 AS nonzero,
           prior_counted
    FROM g
),
-- contracts the windows below cannot decide: lines capped by different maximums, or
-- measured in points other than 1 (a line that does not fit is skipped and a later,
-- smaller one may fit), or a fractional measure counted before
irregular AS (
    SELECT training_contract_identifier FROM k WHERE reach AND priced
    GROUP BY training_contract_identifier
    HAVING min(max_payable) <> max(max_payable) OR min(points) <> 1 OR max(points) <> 1
        OR min(prior_counted) <> trunc(min(prior_counted))
),
k2 AS (
    SELECT k.*,
        reach AND priced AND nonzero AS cand_k,
        ir.training_contract_identifier IS NOT NULL AS irregular
    FROM k LEFT JOIN irregular ir USING (training_contract_identifier)
),
w1 AS (
    SELECT k2.*,
        count(*) FILTER (WHERE cand_k) OVER (
            PARTITION BY training_contract_identifier, subject_identifier
            ORDER BY {ORD} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) > 0 AS naive_ap
    FROM k2
),
w2 AS (
    SELECT w1.*,
        prior_counted + count(*) FILTER (WHERE reach AND NOT naive_ap AND priced AND counts_flag)
            OVER (PARTITION BY training_contract_identifier
                  ORDER BY {ORD} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        + 1 > max_payable AS over_raw
    FROM w1
),
w3 AS (
    SELECT w2.*,
        first_value(over_raw) OVER (
            PARTITION BY training_contract_identifier, subject_identifier
            ORDER BY cand_k DESC, {ORD}) AS k_over
    FROM w2
),
irr AS (
    SELECT id,
        pqs_max_measure(prior_counted, reach, subject_identifier, priced, points,
                        max_payable, counts_flag, nonzero)
            OVER (PARTITION BY training_contract_identifier
                  ORDER BY {ORD} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS st
    FROM k2 WHERE irregular
),
d AS (
    SELECT w3.id,
        CASE WHEN irregular THEN
                CASE WHEN reach THEN irr.st[2] = 'AP'
                     ELSE valid AND subject_identifier = ANY(irr.st[4:]) END
             ELSE valid AND naive_ap AND NOT k_over END AS paid_now,
        CASE WHEN irregular THEN irr.st[2] = 'OVER'
             ELSE reach AND priced AND over_raw END AS over_max,
        CASE WHEN irregular THEN irr.st[3]::numeric
             ELSE greatest(prior_counted, max_payable) END AS counted_before
    FROM w3 LEFT JOIN irr ON irr.id = w3.id
),
s AS (
    SELECT g.*, d.paid_now, d.over_max, d.counted_before,
        CASE WHEN NOT valid THEN 'INVALID'
             WHEN held THEN 'NOT_FINALISED'
             WHEN late THEN 'LATE_REPORT'
             WHEN prev_end IS NOT NULL THEN 'PREVIOUSLY_COMPLETED'
             WHEN paid_before OR paid_now THEN 'ALREADY_PAID'
             WHEN over_max THEN 'OVER_MAX_UNITS'
             WHEN f_num = 0 THEN 'OUTCOME_NOT_PAYABLE'
             WHEN NOT priced THEN 'NO_PRICE'
             ELSE 'PAID' END AS pay_status,
        array_remove(ARRAY[
            CASE WHEN held THEN 'NOT_FINALISED' END,
            CASE WHEN late THEN 'LATE_REPORT' END,
            CASE WHEN prev_end IS NOT NULL THEN 'PREVIOUSLY_COMPLETED' END,
            CASE WHEN paid_before OR paid_now THEN 'ALREADY_PAID' END,
            CASE WHEN paid_before AND (pb_outcome, pb_start, pb_end)
                      IS DISTINCT FROM (outcome, activity_start_date, activity_end_date)
                 THEN 'ADJUSTMENT_REVIEW' END
        ]::text[], NULL) AS applies
    FROM g JOIN d USING (id)
),
t AS (
    SELECT s.*,
        (pay_status IN ('PAID', 'OUTCOME_NOT_PAYABLE') AND priced AND counts_flag) AS counts_to_max,
        CASE pay_status
        WHEN 'INVALID' THEN
            (%(rt)s::jsonb ->> 'INVALID') || ': '
            || array_to_string(ARRAY(
                SELECT coalesce(%(rt)s::jsonb ->> x, x)
                FROM unnest(invalid_codes) WITH ORDINALITY u(x, i) ORDER BY i), '; ') || '.'
        WHEN 'NOT_FINALISED' THEN
            (%(rt)s::jsonb ->> 'NOT_FINALISED') || ': outcome ' || outcome
            || '; it is decided in a later batch when the final outcome is lodged.'
        WHEN 'LATE_REPORT' THEN
            (%(rt)s::jsonb ->> 'LATE_REPORT') || ': reported ' || {_date("lodged_on")}
            || ', ' || (lodged_on - activity_end_date) || ' days after the activity end date '
            || {_date("activity_end_date")} || ' (the limit is ' || max_report_lag_days
            || ' days).'
        WHEN 'PREVIOUSLY_COMPLETED' THEN
            (%(rt)s::jsonb ->> 'PREVIOUSLY_COMPLETED') || ' (' || prev_code
            || ') in another record ending ' || {_date("prev_end")}
            || ', by this activity''s end ' || {_date("activity_end_date")} || '.'
        WHEN 'ALREADY_PAID' THEN
            (%(rt)s::jsonb ->> 'ALREADY_PAID') || ' (DELTA ' || training_contract_identifier
            || ', ' || subject_identifier || ').'
            || CASE WHEN 'ADJUSTMENT_REVIEW' = ANY(applies)
                    THEN ' The re-lodgement changed the outcome or dates: referred for review.'
                    ELSE '' END
        WHEN 'OVER_MAX_UNITS' THEN
            (%(rt)s::jsonb ->> 'OVER_MAX_UNITS') || ' (' || trim_scale(counted_before)
            || ' of ' || max_payable || ' ' || measure_word
            || ' already paid or counted on DELTA ' || training_contract_identifier
            || '; this line is ' || trim_scale(points) || ').'
        WHEN 'OUTCOME_NOT_PAYABLE' THEN
            (%(rt)s::jsonb ->> 'OUTCOME_NOT_PAYABLE') || ' (outcome ' || outcome
            || CASE WHEN f_note <> '' AND f_rule <> 'HELD' THEN ', ' || f_note ELSE '' END
            || ')'
            || CASE WHEN priced AND counts_flag THEN ' (counted towards the maximum units)'
                    ELSE '' END || '.'
        WHEN 'NO_PRICE' THEN
            (%(rt)s::jsonb ->> 'NO_PRICE') || ' ' || program_identifier || ' on '
            || {_date("activity_end_date")} || '.'
        ELSE
            'Paid $' || {_money("priced_amount")} || ' = $' || {_money("contribution")}
            || CASE WHEN ppg_price THEN ' PPG price' ELSE '' END
            || ' / ' || designated_units || ' ' || measure_word
            || CASE WHEN points <> 1 THEN ' × ' || trim_scale(points) || ' points' ELSE '' END
            || CASE WHEN applied_pct <> 0 THEN
                   ' × (1 + ' || trim_scale(applied_pct) || '%% remote loading, '
                   || CASE WHEN applied_pct = delivery_pct AND delivery_pct >= residential_pct
                           THEN 'delivery locality ' || upper(delivery_locality) || ' '
                                || delivery_postcode
                           ELSE 'residential locality ' || upper(residential_locality) || ' '
                                || residential_postcode END
                   || ')'
               ELSE ' (no location loading)' END
            || CASE WHEN f_num / f_den <> 1 THEN
                   ' × ' || trim_scale(round(f_num / f_den, 4))
                   || CASE WHEN f_note <> '' THEN ' (' || f_note || ')' ELSE '' END
               ELSE '' END
            || '.'
        END AS explanation,
        (valid AND priced) AS money
    FROM (SELECT s.*, CASE WHEN measure = 'POINTS' THEN 'points' ELSE 'units' END
                 AS measure_word FROM s) s
),
ins AS (
    INSERT INTO pqs_claims_paymentline ({_LINE_COLUMNS})
    SELECT
        {_LINE_SELECT}
    FROM t
    RETURNING amount
)
SELECT count(*), coalesce(sum(amount), 0) FROM ins
"""

# Earlier batches (period before this one) are passed as ids. The first month has none,
# and its statement does not read the payment line table at all (WHERE false is planned
# away): the generic plan is made on a batch's first chunk, when that table may be empty
# and analysed as such, and a plan that scans it would then scan every line inserted by the
# chunks since — quadratic over a batch. Later months read it through its indexes.
CHUNK_SQL = _CHUNK_SQL.replace(
    "{not_decided}",
    """AND NOT EXISTS (
        SELECT 1 FROM pqs_claims_paymentline d
        WHERE d.claim_line_id = c.id AND d.batch_id = ANY(%(earlier)s)
          AND d.rto_id = %(rto_id)s AND d.status = ANY(%(final)s) AND NOT d.voided)""",
).replace("{in_earlier_batch}", "p.batch_id = ANY(%(earlier)s)")
FIRST_CHUNK_SQL = _CHUNK_SQL.replace("{not_decided}", "").replace("{in_earlier_batch}", "false")


def equivalents_params() -> dict:
    """The register's superseded-code equivalents (engine.equivalents_map) as arrays, with
    the engine's tie-break rank (the unit itself first, then its older codes sorted)."""
    eq_unit, eq_code, eq_rank = [], [], []
    for unit, older in engine.equivalents_map().items():
        for rank, code in enumerate(older, start=1):
            eq_unit.append(unit)
            eq_code.append(code)
            eq_rank.append(rank)
    return {"eq_unit": eq_unit, "eq_code": eq_code, "eq_rank": eq_rank}


# The statement is PREPAREd once per database session (planning it costs about as much as
# executing a small chunk) and run with a generic plan (the chunk's shape does not depend
# on the parameter values: one RTO's lines, looked up by index).
PARAM_TYPES = {
    "rto_id": "integer",
    "rto_code": "text",
    "batch_id": "integer",
    "cutoff": "timestamptz",
    "final": "text[]",
    "earlier": "integer[]",
    "rt": "jsonb",
    "eq_unit": "text[]",
    "eq_code": "text[]",
    "eq_rank": "integer[]",
    "id_prefix": "text",
    "id_key": "bytea",
}
_ORDER = list(PARAM_TYPES)


def _prepared(sql: str) -> tuple[str, str]:
    """(statement name, SQL with $n placeholders); the name changes with the SQL."""
    text = re.sub(r"%\((\w+)\)s", lambda m: f"${_ORDER.index(m.group(1)) + 1}", sql)
    text = text.replace("%%", "%")
    return "pqs_payment_chunk_" + hashlib.sha256(text.encode()).hexdigest()[:10], text


STATEMENTS = {True: _prepared(CHUNK_SQL), False: _prepared(FIRST_CHUNK_SQL)}


def _prepare(cur, earlier: bool) -> str:
    name, text = STATEMENTS[earlier]
    cur.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
    if cur.fetchone() is None:
        types = ", ".join(PARAM_TYPES.values())
        cur.execute(f"PREPARE {name} ({types}) AS {text}")
    return name


def calculate_chunk(batch, rto_id: int, rto_code: str, equivalents: dict | None = None):
    """Insert the payment lines of one RTO for ``batch`` (the caller holds the chunk's
    transaction and has deleted the previous lines). Returns (line count, total amount)."""
    params = {
        "rto_id": rto_id,
        "rto_code": rto_code,
        "batch_id": batch.pk,
        "cutoff": batch.cutoff,
        "final": list(PaymentLine.FINAL_STATUSES),
        "earlier": list(
            PaymentBatch.objects.filter(period__lt=batch.period).values_list("pk", flat=True)
        ),
        "rt": json.dumps(engine.REASON_TEXT),
        **(equivalents if equivalents is not None else equivalents_params()),
        "id_prefix": f"{time.time_ns() // 1_000_000:012x}",
        "id_key": secrets.token_bytes(16),
    }
    with connection.cursor() as cur:
        name = _prepare(cur, bool(params["earlier"]))
        cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        # A 2,500-line chunk sorts and hashes well under the 4 MB default; the largest
        # PQSs (tens of thousands of lines a month) would spill ~2 kB rows to disk.
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute(
            f"EXECUTE {name} ({', '.join(['%s'] * len(_ORDER))})",
            [params[k] for k in _ORDER],
        )
        count, total = cur.fetchone()
    return count, total
