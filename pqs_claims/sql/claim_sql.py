"""The departmental checks of a claim (payment-rules.md §2) and its upload-time estimate
(§3) as set-based SQL: what ``engine.estimate_lines`` computes line by line, for every line
of a statement at once.

The rules are the fragments of ``rules_sql`` — the same SQL text the monthly batch runs —
over a CTE ``cand`` of the lines (its columns: ``rules_sql``'s docstring). Two statements
use it:

* the claim validation (``pipeline``): ``cand`` is a range of the claim's staged NAT00120
  rows joined with their client, location and subject, and the statement inserts the claim
  lines with their ``validation_codes``, ``warning_codes`` and ``amount_estimate``
  (:func:`staged_cand`, :func:`insert_tail`);
* the lodgement re-check against the reference data of the lodgement date (``services``):
  ``cand`` is the claim's lines without national errors, and the statement inserts the ids
  of the lines with no departmental code into the temporary table ``_lodge_ids``
  (:data:`STORED_CAND`, :data:`LODGE_TAIL`).

Both run through :func:`run`, a range of lines at a time.

NOT_SRTO is judged on ``%(today)s`` (the engine: a line's lodgement date, today for a line
not lodged yet). The engine stays the executable specification:
``tests/pqs_claims/test_claim_sql.py`` runs both on the policy table's lines and on a mixed
claim and asserts the same codes, warnings and estimate per line.
"""

from __future__ import annotations

from .rules_sql import (
    APPLIED_PCT,
    CONTRACT_CTES,
    CONTRIBUTION,
    DEPARTMENTAL_CODES,
    F_DEN,
    F_NUM,
    LOOKUP_CTES,
    PRICED_AMOUNT,
    V_COLUMNS,
    V_JOINS,
    WARNINGS,
    norm,
)

#: The CTEs after ``cand``: ``est`` has every column of ``cand`` and ``validation_codes``,
#: ``warning_codes`` and ``amount_estimate`` (priced only for a line with neither a
#: national error nor a departmental code; NULL without a price list entry).
ESTIMATE_CTES = f"""{CONTRACT_CTES}
{LOOKUP_CTES}
v AS (
    SELECT c.*, {V_COLUMNS.rstrip(",")}
    FROM cand c
    {V_JOINS}
),
codes AS (
    SELECT v.*,
        {DEPARTMENTAL_CODES} AS validation_codes,
        {WARNINGS} AS warning_codes,
        {CONTRIBUTION} AS contribution
    FROM v
),
f AS (
    SELECT codes.*,
        {F_NUM} AS f_num,
        {F_DEN} AS f_den,
        {APPLIED_PCT} AS applied_pct
    FROM codes
),
est AS (
    SELECT f.*,
        CASE WHEN cardinality(validation_codes) = 0 AND cardinality(national_errors) = 0
             THEN {PRICED_AMOUNT} END AS amount_estimate
    FROM f
)"""


#: The columns of a stored claim line the rules read.
_STORED = (
    "c.id, c.rto_id, c.line_number, c.activity_end_date, c.program_identifier,"
    " c.subject_identifier, c.training_contract_identifier, c.family_name, c.date_of_birth,"
    " c.outcome, c.funding_source_state, c.purchasing_contract_identifier,"
    " c.hours_attended, c.nominal_hours, c.delivery_postcode, c.residential_postcode,"
    " c.delivery_locality, c.residential_locality, c.national_errors, c.related_errors,"
    " c.school_level"
)


def _keys(alias: str) -> str:
    return (
        f"{norm(f'{alias}.delivery_locality')} AS delivery_locality_key,\n"
        f"           {norm(f'{alias}.residential_locality')} AS residential_locality_key,\n"
        "           %(today)s::date AS lodgement_date"
    )


#: The columns of ``cand`` the rules join, group or look up on (their statistics).
CAND_KEYS = (
    "id",
    "training_contract_identifier",
    "lodgement_date",
    "program_identifier",
    "subject_identifier",
    "activity_end_date",
    "delivery_postcode",
    "residential_postcode",
    "delivery_locality_key",
    "residential_locality_key",
)


def run(cur, cand: str, tail: str, params: dict, *, analysed: bool) -> int:
    """Run :data:`ESTIMATE_CTES` over the lines of ``cand`` (a SELECT) followed by ``tail``
    (a statement reading ``est``). Returns the statement's row count.

    The lookups join the lines by id, so the planner must know how many lines there are:
    with a guess (a CTE over tables without fresh statistics is often guessed at 1 row)
    it plans nested loops, quadratic in the lines of a statement. ``analysed``: ``cand``
    reads only tables with fresh statistics (the staging tables, analysed by the ingest)
    and is the statement's CTE; otherwise the lines are first materialised in the
    temporary table ``_claim_cand`` and analysed."""
    if analysed:
        cur.execute(f"WITH cand AS ({cand}),\n{ESTIMATE_CTES}\n{tail}", params)
        return cur.rowcount
    # (dropped first: a caller's outer transaction — a test, or the previous range of the
    # same claim — keeps ON COMMIT DROP tables)
    cur.execute("DROP TABLE IF EXISTS _claim_cand")
    cur.execute(f"CREATE TEMP TABLE _claim_cand ON COMMIT DROP AS {cand}", params)
    # row counts and rough distinct counts of the lookups' keys are what the plan needs
    # (a small sample, of those columns only)
    cur.execute("SET LOCAL default_statistics_target = 20")
    cur.execute(f"ANALYZE _claim_cand ({', '.join(CAND_KEYS)})")
    cur.execute("RESET default_statistics_target")
    cur.execute(
        f"WITH cand AS NOT MATERIALIZED (SELECT * FROM _claim_cand),\n{ESTIMATE_CTES}\n{tail}",
        params,
    )
    return cur.rowcount


def staged_cand(select_lines: str, columns: list[str]) -> str:
    """The lines of the claim validation: the rows of ``select_lines`` (one per line, in
    ``columns`` order, ``line_number`` unique within the statement, which is the id)."""
    return f"""SELECT s.*, s.line_number AS id,
           {_keys("s")}
    FROM ({select_lines}) s({", ".join(columns)})"""


def insert_tail(columns: list[str], table: str) -> str:
    """Insert the lines of ``est`` into ``table`` with their codes, warnings and estimate,
    in line order."""
    cols = ", ".join(columns)
    return f"""INSERT INTO {table} ({cols}, validation_codes, warning_codes, amount_estimate)
SELECT {cols}, validation_codes, warning_codes, amount_estimate
FROM est ORDER BY line_number"""


#: The stored lines of a claim (``%(claim)s``) with ids in ``[%(lo)s, %(hi)s)``.
STORED_CAND = f"""SELECT {_STORED},
           {_keys("c")}
    FROM pqs_claims_claimline c
    WHERE c.submission_id = %(claim)s AND c.rto_id = %(rto_id)s
      AND c.id >= %(lo)s AND c.id < %(hi)s"""

#: The lodgement re-check: of the stored lines (:data:`STORED_CAND`), the ids of those with
#: no national error and no departmental code on the reference data of ``%(today)s``, into
#: ``_lodge_ids``.
LODGE_TAIL = """INSERT INTO _lodge_ids (id) SELECT id FROM est
WHERE cardinality(national_errors) = 0 AND cardinality(validation_codes) = 0"""

#: The codes, warnings and estimate of stored lines (the agreement test's view).
SELECT_TAIL = "SELECT id, validation_codes, warning_codes, amount_estimate FROM est ORDER BY id"
