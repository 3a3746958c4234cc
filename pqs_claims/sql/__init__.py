"""The payment SQL, one folder of named statements.

``rules_sql`` — the §2 codes and §3 amount as SQL fragments, shared by the claim validation
and lodgement (``claim_sql``) and the monthly batch (``batch_sql``); ``max_measure`` — the
definition of the ``pqs_max_measure`` window aggregate (§5 rules 5–6) the batch statement
calls. The aggregate is created by migration 0009, which keeps its own frozen copy
(migrations are history); ``tests/pqs_claims/test_sql_folder.py`` checks that the database's
definition matches the one here, so the two cannot drift.
"""
