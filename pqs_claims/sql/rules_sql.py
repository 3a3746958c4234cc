"""The rules of payment-rules.md §2 (departmental validation) and §3 (the amount) as SQL
fragments, ONE place per rule, used by both set-based statements that apply them:

* the monthly batch (``batch_sql``: the chunk statement's ``cand`` is an RTO's lodged
  candidate lines, and it adds the §5 rules on top);
* the claim validation and lodgement (``claim_sql``: ``cand`` is a claim's staged NAT00120
  rows, or its lines about to be lodged), which stores each line's codes, warnings and
  upload-time estimate (``engine.estimate_lines``).

The Python engine (``pqs_claims.engine``: ``validate_line``, ``price_line``) is the
executable specification: ``tests/pqs_claims/test_policy_table.py`` and
``tests/pqs_claims/test_batch_sql.py`` check the batch against it, and
``tests/pqs_claims/test_claim_sql.py`` checks the claim statements against
``engine.estimate_lines``.

The fragments read a CTE ``cand`` with one row per line and the columns ``id`` (unique),
``rto_id``, ``activity_end_date``, ``program_identifier``, ``subject_identifier``,
``training_contract_identifier``, ``family_name``, ``date_of_birth``, ``outcome``,
``funding_source_state``, ``purchasing_contract_identifier``, ``hours_attended``,
``nominal_hours``, ``delivery_postcode``, ``residential_postcode``, ``related_errors``,
``school_level``, ``delivery_locality_key`` / ``residential_locality_key``
(:func:`norm` of the localities) and ``lodgement_date`` (the date NOT_SRTO is judged on:
the lodgement date, today for a claim not lodged yet); and the parameters ``%(rto_id)s``
(the claiming RTO) and ``%(rto_code)s`` (its code).
"""

from __future__ import annotations

# Whitespace stripped by the engine's str.strip() for the fields compared here (NAT
# fields are ASCII; the parser already strips them).
_WS = r"E' \t\n\r\x0b\x0c'"


def norm(expr: str) -> str:
    """``(value or "").strip().upper()`` in SQL."""
    return f"upper(btrim(coalesce({expr}, ''), {_WS}))"


#: §2: the contracts of the lines (one probe per DELTA number) and the SRTO of each
#: (contract, lodgement date) — NOT_SRTO (engine ``Contract.srto_on``).
CONTRACT_CTES = """\
deltas AS (SELECT DISTINCT training_contract_identifier AS delta FROM cand),
contracts AS (  -- one probe per contract, not per line (delta_number is unique)
    SELECT t.id, t.delta_number, t.family_name, t.date_of_birth, t.qualification_code,
           t.srto_code, t.status, t.status_date, t.ppg,
           EXISTS (SELECT 1 FROM pqs_claims_trainingcontractsrto h WHERE h.contract_id = t.id)
               AS has_history
    FROM pqs_claims_trainingcontract t
    WHERE t.delta_number IN (SELECT delta FROM deltas)
),
srto AS (  -- §2 NOT_SRTO: the SRTO of each (contract, lodgement date) in play
    SELECT DISTINCT ON (tc.id, l.lodgement_date) tc.id AS tc_id, l.lodgement_date,
           CASE WHEN NOT tc.has_history THEN tc.srto_code ELSE h.srto_code END AS srto_code
    FROM (SELECT DISTINCT training_contract_identifier, lodgement_date FROM cand) l
    JOIN contracts tc ON tc.delta_number = l.training_contract_identifier
    LEFT JOIN pqs_claims_trainingcontractsrto h
        ON h.contract_id = tc.id AND h.valid_from <= l.lodgement_date
       AND (h.valid_to IS NULL OR l.lodgement_date <= h.valid_to)
    ORDER BY tc.id, l.lodgement_date, h.valid_from
),"""


def _loading_cte(name: str, where: str) -> str:
    """The location loading valid on the activity end date for the line's ``where``
    (delivery or residential) postcode and locality, first by ``effective_from``."""
    return f"""\
{name} AS (
    SELECT DISTINCT ON (c.id) c.id, x.loading_percent
    FROM cand c
    JOIN capr a ON a.id = c.id
    JOIN pqs_claims_locationloading x
        ON x.program_id = a.program_id AND x.postcode = c.{where}_postcode
       AND x.locality = c.{where}_locality_key
       AND x.effective_from <= c.activity_end_date
       AND (x.effective_to IS NULL OR c.activity_end_date <= x.effective_to)
    ORDER BY c.id, x.effective_from
),"""


