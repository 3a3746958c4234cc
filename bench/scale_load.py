"""The national-size data set of ``bench/scale.py``, loaded directly by set-based SQL.

At ``--scale 1``: 1,000 RTOs (the first 400 Pre-Qualified Suppliers), 2,000,000 learners
with valid-format USIs, 2,500,000 client records (one learner in four also studied at a
second RTO), 10,000,000 unit outcomes (four per client record, activity dates 2015–2026,
valid AVETMISS outcome / funding / delivery codes), an award for one client record in
three, and for the PQSs 24 months of claims (one claim submission per PQS per month,
~5.1M lodged claim lines) determined in 24 monthly payment batches: 10,000,000 payment
lines (each claim line in the batch of its month and, when not final there, the next),
and one insert version per client record, outcome and award (as the commit writes them).
RTO sizes are skewed (the largest ~0.5 % of the register, the smallest a few records) and
names follow a long-tailed distribution, so that searches and plans behave as they would
on production data.

Each table is one ``INSERT … SELECT generate_series`` with triggers off
(``session_replication_role = replica``: the rows are generated consistent, and the
version and reference triggers are the ingest's business, not this data set's) into the
table with its secondary indexes dropped, rebuilt after the insert (a sorted build instead
of ten million random B-tree insertions). Each step is recorded in ``scale_meta`` with the
scale it was loaded at: a re-run skips the steps done and redoes an interrupted one (its
table and the later ones truncated first). A different ``--scale`` reloads everything.
"""

from __future__ import annotations

import json
import time

#: Sizes at --scale 1 (the issue's national figures).
FULL = {
    "rtos": 1_000,
    "pqss": 400,
    "learners": 2_000_000,
    "client_records": 2_500_000,
    "outcomes_per_record": 4,
    "products_quals": 150,
    "units_per_qual": 12,
    "claim_months": 24,
    "payment_lines": 10_000_000,
    "contract_units": 30,
}

_FAMILY_TEXT = """
SMITH JONES WILLIAMS BROWN WILSON TAYLOR JOHNSON WHITE MARTIN ANDERSON THOMPSON NGUYEN
THOMAS WALKER HARRIS LEE RYAN ROBINSON KELLY KING DAVIS WRIGHT EVANS ROBERTS GREEN HALL
WOOD JACKSON CLARKE PATEL KHAN LEWIS JAMES PHILLIPS MITCHELL TURNER HUGHES CAMPBELL
MURPHY OCONNOR MORRIS COOPER WARD COOK BAKER YOUNG SCOTT HILL MOORE STEWART ALLEN ADAMS
MILLER PARKER BELL CHEN WANG LI ZHANG SINGH KUMAR TRAN LE PHAM MURRAY DUNN BARNES
RICHARDSON COLLINS GRAHAM HUNTER ROSS FRASER MCDONALD SULLIVAN BURNS GRAY WATSON PRICE
KENNEDY BENNETT SHAW REID MARSHALL ELLIS HAYES FISHER PRESTON NOLAN DOYLE QUINN WALSH
BYRNE FLYNN OBRIEN GALLAGHER FARRELL MORAN HOGAN BRENNAN DALY LYNCH
"""
FAMILY = _FAMILY_TEXT.split()
_GIVEN_TEXT = """
OLIVER JACK NOAH WILLIAM LEO LUCAS THOMAS HENRY CHARLIE JAMES ETHAN LIAM MASON JOSHUA
SAMUEL DANIEL RYAN BEN MATTHEW JOHN MICHAEL DAVID ANDREW PETER PAUL MARK SEAN CHLOE
OLIVIA AMELIA CHARLOTTE ISLA MIA AVA GRACE WILLOW HARPER SOPHIE EMILY ZOE RUBY LILY ELLA
SARAH JESSICA HANNAH EMMA KATE LAURA RACHEL AMY LISA MEGAN TAYLOR JORDAN ALEX SAM PRIYA
ANH MINH WEI JUN ARJUN FATIMA AISHA MOHAMMED ALI HUONG LINH
"""
GIVEN = _GIVEN_TEXT.split()


