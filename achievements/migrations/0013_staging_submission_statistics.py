"""Extended statistics on the staging tables: a staged row's RTO is its submission's.

Every statement over staged rows filters on ``submission_id = … AND rto_id = …`` (the
tenant column is always in the predicate). Without these statistics the planner treats
the two conditions as independent and multiplies their selectivities: once the tables
hold a few hundred submissions (one RTO each), a 2,500-line submission is estimated at a
handful of rows (1/400 × 1/400 of a million), and the claim's departmental statement
(``pqs_claims.sql.claim_sql``) is planned as nested loops over a materialised CTE,
quadratic in the lines (the README's claim benchmark says what it cost). A
functional-dependency statistic tells the planner that ``rto_id``
follows from ``submission_id`` (PostgreSQL docs, "Extended Statistics"), and
``ingest.analyse_staging`` rebuilds it with the columns it analyses.
"""

from django.db import migrations

TABLES = ("achievements_stagedoutcome", "achievements_stagedclient", "achievements_stagedaward")

SQL = "\n".join(
    f"CREATE STATISTICS IF NOT EXISTS {t}_submission_rto (dependencies)"
    f" ON submission_id, rto_id FROM {t};"
    for t in TABLES
)
REVERSE = "\n".join(f"DROP STATISTICS IF EXISTS {t}_submission_rto;" for t in TABLES)


class Migration(migrations.Migration):
    dependencies = [("achievements", "0012_scale_register_page_indexes")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
