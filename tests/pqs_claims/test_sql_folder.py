"""The payment SQL folder (pqs_claims/sql) and the database agree: the ``pqs_max_measure``
aggregate the migrations created is the one defined in ``pqs_claims/sql/max_measure.py``."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from pqs_claims.sql import max_measure

pytestmark = pytest.mark.django_db


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _folder_step() -> tuple[str, str]:
    """(argument list, plpgsql body) of pqs_max_measure_step as written in the folder."""
    m = re.search(
        r"FUNCTION pqs_max_measure_step\((.*?)\)\s*RETURNS.*?AS \$\$(.*?)\$\$",
        max_measure.MAX_MEASURE,
        re.S,
    )
    return m.group(1), m.group(2)


def _db_step() -> tuple[str, str, str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_get_function_arguments(p.oid), p.prosrc, pg_get_functiondef(p.oid)"
            " FROM pg_proc p WHERE p.proname = 'pqs_max_measure_step'"
        )
        return cur.fetchone()


def test_the_aggregate_step_in_the_database_is_the_folders():
    args, body = _folder_step()
    db_args, db_body, db_def = _db_step()
    assert db_body == body
    assert _norm(db_args) == _norm(args)
    assert "LANGUAGE plpgsql" in db_def and "IMMUTABLE" in db_def and "RETURNS text[]" in db_def


def test_the_aggregate_itself_is_the_folders():
    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.aggtransfn::regproc::text, format_type(a.aggtranstype, NULL),"
            " pg_get_function_arguments(a.aggfnoid)"
            " FROM pg_aggregate a WHERE a.aggfnoid::regproc::text = 'pqs_max_measure'"
        )
        transfn, stype, args = cur.fetchone()
    m = re.search(
        r"AGGREGATE pqs_max_measure\((.*?)\)\s*\(SFUNC = (\w+), STYPE = ([\w\[\]]+)\)",
        max_measure.MAX_MEASURE,
        re.S,
    )
    assert (transfn, stype) == (m.group(2), m.group(3))
    assert _norm(args) == _norm(m.group(1))


def test_a_changed_definition_would_be_caught():
    """The check bites: a one-character change of the folder's body differs."""
    _args, body = _folder_step()
    assert body.replace("c + measure > max_payable", "c + measure >= max_payable") != _db_step()[1]


def test_the_drop_statement_names_the_same_signature():
    args, _ = _folder_step()
    types = [a.split()[-1] for a in args.split(",")]
    assert _norm(", ".join(types)) in _norm(max_measure.MAX_MEASURE_REVERSE)


def test_the_batch_writes_every_payment_line_column_the_model_has():
    """The batch INSERT's column list is the model's (``sql.columns``), each with its value."""
    from pqs_claims.sql import batch_sql
    from pqs_claims.sql.columns import payment_line_columns

    cols = payment_line_columns()
    assert "id" not in cols and {"amount", "status", "reasons", "voided"} <= set(cols)
    assert list(batch_sql._LINE_VALUES) == cols
    assert f"INSERT INTO pqs_claims_paymentline ({', '.join(cols)})" in batch_sql.CHUNK_SQL
    assert f"INSERT INTO pqs_claims_paymentline ({', '.join(cols)})" in batch_sql.FIRST_CHUNK_SQL