def _arr(words) -> str:
    return "ARRAY[" + ",".join(f"'{w}'" for w in words) + "]"


def sizes(scale: float) -> dict:
    s = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    s["rtos"] = max(s["rtos"], 4)
    s["pqss"] = min(max(s["pqss"], 2), s["rtos"])
    s["claim_months"] = FULL["claim_months"]
    s["outcomes_per_record"] = FULL["outcomes_per_record"]
    s["units_per_qual"] = FULL["units_per_qual"]
    s["contract_units"] = FULL["contract_units"]
    s["learners"] = min(s["learners"], s["client_records"])
    # claim lines per month L: L * months first determinations + L * (months - 1) seconds
    s["claim_lines_per_month"] = max(1, s["payment_lines"] // (2 * s["claim_months"] - 1))
    return s


# ------------------------------------------------------------------------------- SQL

USI_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.scale_usi(n bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    a text := '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
    x bigint := (n * 2654435761 + 977) % 35184372088832;  -- a bijection mod 2^45
    d int; s text := ''; total int := 0; dbl boolean := true; i int;
BEGIN
    -- nine base-32 symbols, then the Luhn mod-32 check character (avetmiss.usi)
    FOR i IN 1..9 LOOP
        d := (x % 32)::int;  x := x / 32;
        s := substr(a, d + 1, 1) || s;
        total := total + CASE WHEN dbl THEN (2 * d) / 32 + (2 * d) % 32 ELSE d END;
        dbl := NOT dbl;
    END LOOP;
    RETURN s || substr(a, ((32 - total % 32) % 32) + 1, 1);
END $$;
"""

# A pick from an array skewed to its start (common names common): index 1 + floor(n·u²).
SKEW = "1 + floor({n} * power(random(), 2))::int"


def step_sql(s: dict) -> dict[str, list[str]]:
    """The statements of each step (run in order, each step in one transaction)."""
    fam, giv = _arr(FAMILY), _arr(GIVEN)
    nq = s["products_quals"]
    upq = s["units_per_qual"]
    n_rto, n_pqs = s["rtos"], s["pqss"]
    n_cr, n_l = s["client_records"], s["learners"]
    opr = s["outcomes_per_record"]
    months, lpm, cu = s["claim_months"], s["claim_lines_per_month"], s["contract_units"]
    return {
        "reference": [
            # training products: qualifications like BSB30120, units like BSBOPS201
            f"""INSERT INTO achievements_trainingproduct
                    (id, type, code, title, nominal_hours, aqf_level, status, superseded_by,
                     updated_at)
                SELECT g, 'QUALIFICATION',
                       (ARRAY['BSB','CHC','SIT','CPC','HLT','ICT','MEM','AUR','TLI','FNS'])
                           [1 + g % 10] || (2 + g % 5) || lpad((g * 7 % 1000)::text, 3, '0')
                           || '2' || (g % 5),
                       'Certificate ' || (ARRAY['II','III','IV','V','VI'])[1 + g % 5]
                           || ' in Field ' || g, NULL, (2 + g % 5)::text, 'current', '', now()
                FROM generate_series(1, {nq}) g""",
            f"""INSERT INTO achievements_trainingproduct
                    (id, type, code, title, nominal_hours, aqf_level, status, superseded_by,
                     updated_at)
                SELECT {nq} + 1 + g, 'UNIT',
                       (ARRAY['BSB','CHC','SIT','CPC','HLT','ICT','MEM','AUR','TLI','FNS'])
                           [1 + (g / {upq}) % 10]
                       || (ARRAY['OPS','WHS','COM','TEC','CUS','FIN'])[1 + g % 6]
                       || (2 + g % 4) || lpad((g % 100)::text, 2, '0') || chr(65 + g / 600),
                       'Unit of competency ' || g, 20 + 10 * (g % 5), '', 'current', '', now()
                FROM generate_series(0, {nq * upq} - 1) g""",
            f"""INSERT INTO rtos_rto (id, code, legal_name, trading_name, abn, state,
                    contact_email, phone, status, certificate_signatory,
                    certificate_signatory_title, logo, created_at)
                SELECT g, (30000 + g)::text, 'Scale Training ' || g || ' Pty Ltd', '',
                       '51824753556',
                       CASE WHEN g <= {n_pqs} THEN 'QLD'
                            ELSE (ARRAY['NSW','VIC','QLD','SA','WA','TAS','NT','ACT'])
                                 [1 + g % 8] END,
                       'rto' || g || '@example.test', '07 3000 0000', 'active', '', '', '',
                       now()
                FROM generate_series(1, {n_rto}) g""",
            f"""INSERT INTO achievements_submission (id, rto_id, public_id, kind,
                    source_format, file_name, file, sha256, size, status, rejected_reason,
                    attempts, interim, commit_records, release, file_counts, records_total,
                    records_with_errors, errors_count, warnings_count, committed_count,
                    commit_summary, phase, rows_done, rows_total, created_at, updated_at,
                    committed_at)
                SELECT g, g, md5('sub' || g), 'register', 'nat', 'nat-2026.zip', '',
                       md5('bytes' || g) || md5('more' || g), 1000, 'committed', '', 0,
                       false, false, '8.0', '{{}}', 0, 0, 0, 0, 0, '{{}}', '', 0, 0,
                       now() - interval '40 days', now() - interval '40 days',
                       now() - interval '40 days'
                FROM generate_series(1, {n_rto}) g""",
        ],
        "learners": [
            f"""INSERT INTO students_learner (id, public_id, usi, family_name, given_names,
                    date_of_birth, email, created_at, updated_at)
                SELECT g, md5('learner' || g), pg_temp.scale_usi(g),
                       ({fam})[{SKEW.format(n=len(FAMILY))}],
                       ({giv})[{SKEW.format(n=len(GIVEN))}],
                       date '1960-01-01' + (random() * 17500)::int, NULL, now(), now()
                FROM generate_series(1, {n_l}) g""",
        ],
        "client_records": [
            # records 1..L: learner g; records L+1..: every 4th learner at a second RTO.
            # RTO: skewed (low numbers large), u^1.6 over 1..rtos.
            f"""INSERT INTO students_clientrecord (id, public_id, rto_id, learner_id,
                    client_identifier, name_for_encryption, family_name, given_names,
                    highest_school_level_completed_identifier, gender, date_of_birth,
                    postcode, indigenous_status_identifier, language_identifier,
                    labour_force_status_identifier, country_identifier, disability_flag,
                    prior_educational_achievement_flag, at_school_flag,
                    address_location_suburb_locality_or_town, unique_student_identifier,
                    state_identifier, address_building_property_name,
                    address_flat_unit_details, address_street_number, address_street_name,
                    survey_contact_status, statistical_area_level_1_identifier,
                    statistical_area_level_2_identifier, postal_details, disabilities,
                    prior_educational_achievements, source_submission_id, change_reason,
                    created_at, updated_at)
                SELECT x.g, md5('cr' || x.g), x.rto, l.id, 'C' || x.g,
                       l.family_name || ', ' || l.given_names, l.family_name, l.given_names,
                       (ARRAY['12','11','10','09'])[1 + x.g % 4], (ARRAY['M','F','X'])[1 + x.g % 3],
                       l.date_of_birth, (4000 + x.g % 900)::text, (ARRAY['4','1','2'])[1 + x.g % 3],
                       '1201', (ARRAY['01','02','03','04'])[1 + x.g % 4], '1101', 'N', 'N', 'N',
                       'BRISBANE', l.usi, '03', '', '', (1 + x.g % 200)::text, 'MAIN STREET', 'A',
                       '', '', '{{}}', '[]', '[]', x.rto, '', now(), now()
                FROM (SELECT g, CASE WHEN g <= {n_l} THEN g ELSE (g - {n_l}) * 4 % {n_l} + 1 END
                                    AS learner,
                             least({n_rto}, 1 + floor({n_rto} * power(random(), 1.6))::int) AS rto
                      FROM generate_series(1, {n_cr}) g) x
                JOIN students_learner l ON l.id = x.learner""",
        ],
        "outcomes": [
            # four outcomes per client record, units of the record's qualification
            f"""INSERT INTO achievements_unitoutcome (id, public_id, rto_id, client_record_id,
                    learner_id, training_organisation_delivery_location_identifier,
                    subject_identifier, program_identifier, activity_start_date,
                    activity_end_date, delivery_mode_identifier, outcome_identifier_national,
                    funding_source_national, commencing_program_identifier,
                    training_contract_identifier, client_identifier_apprenticeships,
                    study_reason_identifier, vet_in_schools_flag, specific_funding_identifier,
                    school_type_identifier, outcome_identifier_training_organisation,
                    funding_source_state_training_authority, client_tuition_fee,
                    fee_exemption_concession_type_identifier,
                    purchasing_contract_identifier, purchasing_contract_schedule_identifier,
                    hours_attended, associated_course_identifier, scheduled_hours,
                    predominant_delivery_mode, source_submission_id, change_reason,
                    created_at, updated_at, withdrawn_reason)
                SELECT (c.id - 1) * {opr} + k + 1, md5('uo' || c.id || '.' || k), c.rto_id,
                       c.id, c.learner_id, 'LOC1', u.code, q.code, st, st + (30 + c.id % 150)::int,
                       (ARRAY['YNN','NYN','NNY'])[1 + c.id % 3],
                       (ARRAY['20','20','20','20','20','20','20','20','20','20','20','20',
                              '20','20','20','30','40','51','70','60'])[1 + (c.id * 7 + k) % 20],
                       (ARRAY['11','13','20'])[1 + c.id % 3], '3', '', '', '01', 'N', '',
                       '', '', '', NULL, '', '', '', NULL, '', 40, 'I', c.rto_id, '', now(),
                       now(), ''
                FROM students_clientrecord c
                CROSS JOIN generate_series(0, {opr} - 1) k
                CROSS JOIN LATERAL (SELECT 1 + c.id % {nq} AS qi,
                    date '2015-01-05' + ((c.id * 37) % 4300 + k * 45)::int AS st) p
                JOIN achievements_trainingproduct q ON q.id = p.qi
                JOIN achievements_trainingproduct u ON u.id = {nq} + (p.qi - 1) * {upq}
                     + (c.id + k) % {upq} + 1
                ORDER BY c.id, k""",
        ],
        "awards": [
            # one client record in three completed its qualification
            f"""INSERT INTO achievements_award (id, public_id, rto_id, client_record_id,
                    learner_id, award_type, program_identifier, date_program_completed,
                    issued_flag, issued_on, certificate_number, units, status,
                    revoked_reason_category, revoked_reason, change_reason, source_submission_id,
                    created_at, updated_at)
                SELECT c.id / 3, md5('aw' || c.id), c.rto_id, c.id, c.learner_id,
                       'QUALIFICATION', q.code, d, 'Y', d + 14,
                       r.code || '-' || lpad(c.id::text, 8, '0'), '[]', 'valid', '', '', '',
                       c.rto_id, now(), now()
                FROM students_clientrecord c
                JOIN rtos_rto r ON r.id = c.rto_id
                JOIN achievements_trainingproduct q ON q.id = 1 + c.id % {nq}
                CROSS JOIN LATERAL (SELECT date '2015-01-05' + ((c.id * 37) % 4300 + 200)::int
                                    AS d) p
                WHERE c.id % 3 = 0
                ORDER BY c.id""",
        ],
        "claims": [
            # one claim submission per PQS per month, lodged on the 15th
            f"""INSERT INTO pqs_claims_claimsubmission (id, public_id, rto_id, file, file_name,
                    sha256, size, collection_year, status, uploaded_at, lodged_at, line_count,
                    valid_lines, invalid_lines, errors, warnings, estimate, issues)
                SELECT m * {n_pqs} + p, md5('cs' || m || '.' || p), p, 'claims/scale.zip',
                       'claim-' || to_char(mo, 'YYYY-MM') || '.zip', md5('c' || m || p)
                       || md5('d' || m || p), 1000, extract(year FROM mo)::int, 'lodged',
                       (mo + interval '14 days 10 hours') AT TIME ZONE 'Australia/Brisbane',
                       (mo + interval '14 days 10 hours') AT TIME ZONE 'Australia/Brisbane',
                       0, 0, 0, 0, 0, 0, '[]'
                FROM generate_series(0, {months} - 1) m
                CROSS JOIN generate_series(1, {n_pqs}) p
                CROSS JOIN LATERAL
                    (SELECT date '2024-12-01' + make_interval(months => m) AS mo) x""",
            # claim line n (per month): contract n / 30, unit n % 30; in each run of 50 lines
            # the first is a continuing outcome (70) reported final (20) by the next line,
            # except one in a thousand, left unreported (the deadline pages' work).
            f"""INSERT INTO pqs_claims_claimline (id, public_id, rto_id, submission_id,
                    line_number, status, client_identifier, usi, family_name, given_names,
                    date_of_birth, learner_key, residential_postcode, residential_locality,
                    delivery_location_identifier, delivery_postcode, delivery_locality,
                    subject_identifier, nominal_hours, program_identifier, activity_start_date,
                    activity_end_date, outcome, funding_source_national, funding_source_state,
                    training_contract_identifier, purchasing_contract_identifier,
                    hours_attended, national_errors, related_errors, school_level,
                    validation_codes, warning_codes, amount_estimate, lodged_at,
                    first_lodged_on)
                SELECT m * {lpm} + n + 1, md5('cl' || m || '.' || n), p,
                       m * {n_pqs} + p, n + 1, 'lodged', 'K' || ct, '',
                       ({fam})[1 + ct % {len(FAMILY)}], ({giv})[1 + ct % {len(GIVEN)}],
                       date '1995-01-01' + (ct % 4000)::int,
                       'NAME:' || ({fam})[1 + ct % {len(FAMILY)}] || '|'
                           || (date '1995-01-01' + (ct % 4000)::int),
                       '4000', 'BRISBANE', 'LOC1', '4000', 'BRISBANE',
                       'UCU' || lpad(ui::text, 3, '0'), 20,
                       'UCQ' || lpad((ct % 40)::text, 3, '0'),
                       mo - 40, mo - 1 + (n % 10), oc, '13', 'UC2', (1000000 + ct)::text,
                       'PQS' || (30000 + p), NULL, '{{}}', '{{}}', '10', '{{}}', '{{}}', NULL,
                       (mo + interval '14 days 10 hours') AT TIME ZONE 'Australia/Brisbane',
                       mo + 14
                FROM generate_series(0, {months} - 1) m
                CROSS JOIN generate_series(0, {lpm} - 1) n
                CROSS JOIN LATERAL (SELECT m * {lpm} + n AS g) gg
                CROSS JOIN LATERAL (SELECT
                    date '2024-12-01' + make_interval(months => m) AS mo_ts,
                    1 + (g / {cu}) % {n_pqs} AS p,
                    g / {cu} AS ct,
                    CASE WHEN g % 50 = 1 AND g % 1000 <> 1 THEN (g - 1) % {cu} ELSE g % {cu} END
                        AS ui,
                    CASE WHEN g % 50 = 0 THEN '70' ELSE '20' END AS oc) y
                CROSS JOIN LATERAL (SELECT mo_ts::date AS mo) z
                ORDER BY 1""",
            f"""SELECT setval(pg_get_serial_sequence('pqs_claims_claimline', 'id'),
                              {months * lpm})""",
            f"""SELECT setval(pg_get_serial_sequence('pqs_claims_claimsubmission', 'id'),
                              {months * n_pqs + n_pqs})""",
        ],
        "payments": [
            # monthly batches 2024-12 … (paid, the newest approved); run and approved by
            # two department users (maker-checker)
            f"""INSERT INTO pqs_claims_paymentbatch (id, public_id, period, status, cutoff,
                    run_by_id, run_started_at, calculated_at, run_count, approved_by_id,
                    approved_at, exported_at, export_id, paid_on, line_count, paid_count,
                    total_amount, created_at)
                SELECT m + 1, md5('pb' || m), to_char(mo, 'YYYY-MM'),
                       CASE WHEN m = {months} - 1 THEN 'approved' ELSE 'paid' END,
                       ((mo + interval '1 month' - interval '1 day') + time '23:59')
                           AT TIME ZONE 'Australia/Brisbane',
                       (SELECT min(id) FROM accounts_user WHERE email = 'scale-maker@example.test'),
                       now(), now(), 1,
                       (SELECT min(id) FROM accounts_user
                        WHERE email = 'scale-checker@example.test'),
                       now(), now(), '', NULL, 0, 0, 0, now()
                FROM generate_series(0, {months} - 1) m
                CROSS JOIN LATERAL
                    (SELECT date '2024-12-01' + make_interval(months => m) AS mo) x""",
            # first determination in the claim's month; a second in the next month's batch
            # for lines not final in the first (paid there, or still not finalised)
            f"""INSERT INTO pqs_claims_paymentline (public_id, rto_id, batch_id, claim_line_id,
                    submission_public_id, file_line_number, client_identifier, learner_name,
                    subject_identifier, program_identifier, funding_program,
                    training_contract_identifier, activity_start_date, activity_end_date,
                    lodgement_date, outcome, contribution, designated_units, unit_value,
                    delivery_loading_percent, residential_loading_percent,
                    applied_loading_percent, outcome_factor, amount, status, reasons,
                    explanation, counts_to_max, voided)
                SELECT lpad(to_hex(c.id), 16, '0') || lpad(to_hex(w), 16, '0'), c.rto_id,
                       (c.id - 1) / {lpm} + 1 + w, c.id, s.public_id, c.line_number,
                       c.client_identifier, c.given_names || ' ' || c.family_name,
                       c.subject_identifier, c.program_identifier, 'UC2528',
                       c.training_contract_identifier, c.activity_start_date,
                       c.activity_end_date, c.first_lodged_on, c.outcome, 11000, 30,
                       366.6667, 0, 0, 0, 1, CASE WHEN st = 'PAID' THEN 366.67 ELSE 0 END, st,
                       CASE WHEN st = 'PAID' THEN '{{}}'::varchar[] ELSE ARRAY[st]::varchar[] END,
                       'Unit ' || c.subject_identifier || ': ' || lower(st),
                       st = 'PAID', false
                FROM pqs_claims_claimline c
                JOIN pqs_claims_claimsubmission s ON s.id = c.submission_id
                CROSS JOIN generate_series(0, 1) w
                CROSS JOIN LATERAL (SELECT (c.id * 2654435761) % 100 AS h) hh
                CROSS JOIN LATERAL (SELECT CASE
                    WHEN c.outcome = '70' THEN 'NOT_FINALISED'
                    WHEN h < 80 THEN (ARRAY['PAID','ALREADY_PAID'])[w + 1]
                    WHEN h < 95 THEN (ARRAY['NOT_FINALISED','PAID'])[w + 1]
                    ELSE 'INVALID' END AS st) ss
                WHERE (c.id - 1) / {lpm} + 1 + w <= {months}
                ORDER BY c.id, w""",
            """UPDATE pqs_claims_paymentbatch b SET line_count = x.n, paid_count = x.paid,
                       total_amount = x.total
                FROM (SELECT batch_id, count(*) n, count(*) FILTER (WHERE status = 'PAID') paid,
                             sum(amount) total
                      FROM pqs_claims_paymentline GROUP BY batch_id) x
                WHERE x.batch_id = b.id""",
        ],
    }


#: Version table → the register table it versions: one insert version per row, as the
#: commit's statement-level triggers write them (the learner page reads them).
VERSIONS = {
    "students_clientrecordversion": "students_clientrecord",
    "achievements_unitoutcomeversion": "achievements_unitoutcome",
    "achievements_awardversion": "achievements_award",
}

#: The tables each step fills (truncated when the step is redone).
STEP_TABLES = {
    "reference": ["achievements_trainingproduct", "rtos_rto", "achievements_submission"],
    "learners": ["students_learner"],
    "client_records": ["students_clientrecord"],
    "outcomes": ["achievements_unitoutcome"],
    "awards": ["achievements_award"],
    "claims": ["pqs_claims_claimsubmission", "pqs_claims_claimline"],
    "payments": ["pqs_claims_paymentbatch", "pqs_claims_paymentline"],
    "versions": list(VERSIONS),
}
#: Tables whose secondary indexes are dropped for the insert and rebuilt after it.
REBUILD = {
    *VERSIONS,
    "students_learner",
    "students_clientrecord",
    "achievements_unitoutcome",
    "achievements_award",
    "pqs_claims_claimline",
    "pqs_claims_paymentline",
}
#: Everything else the data set touches, truncated with a full reload.
OTHER_TABLES = [
    "pqs_claims_pqsapproval",
    "rtos_rtomembership",
    "pqs_claims_fundingprogram",
]


def _secondary_indexes(cur, table: str) -> list[tuple[str, str, str]]:
    """(constraint name or '', index name, definition) of every index but the primary key."""
    cur.execute(
        """SELECT coalesce(c.conname, ''), i.relname,
                  CASE WHEN c.conname IS NOT NULL THEN pg_get_constraintdef(c.oid)
                       ELSE pg_get_indexdef(i.oid) END
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.contype IN ('u', 'x')
           WHERE x.indrelid = %s::regclass AND NOT x.indisprimary""",
        [table],
    )
    return cur.fetchall()


def _drop_indexes(cur, table: str, log) -> None:
    cur.execute("SELECT indexes FROM scale_meta_indexes WHERE tbl = %s", [table])
    if cur.fetchone():
        return  # dropped earlier by an interrupted run: the saved definitions stand
    found = _secondary_indexes(cur, table)
    cur.execute(
        "INSERT INTO scale_meta_indexes (tbl, indexes) VALUES (%s, %s)", [table, json.dumps(found)]
    )
    for con, idx, _ in found:
        if con:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{con}"')
        else:
            cur.execute(f'DROP INDEX "{idx}"')
    log(f"  {table}: {len(found)} secondary indexes dropped for the load")


def _rebuild_indexes(cur, table: str, log) -> None:
    cur.execute("SELECT indexes FROM scale_meta_indexes WHERE tbl = %s", [table])
    row = cur.fetchone()
    if not row:
        return
    have = {name for _c, name, _d in _secondary_indexes(cur, table)}
    t = time.perf_counter()
    for con, idx, definition in json.loads(row[0]) if isinstance(row[0], str) else row[0]:
        if (con or idx) in have:
            continue
        if con:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{con}" {definition}')
        else:
            cur.execute(definition)
    cur.execute("DELETE FROM scale_meta_indexes WHERE tbl = %s", [table])
    log(f"  {table}: indexes rebuilt in {time.perf_counter() - t:.1f} s")


def load(conn, scale: float, log) -> dict:
    """Load (or keep) the data set at ``scale`` on the psycopg connection ``conn`` (of a
    migrated database). Returns the sizes."""
    s = sizes(scale)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE IF NOT EXISTS scale_meta (step text PRIMARY KEY, scale float8, "
        "seconds float8, done_at timestamptz DEFAULT now())"
    )
    cur.execute(
        "CREATE TABLE IF NOT EXISTS scale_meta_indexes (tbl text PRIMARY KEY, indexes jsonb)"
    )
    cur.execute("SELECT step, scale FROM scale_meta")
    done = dict(cur.fetchall())
    if any(v != scale for v in done.values()):
        log(f"data set of another scale ({set(done.values())}): reloading at {scale}")
        done = {}
        cur.execute("DELETE FROM scale_meta")
    cur.execute("SET session_replication_role = replica")
    cur.execute("SET maintenance_work_mem = '512MB'")
    cur.execute("SET work_mem = '256MB'")
    cur.execute("SET synchronous_commit = off")
    cur.execute(USI_FUNCTION)
    steps = list(STEP_TABLES)
    for i, step in enumerate(steps):
        if step in done:
            continue
        later = [t for st in steps[i:] for t in STEP_TABLES[st]]
        if i == 0:
            later += OTHER_TABLES
        cur.execute(f"TRUNCATE {', '.join(later)} RESTART IDENTITY CASCADE")
        cur.execute("DELETE FROM scale_meta WHERE step = ANY(%s)", [steps[i:]])
        t = time.perf_counter()
        for table in STEP_TABLES[step]:
            if table in REBUILD:
                _drop_indexes(cur, table, log)
        for sql in step_sql(s)[step] if step != "versions" else _version_sql(cur):
            cur.execute(sql)
        if step == "reference":
            _pqs(cur, s)
        for table in STEP_TABLES[step]:
            _rebuild_indexes(cur, table, log)
            cur.execute(f"VACUUM (ANALYZE) {table}")  # as autovacuum leaves a table
        secs = time.perf_counter() - t
        cur.execute(
            "INSERT INTO scale_meta (step, scale, seconds) VALUES (%s, %s, %s)", [step, scale, secs]
        )
        log(f"loaded {step} in {secs:.1f} s")
    cur.execute("SET session_replication_role = origin")
    for seq_table in ("achievements_unitoutcome", "achievements_award", "students_clientrecord",
                      "students_learner", "rtos_rto", "achievements_submission",
                      "achievements_trainingproduct", "pqs_claims_paymentbatch"):  # fmt: skip
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{seq_table}', 'id'), "
            f"(SELECT coalesce(max(id), 0) + 1 FROM {seq_table}))"
        )
    return s


def _version_sql(cur) -> list[str]:
    out = []
    for version, table in VERSIONS.items():
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND column_name NOT LIKE 'pgh%%' INTERSECT SELECT column_name "
            "FROM information_schema.columns WHERE table_name = %s",
            [version, table],
        )
        cols = ", ".join(sorted(c for (c,) in cur.fetchall()))
        out.append(
            f"INSERT INTO {version} (pgh_created_at, pgh_label, pgh_obj_id, {cols}) "
            f"SELECT created_at, 'insert', id, {cols} FROM {table} ORDER BY id"
        )
    return out


def _pqs(cur, s: dict) -> None:
    """The User Choice program and a PQS approval for each of the first RTOs."""
    cur.execute(
        """INSERT INTO pqs_claims_fundingprogram (code, name, starts, ends,
               state_fund_source_codes, outcome_factors, max_report_lag_days, loading_basis,
               ct_counts_to_max, ppg_uses_ppg_price, kpi_timeliness_min,
               kpi_lodged_months_min, kpi_validity_min, kpi_completion_min, updated_at)
           VALUES ('UC2528', 'User Choice 2025-28', '2024-07-01', '2028-06-30',
                   ARRAY['UC1','UC2'], '{"20": "1", "51": "1", "60": "0", "70": "HELD"}',
                   90, 'MAX', true, true, 95, 100, 90, 50, now())
           RETURNING id"""
    )
    prog = cur.fetchone()[0]
    cur.execute(
        f"""INSERT INTO pqs_claims_pqsapproval (public_id, rto_id, supplier_number, program_id,
                valid_from, qualification_codes, bsb, account_number, account_name,
                updated_at)
            SELECT md5('pqs' || g), g, 'PQS' || (30000 + g), {prog}, '2024-07-01',
                   ARRAY['UCQ001'], '064-000', (10000000 + g)::text, 'Scale ' || g, now()
            FROM generate_series(1, {s["pqss"]}) g"""
    )
