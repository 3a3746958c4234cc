# ruff: noqa: E501
"""Mutate each payment rule once — in the engine, the batch SQL and the services — run the
tests that cover it, and expect red (pqs_claims/README.md "Rules under test"). Each mutation
is a one-place text replacement, restored afterwards whatever happens; nothing is committed.

    .venv/bin/python scripts/pay_rule_mutations.py [NAME-SUBSTRING ...]
"""

import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
T = "tests/pqs_claims/test_policy_table.py"
E, S, SP, SB, X = (
    "pqs_claims/engine.py",
    "pqs_claims/sql/batch_sql.py",
    "pqs_claims/services/periods.py",
    "pqs_claims/services/batches.py",
    "pqs_claims/exports.py",
)
M = [
    # (name, file, old, new, tests, -k)
    (
        "engine NOT_PQS valid_to <= → <",
        E,
        "if a.valid_from <= on and (a.valid_to is None or on <= a.valid_to):",
        "if a.valid_from <= on and (a.valid_to is None or on < a.valid_to):",
        T,
        "python",
    ),
    (
        "engine NOT_ON_SCHEDULE off",
        E,
        'if line["program_identifier"] not in approval.qualifications:',
        "if False:",
        T,
        "python",
    ),
    (
        "engine WRONG_SUPPLIER_NUMBER off",
        E,
        'if (line["purchasing_contract_identifier"] or "") != approval.supplier_number:',
        "if False:",
        T,
        "python",
    ),
    (
        "engine WRONG_FUND_SOURCE off",
        E,
        'if (line["funding_source_state"] or "") not in program.fund_sources:',
        "if False:",
        T,
        "python",
    ),
    (
        "engine NO_TRAINING_CONTRACT off",
        E,
        'codes.append("NO_TRAINING_CONTRACT")',
        "pass",
        T,
        "python",
    ),
    (
        "engine CONTRACT_MISMATCH dob off",
        E,
        'or contract.date_of_birth != line["date_of_birth"]',
        "",
        T,
        "python",
    ),
    (
        "engine NOT_SRTO today's SRTO",
        E,
        "if contract.srto_on(lodged) != ref.rto_codes",
        "if contract.srto_code != ref.rto_codes",
        T,
        "python",
    ),
    (
        "engine CONTRACT_NOT_ACTIVE < → <=",
        E,
        'contract.status != "active" and end is not None and contract.status_date < end',
        'contract.status != "active" and end is not None and contract.status_date <= end',
        T,
        "python",
    ),
    (
        "engine CONTRACT_NOT_ACTIVE completed excluded",
        E,
        'contract.status != "active" and end',
        'contract.status in ("cancelled", "suspended") and end',
        T,
        "python",
    ),
    (
        "engine UNKNOWN_DELIVERY_LOCALITY off",
        E,
        "if delivery not in ref.localities:",
        "if False:",
        T,
        "python",
    ),
    (
        "engine WITHDRAWN_NO_HOURS is None → falsy",
        E,
        'if line["outcome"] in ("40", "41") and line["hours_attended"] is None:',
        'if line["outcome"] in ("40", "41") and not line["hours_attended"]:',
        T,
        "python",
    ),
    (
        "engine stored codes off",
        E,
        'if line.get("related_errors"):\n        codes.append("RELATED_RECORD_ERROR")',
        'if False:\n        codes.append("RELATED_RECORD_ERROR")',
        T,
        "python",
    ),
    ("engine national errors off", E, "if v.codes or national:", "if v.codes:", T, "python"),
    (
        "engine NOT_FINALISED off",
        E,
        '    if factor == HELD:\n        applies.append("NOT_FINALISED")',
        '    if False:\n        applies.append("NOT_FINALISED")',
        T,
        "python",
    ),
    (
        "engine LATE_REPORT > → >=",
        E,
        "if lag > program.lag_days:",
        "if lag >= program.lag_days:",
        T,
        "python",
    ),
    (
        "engine LATE_REPORT from this lodgement",
        E,
        'lodged_on = line["first_lodged_on"] or line["lodgement_date"]',
        'lodged_on = line["lodgement_date"]',
        T,
        "python",
    ),
    (
        "engine PREVIOUSLY_COMPLETED end < → <=",
        E,
        "before = other_end < end or (",
        "before = other_end <= end or (",
        T,
        "python",
    ),
    (
        "engine PREVIOUSLY_COMPLETED vs start date",
        E,
        "before = other_end < end or (",
        "before = other_end < line['activity_start_date'] or (",
        T,
        "python",
    ),
    (
        "engine PREVIOUSLY_COMPLETED tie lodged < → >",
        E,
        "and other_lodged < lodged",
        "and other_lodged > lodged",
        T,
        "python",
    ),
    (
        "engine PREVIOUSLY_COMPLETED own contract counted",
        E,
        "if other_lodged is not None and other_delta == delta:",
        "if False:",
        T,
        "python",
    ),
    (
        "engine ALREADY_PAID this batch off",
        E,
        "if paid_before is not None or (delta, unit) in paid_now:",
        "if paid_before is not None:",
        T,
        "python",
    ),
    (
        "engine ADJUSTMENT_REVIEW off",
        E,
        'if paid_before is not None and paid_before != (line["outcome"], start, end):',
        "if False:",
        T,
        "python",
    ),
    (
        "engine OVER_MAX > → >=",
        E,
        "if counted[delta] + measure > pricing.max_payable:",
        "if counted[delta] + measure >= pricing.max_payable:",
        T,
        "python",
    ),
    (
        "engine OVER_MAX cap = divisor",
        E,
        "if counted[delta] + measure > pricing.max_payable:",
        "if counted[delta] + measure > pricing.designated_units:",
        T,
        "python",
    ),
    (
        "engine OVER_MAX counts 1 not points",
        E,
        "counted[delta] += measure",
        "counted[delta] += 1",
        T,
        "python",
    ),
    (
        "engine OVER_MAX no skip (stop at first misfit)",
        E,
        "measure = pricing.points\n",
        "measure = pricing.points if counted[delta] + pricing.points <= pricing.max_payable else pricing.max_payable + 1\n        counted[delta] = counted[delta] if measure <= pricing.max_payable else pricing.max_payable\n",
        T,
        "python",
    ),
    (
        "engine OUTCOME_NOT_PAYABLE off",
        E,
        "    if factor == 0:\n        why",
        "    if False:\n        why",
        T,
        "python",
    ),
    ("engine unit points for UNITS too", E, 'if measure == "POINTS"\n', "if True\n", T, "python"),
    (
        "sql NOT_PQS valid_to <= → <",
        S,
        "AND (a.valid_to IS NULL OR c.activity_end_date <= a.valid_to)",
        "AND (a.valid_to IS NULL OR c.activity_end_date < a.valid_to)",
        T,
        "sql",
    ),
    (
        "sql NOT_ON_SCHEDULE off",
        S,
        "CASE WHEN program_id IS NOT NULL AND NOT on_schedule",
        "CASE WHEN false",
        T,
        "sql",
    ),
    (
        "sql WRONG_SUPPLIER_NUMBER off",
        S,
        "AND coalesce(purchasing_contract_identifier, '') <> supplier_number",
        "AND false",
        T,
        "sql",
    ),
    (
        "sql WRONG_FUND_SOURCE off",
        S,
        "AND NOT (coalesce(funding_source_state, '') = ANY(state_fund_source_codes))",
        "AND false",
        T,
        "sql",
    ),
    (
        "sql NO_TRAINING_CONTRACT off",
        S,
        "CASE WHEN tc_id IS NULL THEN 'NO_TRAINING_CONTRACT' END",
        "NULL",
        T,
        "sql",
    ),
    (
        "sql CONTRACT_MISMATCH dob off",
        S,
        "OR tc_dob IS DISTINCT FROM date_of_birth)",
        ")",
        T,
        "sql",
    ),
    (
        "sql NOT_SRTO today's SRTO",
        S,
        "tc.qualification_code AS tc_qual, so.srto_code,",
        "tc.qualification_code AS tc_qual, tc.srto_code,",
        T,
        "sql",
    ),
    (
        "sql CONTRACT_NOT_ACTIVE < → <=",
        S,
        "AND activity_end_date IS NOT NULL AND tc_status_date < activity_end_date",
        "AND activity_end_date IS NOT NULL AND tc_status_date <= activity_end_date",
        T,
        "sql",
    ),
    (
        "sql CONTRACT_NOT_ACTIVE completed excluded",
        S,
        "tc_status <> 'active'",
        "tc_status IN ('cancelled', 'suspended')",
        T,
        "sql",
    ),
    (
        "sql UNKNOWN_DELIVERY_LOCALITY off",
        S,
        "CASE WHEN NOT delivery_known THEN 'UNKNOWN_DELIVERY_LOCALITY' END",
        "NULL",
        T,
        "sql",
    ),
    (
        "sql WITHDRAWN_NO_HOURS is null → falsy",
        S,
        "CASE WHEN outcome IN ('40', '41') AND hours_attended IS NULL\n",
        "CASE WHEN outcome IN ('40', '41') AND coalesce(hours_attended, 0) = 0\n",
        T,
        "sql",
    ),
    (
        "sql stored codes off",
        S,
        "CASE WHEN cardinality(related_errors) > 0 THEN 'RELATED_RECORD_ERROR'",
        "CASE WHEN false THEN 'RELATED_RECORD_ERROR'",
        T,
        "sql",
    ),
    (
        "sql stored MISSING_SCHOOL_LEVEL off",
        S,
        "CASE WHEN school_level = '@@' THEN 'MISSING_SCHOOL_LEVEL'",
        "CASE WHEN false THEN 'MISSING_SCHOOL_LEVEL'",
        T,
        "sql",
    ),
    (
        "sql national errors off",
        S,
        "|| CASE WHEN cardinality(national_errors) + cardinality(related_errors) = 0",
        "|| CASE WHEN true",
        T,
        "sql",
    ),
    (
        "sql NOT_FINALISED off",
        S,
        "WHEN held THEN 'NOT_FINALISED'",
        "WHEN false THEN 'NOT_FINALISED'",
        T,
        "sql",
    ),
    (
        "sql LATE_REPORT > → >=",
        S,
        "lodged_on - activity_end_date > max_report_lag_days",
        "lodged_on - activity_end_date >= max_report_lag_days",
        T,
        "sql",
    ),
    (
        "sql LATE_REPORT from this lodgement",
        S,
        "coalesce(first_lodged_on, lodgement_date) AS lodged_on",
        "lodgement_date AS lodged_on",
        T,
        "sql",
    ),
    (
        "sql PREVIOUSLY_COMPLETED end < → <=",
        S,
        "AND (x.end_date < c.activity_end_date",
        "AND (x.end_date <= c.activity_end_date",
        T,
        "sql",
    ),
    (
        "sql PREVIOUSLY_COMPLETED vs start date",
        S,
        "AND (x.end_date < c.activity_end_date",
        "AND (x.end_date < c.activity_start_date",
        T,
        "sql",
    ),
    (
        "sql PREVIOUSLY_COMPLETED tie lodged < → >",
        S,
        "AND x.lodged_at < c.lodged_at))",
        "AND x.lodged_at > c.lodged_at))",
        T,
        "sql",
    ),
    (
        "sql PREVIOUSLY_COMPLETED own contract counted",
        S,
        "AND NOT (x.lodged_at IS NOT NULL\n                            AND x.delta = c.training_contract_identifier)",
        "",
        T,
        "sql",
    ),
    (
        "sql ALREADY_PAID this batch off",
        S,
        "WHEN paid_before OR paid_now THEN 'ALREADY_PAID'",
        "WHEN paid_before THEN 'ALREADY_PAID'",
        T,
        "sql",
    ),
    (
        "sql ADJUSTMENT_REVIEW off",
        S,
        "CASE WHEN paid_before AND (pb_outcome, pb_start, pb_end)",
        "CASE WHEN false AND (pb_outcome, pb_start, pb_end)",
        T,
        "sql",
    ),
    (
        "sql OVER_MAX > → >=",
        S,
        "+ 1 > max_payable AS over_raw",
        "+ 1 >= max_payable AS over_raw",
        T,
        "sql",
    ),
    (
        "sql OVER_MAX points take the unit path",
        S,
        "HAVING min(max_payable) <> max(max_payable) OR min(points) <> 1 OR max(points) <> 1",
        "HAVING min(max_payable) <> max(max_payable)",
        T,
        "sql",
    ),
    (
        "sql OVER_MAX cap = divisor",
        S,
        "valid, reach, priced, max_payable, points,",
        "valid, reach, priced, designated_units AS max_payable, points,",
        T,
        "sql",
    ),
    (
        "sql OUTCOME_NOT_PAYABLE off",
        S,
        "WHEN f_num = 0 THEN 'OUTCOME_NOT_PAYABLE'",
        "WHEN false THEN 'OUTCOME_NOT_PAYABLE'",
        T,
        "sql",
    ),
    (
        "sql NO_PRICE off",
        S,
        "WHEN NOT priced THEN 'NO_PRICE'",
        "WHEN false THEN 'NO_PRICE'",
        T,
        "sql",
    ),
    (
        "sql unit points for UNITS too",
        S,
        "CASE WHEN pe.measure = 'POINTS' THEN coalesce(up.points, 1) ELSE 1 END AS points",
        "coalesce(up.points, 1) AS points",
        T,
        "sql",
    ),
    (
        "report date kept across outcome change",
        E,
        "OR (o.outcome, o.activity_end_date) IS DISTINCT FROM (c.outcome, c.activity_end_date)",
        "",
        "tests/pqs_claims/test_policy_flow.py",
        "report_date",
    ),
    (
        "batch month not begun off",
        SP,
        '    if start > today:\n        raise ApplicationError(\n            f"The {period} batch cannot',
        '    if False:\n        raise ApplicationError(\n            f"The {period} batch cannot',
        "tests/pqs_claims/test_batch_months.py",
        "",
    ),
    (
        "approval before cut-off allowed",
        SB,
        "        if b.is_preview:\n",
        "        if False:\n",
        "tests/pqs_claims/test_batch_months.py",
        "",
    ),
    (
        "export without invalid-at-lodgement lines",
        X,
        "    out += invalid_at_lodgement_rows(batch, rto=rto)\n",
        "",
        "tests/pqs_claims/test_policy_flow.py",
        "export",
    ),
]
only = sys.argv[1:]  # substrings of mutation names to run (default: all)


#: The batch statement takes its rule fragments from rules_sql (shared with the claim
#: validation): a batch SQL mutation applies where its text is.
SQL_FILES = (S, "pqs_claims/sql/rules_sql.py")


def run_one(name, f, old, new, tests, k) -> str:
    if f == S:
        f = next((g for g in SQL_FILES if old in (ROOT / g).read_text()), S)
    path = ROOT / f
    text = path.read_text()
    if old not in text:
        return "PATTERN NOT FOUND"
    path.write_text(text.replace(old, new, 1))
    try:
        cmd = [str(ROOT / ".venv/bin/python"), "-m", "pytest", "-p", "no:cacheprovider"]
        cmd += ["-q", "-x", tests] + (["-k", k] if k else [])
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
        first = next((ln for ln in r.stdout.splitlines() if ln.startswith("FAILED")), "")
        return ("RED (bites) " + first) if r.returncode else "GREEN (does NOT bite)"
    finally:
        path.write_text(text)  # never leave a mutation behind


if __name__ == "__main__":
    for mutation in M:
        if only and not any(o in mutation[0] for o in only):
            continue
        t0 = time.time()
        print(f"{mutation[0]}: {run_one(*mutation)} [{time.time() - t0:.0f}s]", flush=True)