#: §2/§3: the approval valid on the activity end date (first by ``valid_from, id``:
#: ``Reference.approval_for``) with the schedule test; the price list entry and the
#: delivery / residential location loadings valid on the end date (first by
#: ``effective_from``: ``Reference.price``, ``Reference.loading``).
LOOKUP_CTES = (
    """\
appr AS MATERIALIZED (  -- the RTO's few approvals, read once (not an index probe per line)
    SELECT a.id, a.program_id, a.supplier_number, a.qualification_codes, a.valid_from,
           a.valid_to
    FROM pqs_claims_pqsapproval a WHERE a.rto_id = %(rto_id)s
),
capr AS (  -- the schedule test here: the approval's qualification array stays out of v
    SELECT c.id, ap.program_id, ap.supplier_number, ap.on_schedule
    FROM cand c
    LEFT JOIN LATERAL (
        SELECT a.program_id, a.supplier_number,
               c.program_identifier = ANY(a.qualification_codes) AS on_schedule
        FROM appr a
        WHERE c.activity_end_date IS NOT NULL
          AND a.valid_from <= c.activity_end_date
          AND (a.valid_to IS NULL OR c.activity_end_date <= a.valid_to)
        ORDER BY a.valid_from, a.id LIMIT 1) ap ON true
),
price AS (
    SELECT DISTINCT ON (c.id) c.id, e.contribution, e.ppg_contribution, e.designated_units,
           e.max_payable, e.measure
    FROM cand c
    JOIN capr a ON a.id = c.id
    JOIN pqs_claims_pricelistentry e
        ON e.program_id = a.program_id AND e.qualification_code = c.program_identifier
       AND e.effective_from <= c.activity_end_date
       AND (e.effective_to IS NULL OR c.activity_end_date <= e.effective_to)
    ORDER BY c.id, e.effective_from
),
"""
    + _loading_cte("dload", "delivery")
    + "\n"
    + _loading_cte("rload", "residential")
)

#: The columns a line gets from the lookups (after ``SELECT c.*, `` over ``cand c``).
V_COLUMNS = """ap.program_id, ap.supplier_number, ap.on_schedule,
           fp.code AS program_code, fp.state_fund_source_codes, fp.max_report_lag_days,
           fp.loading_basis, fp.ct_counts_to_max, fp.ppg_uses_ppg_price,
           coalesce(fp.outcome_factors ->> c.outcome, '0') AS f_rule,
           tc.id AS tc_id, tc.family_name AS tc_family, tc.date_of_birth AS tc_dob,
           tc.qualification_code AS tc_qual, so.srto_code, tc.status AS tc_status,
           tc.status_date AS tc_status_date, tc.ppg AS tc_ppg,
           dloc.id IS NOT NULL AS delivery_known, rloc.id IS NOT NULL AS residence_known,
           pe.contribution AS base_contribution, pe.ppg_contribution, pe.designated_units,
           pe.max_payable, pe.measure,
           -- a unit's points count only for a points-priced qualification (§1)
           CASE WHEN pe.measure = 'POINTS' THEN coalesce(up.points, 1) ELSE 1 END AS points,
           coalesce(dl.loading_percent, 0) AS delivery_pct,
           CASE WHEN rloc.id IS NULL THEN 0 ELSE coalesce(rl.loading_percent, 0) END
               AS residential_pct,"""

#: The joins of :data:`V_COLUMNS` (after ``FROM cand c``): the localities list is §2's
#: UNKNOWN_DELIVERY_LOCALITY and the residential warning.
V_JOINS = """JOIN capr ap ON ap.id = c.id
    LEFT JOIN pqs_claims_fundingprogram fp ON fp.id = ap.program_id
    LEFT JOIN contracts tc ON tc.delta_number = c.training_contract_identifier
    LEFT JOIN srto so ON so.tc_id = tc.id AND so.lodgement_date = c.lodgement_date
    LEFT JOIN pqs_claims_locality dloc
        ON dloc.postcode = c.delivery_postcode AND dloc.locality = c.delivery_locality_key
    LEFT JOIN pqs_claims_locality rloc
        ON rloc.postcode = c.residential_postcode
       AND rloc.locality = c.residential_locality_key
    LEFT JOIN price pe ON pe.id = c.id
    LEFT JOIN pqs_claims_unitpoints up
        ON up.program_id = ap.program_id AND up.qualification_code = c.program_identifier
       AND up.unit_code = c.subject_identifier
    LEFT JOIN dload dl ON dl.id = c.id
    LEFT JOIN rload rl ON rl.id = c.id"""

