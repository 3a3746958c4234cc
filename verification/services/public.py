"""The public verification answer: a certificate number or a credential looked up, the
answer built from deferred-column queries, and every lookup logged."""

from __future__ import annotations

import hmac
import weakref
from dataclasses import dataclass, field

from django.db import connection
from django_scopes import scopes_disabled

from achievements.models import Award
from rtos.models import Rto
from students.models import ClientRecord

from ..lookup_log import append as lookup_log_append
from ..models import VerificationLookup
from ..statements import award_statement, credential_url, name_key, status_block
from ..status_lists import credential_status

# ------------------------------------------------------------------ public verification


@dataclass
class VerifyAnswer:
    """The public answer (interfaces.md §8) and, for logging, the award it concerns."""

    body: dict
    award: Award | None = field(default=None, repr=False)

    @property
    def result(self) -> str:
        return self.body["result"]


NO_MATCH = {"result": "no_match"}


def public_result(award: Award) -> tuple[str, dict]:
    """The award's public state and how it was checked.

    The signed Bitstring Status List is what any verifier reads, so the portal reads it
    too (``status_lists.credential_status``): ``valid`` only when the list was read and
    verified and the award's bits are clear. A list that is missing, fails its signature
    or is past its ``validUntil`` gives ``status_unknown``. The register stays the
    authority for a revocation or supersession it already holds (the list may lag it by a
    worker run), so those never show as ``status_unknown``.
    """
    outcome = credential_status(award)
    check = {"method": "BitstringStatusList", "state": outcome.state, "detail": outcome.reasons}
    if award.status != Award.Status.VALID:
        return award.status, check
    return outcome.state, check


def public_answer(award: Award) -> dict:
    """The contract's answer for a matched award (valid / revoked / superseded /
    status_unknown)."""
    statement = award_statement(award)
    result, check = public_result(award)
    body = {
        "result": result,
        "learner_name": statement["learner_name"],
        "award": statement["award"],
        "rto": {
            "code": award.rto.code,
            "name": award.rto.display_name,
            "status": award.rto.status,
        },
        "issued_on": statement["issued_on"],
        "credential": credential_url(award),
    }
    if award.rto.is_ceased and award.rto.ceased_on:
        body["rto"]["ceased_on"] = award.rto.ceased_on.isoformat()
    block = status_block(award)
    block.pop("result")
    body.update(block)
    body["status_check"] = check
    return body


# The columns a public answer reads (statements.award_statement / status_block /
# credential_url), per model; everything else stays deferred.
_AWARD_COLUMNS = (
    "id",
    "public_id",
    "status",
    "award_type",
    "program_identifier",
    "units",
    "issued_on",
    "date_program_completed",
    "certificate_number",
    "revoked_at",
    "revoked_reason_category",
    "created_at",
    "rto_id",
    "client_record_id",
    "superseded_by_id",
    "learner_id",
)
_RTO_COLUMNS = ("id", "code", "legal_name", "trading_name", "status", "ceased_on")
_RECORD_COLUMNS = ("id", "given_names", "family_name")
_REPLACEMENT_COLUMNS = ("id", "public_id", "issued_on", "created_at")


