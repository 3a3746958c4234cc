"""Register reads. Every lookup by a user-supplied id goes through a *_get_for_rto."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.db.models.functions import Collate, Upper
from django.http import Http404
from django_scopes import scopes_disabled
from pghistory.models import Context

from accounts.models import User
from students.models import ClientRecord, Learner

from .models import Award, Submission, SubmissionIssue, TrainingProduct, UnitOutcome


def submission_list(*, rto):
    return Submission.objects.filter(rto=rto).select_related("uploaded_by").order_by("-id")


def submission_get_for_rto(*, rto, public_id: str) -> Submission:
    sub = Submission.objects.filter(rto=rto, public_id=public_id).first()
    if sub is None:
        raise Http404
    return sub


def submission_rule_counts(sub: Submission) -> list[dict]:
    return list(
        SubmissionIssue.objects.filter(submission=sub)
        .values("rule", "severity", "hint")
        .annotate(n=Count("id"))
        .order_by("severity", "-n", "rule")
    )


def submission_issues(sub: Submission, *, rule: str = "", severity: str = "", client: str = ""):
    """A submission's issues for its report, grouped by record (the client they belong
    to; whole-file issues first), then file, line and field. Filters: a rule id, a
    severity, a client identifier (exact, as in the file)."""
    qs = SubmissionIssue.objects.filter(submission=sub)
    if rule:
        qs = qs.filter(rule=rule)
    if severity:
        qs = qs.filter(severity=severity)
    if client:
        qs = qs.filter(record_key=client.strip())
    return qs.order_by("record_key", "file", "line", "field", "id")


# ---------------------------------------------------------------------------- learners


def learner_list(
    *,
    rto,
    q: str = "",
    client_id: str = "",
    usi: str = "",
    unit: str = "",
    qualification: str = "",
    date_from=None,
    date_to=None,
):
    """Client records of one RTO matching the filters (each filter one indexed predicate).

    Unit / qualification / activity dates filter through EXISTS on the RTO's outcomes
    (and awards for a qualification), so the page stays one query however many records.
    Codes are compared exactly, upper-cased: the register holds training.gov.au codes
    as published (upper case; REG-01/REG-03 refuse any other), and an exact comparison
    can use the ``(rto, subject_identifier)`` / ``(rto, program_identifier)`` indexes
    where ``iexact`` (``UPPER(col) = UPPER(value)``) cannot.
    """

    qs = ClientRecord.objects.filter(rto=rto)
    if q:
        for word in q.split()[:4]:
            qs = qs.filter(Q(family_name__icontains=word) | Q(given_names__icontains=word))
    if client_id:
        qs = qs.filter(client_identifier__iexact=client_id.strip())
    if usi:
        qs = qs.filter(unique_student_identifier__iexact=usi.strip())
    outcomes = UnitOutcome.objects.filter(rto=rto, client_record=OuterRef("pk"))
    if unit:
        outcomes = outcomes.filter(subject_identifier=unit.strip().upper())
    if date_from:
        outcomes = outcomes.filter(activity_end_date__gte=date_from)
    if date_to:
        outcomes = outcomes.filter(activity_start_date__lte=date_to)
    if qualification:
        code = qualification.strip().upper()
        qs = qs.filter(
            Exists(outcomes.filter(program_identifier=code))
            | Exists(
                Award.objects.filter(rto=rto, client_record=OuterRef("pk"), program_identifier=code)
            )
        )
    elif unit or date_from or date_to:
        qs = qs.filter(Exists(outcomes))
    return qs.order_by("family_name", "given_names", "client_identifier", "id")


def client_records_page(qs, number, per_page: int = 50):
    """A page of ``learner_list``: the page's ids in the list's order first — for a name
    search an index-only walk of ``client_record_rto_names_ids`` however many of the RTO's
    records it passes — then those records by primary key (a plain walk would read every
    passed record from the table)."""
    page = Paginator(qs.values_list("pk", flat=True), per_page).get_page(number)
    by_pk = ClientRecord.objects.in_bulk(list(page.object_list))
    page.object_list = [by_pk[pk] for pk in page.object_list if pk in by_pk]
    return page


def outcome_counts(*, rto, client_record_ids) -> dict[int, int]:

    return dict(
        UnitOutcome.objects.filter(rto=rto, client_record_id__in=list(client_record_ids))
        .values_list("client_record_id")
        .annotate(n=Count("id"))
        .values_list("client_record_id", "n")
    )


def client_record_get_for_rto(*, rto, public_id: str):

    cr = (
        ClientRecord.objects.filter(rto=rto, public_id=public_id)
        .select_related("learner", "source_submission", "updated_by")
        .first()
    )
    if cr is None:
        raise Http404
    return cr


def outcome_get_for_rto(*, rto, public_id: str):

    o = (
        UnitOutcome.objects.filter(rto=rto, public_id=public_id)
        .select_related("client_record", "rto")
        .first()
    )
    if o is None:
        raise Http404
    return o


def learner_outcomes(client_record, limit: int = 500):

    return list(
        UnitOutcome.objects.filter(rto_id=client_record.rto_id, client_record=client_record)
        .select_related("source_submission", "updated_by")
        .order_by("-activity_end_date", "subject_identifier", "id")[:limit]
    )


def learner_awards(client_record):

    return list(
        Award.objects.filter(rto_id=client_record.rto_id, client_record=client_record).order_by(
            "-date_program_completed", "id"
        )[:200]
    )


def product_titles(codes) -> dict[str, str]:

    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(TrainingProduct.objects.filter(code__in=codes).values_list("code", "title"))


def products_by_title(text: str, *, kind: str = "", limit: int = 8) -> list:
    """Training products whose title holds every word typed (at least 3 letters in all),
    current ones first — the hand-entry look-up by title. One query."""

    words = [w for w in (text or "").split() if w][:4]
    if sum(len(w) for w in words) < 3:
        return []
    qs = TrainingProduct.objects.all()
    if kind:
        qs = qs.filter(type=kind)
    for w in words:
        qs = qs.filter(title__icontains=w)
    return list(qs.order_by("status", "code").only("code", "title", "status")[:limit])


HISTORY_SKIP = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context",
                "pgh_obj_id", "pgh_context_id", "updated_at", "created_at", "id"}  # fmt: skip


# Who and which submission are shown in their own columns of the history table.
HISTORY_SKIP |= {"updated_by_id", "source_submission_id", "change_reason"}
# Internal ids mean nothing to a reader: say what changed instead of "12 → 34".
HISTORY_ID_FIELDS = {
    "learner_id": ("linked person", "earlier person record", "another person record"),
    "client_record_id": ("client record", "earlier client record", "another client record"),
}


def _changes(prev: dict | None, cur: dict) -> list[tuple[str, str, str]]:
    if prev is None:
        return []
    out = []
    for k, v in cur.items():
        if k in HISTORY_SKIP or prev.get(k) == v:
            continue
        if k in HISTORY_ID_FIELDS:
            label, old, new = HISTORY_ID_FIELDS[k]
            out.append((label, old if prev.get(k) is not None else "", new))
            continue
        old_value = prev.get(k)
        out.append((k, "" if old_value is None else str(old_value), "" if v is None else str(v)))
    return out


def record_history(*, event_model, obj_ids, label_for, limit: int = 100) -> list[dict]:
    """Versions of the given rows, newest first: when, who, why, source, old → new.

    Reads the pghistory events of those rows (one query, bounded), resolves users and
    submissions in one query each, and diffs each version against the previous one of
    the same row.
    """

    obj_ids = list(obj_ids)
    if not obj_ids:
        return []
    newest = event_model.objects.filter(pgh_obj_id__in=obj_ids).order_by("-pgh_id")
    events = list(newest.values()[: limit * 2])
    events.reverse()
    ctx_ids = {e["pgh_context_id"] for e in events if e["pgh_context_id"]}

    contexts = {c.id: c.metadata for c in Context.objects.filter(id__in=ctx_ids)}
    rows = []
    prev: dict[int, dict] = {}
    for e in events:
        meta = contexts.get(e["pgh_context_id"]) or {}
        rows.append(
            {
                "when": e["pgh_created_at"],
                "label": e["pgh_label"],
                "what": label_for(e),
                "user_id": meta.get("user"),
                "reason": meta.get("reason") or e.get("change_reason", ""),
                "submission": meta.get("submission") or "",
                "source": meta.get("source") or ("submission" if meta.get("submission") else ""),
                "changes": _changes(prev.get(e["pgh_obj_id"]), e),
            }
        )
        prev[e["pgh_obj_id"]] = e
    rows.sort(key=lambda r: r["when"], reverse=True)
    rows = rows[:limit]
    users = {
        u.pk: u for u in User.objects.filter(pk__in={r["user_id"] for r in rows if r["user_id"]})
    }
    subs = {
        s.public_id: s
        for s in Submission.objects.filter(
            public_id__in={r["submission"] for r in rows if r["submission"]}
        ).only("public_id", "file_name", "rto_id")
    }
    for r in rows:
        r["user"] = users.get(r["user_id"])
        r["submission_obj"] = subs.get(r["submission"])
    return rows


# ---------------------------------------------------------------------------- dashboard


def dashboard_register(*, rto, year: int) -> dict:
    """Register counts for the RTO dashboard: a fixed number of queries."""

    S = Submission.Status
    attention = list(
        Submission.objects.filter(rto=rto, status__in=[S.VALIDATED, S.REJECTED, S.FAILED]).order_by(
            "-created_at"
        )[:5]
    )
    recent_ids = list(
        Submission.objects.filter(rto=rto)
        .exclude(status__in=[S.RECEIVED, S.VALIDATING])
        .order_by("-created_at")
        .values_list("id", flat=True)[:5]
    )
    issues = (
        list(
            SubmissionIssue.objects.filter(rto=rto, submission_id__in=recent_ids)
            .values("rule", "severity")
            .annotate(n=Count("id"), msg=Min("message"))
            .order_by("severity", "-n", "rule")[:8]
        )
        if recent_ids
        else []
    )
    return {
        "learners": ClientRecord.objects.filter(rto=rto).count(),
        # the year in the WHERE clause: a range of the (rto, -activity_end_date) index,
        # not every outcome the RTO ever reported
        "outcomes_year": UnitOutcome.objects.filter(rto=rto, activity_end_date__year=year).count(),
        "awards": Award.objects.filter(rto=rto).count(),
        "year": year,
        "attention": attention,
        "issues_by_rule": issues,
    }


# ---------------------------------------------------------------------------- department


def register_search_across_rtos(
    *, q: str = "", usi: str = "", certificate: str = "", code: str = "", limit=50
):
    """Cross-RTO search for the department register page; ``code`` finds learners with an
    award of that qualification or an outcome in that unit (or under that qualification).

    Each word of ``q`` must begin the family name or the given names (case-blind): over
    the national register (millions of client records) a prefix is an index range, where
    a substring match would read every record (PostgreSQL's own btree cannot serve
    ``%word%``, and the trigram extension is not part of every server the portal runs
    on). One RTO's learner list (``learner_list``) still matches anywhere in the name: it
    reads one RTO's records.

    The page is the first ``limit`` in name order (family name, given names, upper-cased
    and compared byte by byte, then the RTO's code), read from the
    ``client_record_register_names`` index walk (``_register_page``), never by sorting
    every match: a common family name matches a quarter of a million records.

    Reads every RTO's client records on purpose (``scopes_disabled``): the caller has
    already recorded the officer's reason in the audit log.
    """

    if not (q or usi or certificate or code):
        return []
    with scopes_disabled():
        qs = ClientRecord.objects.annotate(
            family_key=Collate(Upper("family_name"), "C"),
            given_key=Collate(Upper("given_names"), "C"),
            rto_code=F("rto__code"),
        )
        words = [w.upper() for w in q.split()[:4]]
        for word in words:
            qs = qs.filter(Q(family_key__startswith=word) | Q(given_key__startswith=word))
        if usi:
            qs = qs.filter(unique_student_identifier__iexact=usi.strip())
        if certificate:
            ids = Award.objects.filter(certificate_number__iexact=certificate.strip()).values(
                "client_record_id"
            )
            qs = qs.filter(pk__in=ids)
        if code:
            qs = qs.filter(_has_code(code))
        if words:
            # a record matches when its family name begins with one of the words, or (no
            # word on the family name) its given names begin with every word: one ordered,
            # limited index range per case, merged
            branches = [qs.filter(family_key__startswith=w) for w in dict.fromkeys(words)]
            branches.append(qs.filter(given_key__startswith=max(words, key=len)))
        else:
            branches = [qs]
        return _register_page(branches, limit)


#: Page order of the register search (``client_record_register_names`` then the RTO).
REGISTER_ORDER = ("family_key", "given_key", "rto_code", "id")


#: Below this many rows with a code (awards and outcomes), the register search reads
#: their learners and sorts them; from it on, it walks the name index and probes each
#: record (a common code: a match every few hundred records).
CODE_WALK_FROM = 2000


def _has_code(code: str) -> Q:
    """A learner with an award of ``code``, or an outcome in it or under it.

    A rare code (under ``CODE_WALK_FROM`` rows, counted by index-only ranges that stop
    there): the records of its rows by id. A common one: EXISTS over the
    ``award_program_records`` / ``outcome_subject_records`` / ``outcome_program_records``
    indexes (each carries the client record, so no outcome is read), while the page
    walks the name index and stops at its last match — instead of reading and sorting
    every learner of a qualification."""
    sources = [
        (Award.objects.filter(program_identifier=code), "program_identifier"),
        (UnitOutcome.objects.filter(subject_identifier=code), "subject_identifier"),
        (UnitOutcome.objects.filter(program_identifier=code), "program_identifier"),
    ]
    rows = 0
    for src, key in sources:  # in the index's order: an index-only range that stops
        if rows < CODE_WALK_FROM:
            head = src.order_by(key).values("client_record_id")[: CODE_WALK_FROM - rows]
            rows += head.count()
    sources = [src for src, _key in sources]
    if rows < CODE_WALK_FROM:
        ids = {i for src in sources for i in src.values_list("client_record_id", flat=True)}
        return Q(pk__in=sorted(ids))
    q = Q()
    for src in sources:
        q |= Q(Exists(src.filter(client_record=OuterRef("pk"))))
    return q


def _register_page(branches, limit: int) -> list:
    """The first ``limit`` records of the union of ``branches`` in ``REGISTER_ORDER``:
    each branch's first ``limit`` ids from its own index walk, merged, then those
    records with their RTO and learner."""
    heads = [b.order_by(*REGISTER_ORDER).values_list(*REGISTER_ORDER)[:limit] for b in branches]
    merged = heads[0].union(*heads[1:]) if len(heads) > 1 else heads[0]
    if len(heads) > 1:
        merged = merged.order_by(*REGISTER_ORDER)[:limit]
    ids = [row[-1] for row in merged]
    by_pk = ClientRecord.objects.select_related("rto", "learner").in_bulk(ids)
    return [by_pk[pk] for pk in ids if pk in by_pk]


def learner_register_view(*, public_id: str) -> dict:
    """Everything the register holds about one learner, across RTOs (department, read only).

    ``scopes_disabled`` on purpose: department officers read across tenants after giving
    a recorded reason.
    """

    with scopes_disabled():
        learner = Learner.objects.filter(public_id=public_id).first()
        if learner is None:
            raise Http404
        records = list(learner.client_records.select_related("rto").order_by("rto__code"))
        outcomes = list(
            UnitOutcome.objects.filter(learner=learner)
            .select_related("rto")
            .order_by("-activity_end_date", "subject_identifier")[:500]
        )
        awards = list(
            Award.objects.filter(learner=learner)
            .select_related("rto")
            .order_by("-date_program_completed")[:200]
        )
    return {"learner": learner, "records": records, "outcomes": outcomes, "awards": awards}


def training_product_search(*, q: str = "", type: str = "", status: str = ""):

    qs = TrainingProduct.objects.all()
    if q:
        qs = qs.filter(Q(code__istartswith=q.strip()) | Q(title__icontains=q.strip()))
    if type:
        qs = qs.filter(type=type)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("code")


def department_submission_counts(*, since) -> dict[str, int]:
    """Register submissions of every RTO received since ``since``, by status (department
    overview; counts only, no RTO data)."""

    with scopes_disabled():
        return dict(
            Submission.objects.filter(kind=Submission.Kind.REGISTER, created_at__gte=since)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        )