#: §2: the departmental validation codes of a line (over the columns of
#: :data:`V_COLUMNS`), in ``engine.VALIDATION_CODES`` order (``engine.validate_line``).
DEPARTMENTAL_CODES = f"""array_remove(ARRAY[
            CASE WHEN program_id IS NULL THEN 'NOT_PQS' END,
            CASE WHEN program_id IS NOT NULL AND NOT on_schedule
                 THEN 'NOT_ON_SCHEDULE' END,
            CASE WHEN program_id IS NOT NULL
                  AND coalesce(purchasing_contract_identifier, '') <> supplier_number
                 THEN 'WRONG_SUPPLIER_NUMBER' END,
            CASE WHEN program_id IS NOT NULL
                  AND NOT (coalesce(funding_source_state, '') = ANY(state_fund_source_codes))
                 THEN 'WRONG_FUND_SOURCE' END,
            CASE WHEN tc_id IS NULL THEN 'NO_TRAINING_CONTRACT' END,
            CASE WHEN tc_id IS NOT NULL AND (
                    tc_qual <> program_identifier
                    OR {norm("tc_family")} <> {norm("family_name")}
                    OR tc_dob IS DISTINCT FROM date_of_birth)
                 THEN 'CONTRACT_MISMATCH' END,
            CASE WHEN tc_id IS NOT NULL AND srto_code IS DISTINCT FROM %(rto_code)s
                 THEN 'NOT_SRTO' END,
            CASE WHEN tc_id IS NOT NULL AND tc_status <> 'active'
                  AND activity_end_date IS NOT NULL AND tc_status_date < activity_end_date
                 THEN 'CONTRACT_NOT_ACTIVE' END,
            CASE WHEN NOT delivery_known THEN 'UNKNOWN_DELIVERY_LOCALITY' END,
            CASE WHEN outcome IN ('40', '41') AND hours_attended IS NULL
                 THEN 'WITHDRAWN_NO_HOURS' END,
            CASE WHEN cardinality(related_errors) > 0 THEN 'RELATED_RECORD_ERROR' END,
            CASE WHEN school_level = '@@' THEN 'MISSING_SCHOOL_LEVEL' END
        ]::text[], NULL)"""

#: §2: the warning of a line whose residence is not in the localities list.
WARNINGS = """CASE WHEN residence_known THEN '{}'::text[]
             ELSE ARRAY['UNKNOWN_RESIDENTIAL_LOCALITY'] END"""

#: §3: a PPG contract's line is priced at the PPG contribution when the program says so.
PPG_PRICE = "tc_ppg AND ppg_uses_ppg_price AND ppg_contribution IS NOT NULL"

#: §3: the contribution the line is priced at.
CONTRIBUTION = f"""CASE WHEN {PPG_PRICE}
             THEN ppg_contribution ELSE base_contribution END"""

#: §4: the outcome factor as numerator / denominator (``engine.factor_fraction``; HELD
#: and unknown outcomes are 0, hours pro-rata is hours attended / nominal hours, capped 1).
F_NUM = """CASE WHEN f_rule = 'HELD' THEN 0::numeric
             WHEN f_rule = 'HOURS' THEN
                CASE WHEN hours_attended IS NULL OR coalesce(nominal_hours, 0) = 0 THEN 0
                     WHEN hours_attended >= nominal_hours THEN 1
                     ELSE hours_attended END::numeric
             ELSE f_rule::numeric END"""
F_DEN = """CASE WHEN f_rule = 'HOURS' AND hours_attended IS NOT NULL
                  AND coalesce(nominal_hours, 0) <> 0 AND hours_attended < nominal_hours
             THEN nominal_hours ELSE 1 END"""

#: §3: the location loading applied (the program's basis: ``engine.combine_loading``).
APPLIED_PCT = """CASE loading_basis WHEN 'DELIVERY' THEN delivery_pct
             WHEN 'RESIDENCE' THEN residential_pct
             WHEN 'SUM' THEN delivery_pct + residential_pct
             ELSE greatest(delivery_pct, residential_pct) END"""

#: §3: the amount, ONE exact division ``contribution × points × (100 + loading%) ×
#: factor_num / (units × 100 × factor_den)`` evaluated to 30 decimals and rounded with
#: ``round(numeric, 2)``: PostgreSQL rounds numeric half AWAY FROM ZERO, which is
#: ROUND_HALF_UP for the (never negative) amounts — the engine's ``round_money``. NULL
#: without a price list entry.
PRICED_AMOUNT = """round(round(contribution * points * (100 + applied_pct) * f_num, 30)
              / (designated_units * 100 * f_den), 2)"""