class _CandidateQuery:
    """The verification lookup as one parametrised SQL statement, built once from the
    models' metadata: the award by certificate number, its RTO and client record, and
    the replacement award's credential fields (superseded awards) in a LEFT JOIN.

    Public verification crosses RTOs by design (the certificate number + family name are
    the two factors), so there is no ``rto_id`` filter; the row carries ``rto_id``. Raw
    SQL because the public lookup runs on every request: the ORM would compile the same
    query each time.

    The statement is PREPAREd once per database connection (parameters are still bound
    by the driver): for a primary-key-sized lookup PostgreSQL spends longer planning a
    four-table join than running it, and a prepared statement reuses one generic plan
    (PostgreSQL docs, PREPARE, "plan_cache_mode"). Prepared
    statements live in the server session, so this assumes session-level connections
    (Django's own, as deployed; a transaction-mode pooler such as PgBouncer would need
    its prepared-statement support).
    """

    NAME = "cqr_verify_candidates"

    def __init__(self):
        parts = []
        self.models = []
        for alias, model, names in (
            ("a", Award, _AWARD_COLUMNS),
            ("r", Rto, _RTO_COLUMNS),
            ("c", ClientRecord, _RECORD_COLUMNS),
            ("s", Award, _REPLACEMENT_COLUMNS),
        ):
            # Model.from_db takes the values in the model's field order.
            wanted = {model._meta.get_field(n) for n in names}  # attnames resolve too
            fields = [f for f in model._meta.concrete_fields if f in wanted]
            parts += [f'{alias}."{f.column}"' for f in fields]
            converters = [
                (i, f.from_db_value) for i, f in enumerate(fields) if hasattr(f, "from_db_value")
            ]
            attnames = [f.attname for f in fields]
            self.models.append((model, attnames, attnames.index("id"), converters))
            if model is ClientRecord:
                self.family_name_at = len(parts) - len(fields) + attnames.index("family_name")

        def col(model, name):
            return f'"{model._meta.get_field(name).column}"'

        award, rto, record = Award._meta.db_table, Rto._meta.db_table, ClientRecord._meta.db_table
        number = col(Award, "certificate_number")
        self.sql = (
            f"SELECT {', '.join(parts)} "
            f'FROM "{award}" a '
            f'INNER JOIN "{rto}" r ON r."id" = a.{col(Award, "rto")} '
            f'INNER JOIN "{record}" c ON c."id" = a.{col(Award, "client_record")} '
            f'LEFT OUTER JOIN "{award}" s ON s."id" = a.{col(Award, "superseded_by")} '
            f"WHERE a.{number} IN ($1, $2) AND a.{number} <> '' LIMIT 10"
        )
        self.prepare_sql = f"PREPARE {self.NAME} (text, text) AS {self.sql}"
        self.execute_sql = f"EXECUTE {self.NAME} (%s, %s)"
        self.prepared_on: weakref.WeakSet = weakref.WeakSet()  # driver connections
        self.rto_field = Award._meta.get_field("rto")
        self.record_field = Award._meta.get_field("client_record")
        self.replacement_field = Award._meta.get_field("superseded_by")

    def rows(self, number: str) -> list[tuple]:
        """The candidate rows for a certificate number (as typed, or upper-cased)."""
        with connection.cursor() as cursor:
            driver_connection = connection.connection
            if driver_connection not in self.prepared_on:
                cursor.execute(self.prepare_sql)  # survives a rollback; once per connection
                self.prepared_on.add(driver_connection)
            cursor.execute(self.execute_sql, [number, number.upper()])
            return cursor.fetchall()

    def family_name(self, row: tuple) -> str:
        return row[self.family_name_at]

    def award(self, row: tuple) -> Award:
        """The award of one row, with its RTO, client record and replacement attached
        (only the columns above are loaded; the rest are deferred)."""
        db = connection.alias
        objs = []
        offset = 0
        for model, names, pk, converters in self.models:
            values = list(row[offset : offset + len(names)])
            offset += len(names)
            for i, convert in converters:
                values[i] = convert(values[i], None, connection)
            objs.append(None if values[pk] is None else model.from_db(db, names, values))
        award, rto, record, replacement = objs
        self.rto_field.set_cached_value(award, rto)
        self.record_field.set_cached_value(award, record)
        self.replacement_field.set_cached_value(award, replacement)
        return award


_candidate_query: _CandidateQuery | None = None


def _query() -> _CandidateQuery:
    global _candidate_query
    if _candidate_query is None:
        _candidate_query = _CandidateQuery()
    return _candidate_query


def _candidates(certificate_number: str) -> list[Award]:
    """Awards with this certificate number (usually one; unique per RTO), with exactly the
    columns a public answer needs: one indexed query (see _CandidateQuery)."""
    query = _query()
    return [query.award(row) for row in query.rows(certificate_number.strip()[:25])]


def verify_certificate(
    *, certificate_number: str, family_name: str, channel: str, client_hash: str
) -> VerifyAnswer:
    """Look up by certificate number + family name and log the lookup.

    A wrong number and a wrong name give the same ``no_match`` body, and both do the same
    work (one indexed SELECT, one append to the lookup log): the name is compared in
    Python, in constant time, against every candidate.
    """
    query = _query()
    wanted = name_key(family_name).encode()  # bytes: compare_digest refuses non-ASCII str
    match = None
    for row in query.rows((certificate_number or "").strip()[:25]):
        ok = hmac.compare_digest(name_key(query.family_name(row)).encode(), wanted)
        if ok and wanted and match is None:
            match = row
    answer = VerifyAnswer(body=dict(NO_MATCH))
    if match is not None:
        award = query.award(match)
        with scopes_disabled():
            answer = VerifyAnswer(body=public_answer(award), award=award)
    lookup_log(channel=channel, answer=answer, client_hash=client_hash)
    return answer


def verify_by_credential(*, award: Award, channel: str, client_hash: str) -> VerifyAnswer:
    with scopes_disabled():
        answer = VerifyAnswer(body=public_answer(award), award=award)
    lookup_log(channel=channel, answer=answer, client_hash=client_hash)
    return answer


def lookup_log(*, channel: str, answer: VerifyAnswer, client_hash: str) -> None:
    award = answer.award
    lookup_log_append(
        channel=channel,
        result=answer.result,
        award_id=award.pk if award else None,
        rto_id=award.rto_id if award else None,
        client_hash=client_hash,
    )


def rate_limited_log(*, channel: str, client_hash: str) -> None:
    lookup_log_append(
        channel=channel, result=VerificationLookup.Result.RATE_LIMITED, client_hash=client_hash
    )
