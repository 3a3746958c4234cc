"""Persona × URL cases for verification, documents, the learner portal (issue 5).

Public pages answer everyone alike. The credential page logs its lookup to a Redis
buffer (no database write). The .jwt (publishes the signing key on first use) and share
links (each view is a row) are exercised with unknown ids here (404 for all, nothing
written); their real behaviour is covered in tests/verification/.
"""

from __future__ import annotations

from tests.isolation.cases import PERSONAS, PUBLIC, Case, rto_page

ALL_302 = {p: 302 for p in PERSONAS}
ALL_404 = {p: 404 for p in PERSONAS}
ALL_405 = {p: 405 for p in PERSONAS}
ALL_400 = {p: 400 for p in PERSONAS}


def _award(w):
    from tests.verification.factories import make_award

    award = w.extra.get("v_award")
    if award is None:
        from verification.status_lists import status_entry_get

        award = make_award(w.rto_a)
        status_entry_get(award)  # its status list bit, as the beat sweep allocates it
        w.extra["v_award"] = award
    return award


def _document(w):
    from django.core.files.base import ContentFile
    from django_scopes import scopes_disabled

    from verification.models import GeneratedDocument

    doc = w.extra.get("v_doc")
    if doc is None:
        award = _award(w)
        with scopes_disabled():
            doc = GeneratedDocument(rto=w.rto_a, award=award, kind="testamur", status="ready")
            doc.file.save("documents/test.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
            doc.save()
        w.extra["v_doc"] = doc
    return doc


def _rto_award(w):
    return {"rto_code": w.rto_a.code, "public_id": _award(w).public_id}


def _rto_doc(w):
    return {"rto_code": w.rto_a.code, "public_id": _document(w).public_id}


UNKNOWN = "0" * 32

dept = {"anonymous": 302, "staff_a": 404, "staff_b": 404, "officer": 200, "officer_grant": 200}
dept_approver = {
    "anonymous": 302,
    "staff_a": 404,
    "staff_b": 404,
    "officer": 403,
    "officer_grant": 403,
}

CASES = [
    # public
    Case("verify", get=PUBLIC),
    Case("verify_help", get=PUBLIC),
    Case("api_verify", get=ALL_400),
    Case("jwks", get=PUBLIC),
    Case("credential_detail", kwargs=lambda w: {"public_id": _award(w).public_id}, get=PUBLIC),
    Case("credential_jwt", kwargs=lambda w: {"public_id": UNKNOWN}, get=ALL_404),
    # issue 15: the wallet JSON, the issuer's DID document, the RTO's status lists
    Case("credential_json", kwargs=lambda w: {"public_id": _award(w).public_id}, get=PUBLIC),
    Case("did_json", get=PUBLIC),
    Case(
        "status_list",
        kwargs=lambda w: {"rto_code": _award(w).rto.code, "name": "revocation"},
        get=PUBLIC,
    ),
    Case("share_view", kwargs=lambda w: {"token": "no-such-token"}, get=ALL_404),
    Case("transcript_check", kwargs=lambda w: {"code": "TR-NO-SUCH-CODE"}, get=ALL_404),
    # learner portal: staff accounts are not learners; everyone is sent to sign in
    Case(
        "learner:start",
        get=PUBLIC,
        post=ALL_302,
        data=lambda w: {"usi": "ZZZZZZZZZZ", "date_of_birth": "01/01/1990", "family_name": "X"},
    ),
    Case("learner:code", get=ALL_302, post=ALL_302, data=lambda w: {"code": "123456"}),
    Case("learner:sign_out", get=ALL_405, post=ALL_302),
    Case("learner:records", get=ALL_302),
    Case("learner:transcript_create", get=ALL_405, post=ALL_302),
    Case("learner:transcript_credential", get=ALL_302),
    Case(
        "learner:transcript_download",
        kwargs=lambda w: {"public_id": UNKNOWN},
        get=ALL_302,
    ),
    Case(
        "learner:document_download",
        kwargs=lambda w: {"public_id": _document(w).public_id},
        get=ALL_302,
    ),
    Case("learner:share", get=ALL_302, post=ALL_302, data=lambda w: {"days": "30"}),
    Case(
        "learner:share_revoke",
        kwargs=lambda w: {"public_id": UNKNOWN},
        get=ALL_405,
        post=ALL_302,
    ),
    Case("learner:activity", get=ALL_302),
    # RTO workspace
    Case("rto_documents:award_list", kwargs=lambda w: {"rto_code": w.rto_a.code}, get=rto_page()),
    Case(
        "rto_documents:documents_issue_bulk",
        kwargs=lambda w: {"rto_code": w.rto_a.code},
        get=rto_page(ok=405, grant=405),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {"awards": [_award(w).public_id], "choice": "record_of_results"},
    ),
    Case("rto_documents:award_detail", kwargs=_rto_award, get=rto_page()),
    Case(
        "rto_documents:document_issue",
        kwargs=_rto_award,
        get=rto_page(ok=405, grant=405),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {"kind": "testamur"},
    ),
    Case(
        "rto_documents:award_revoke",
        kwargs=_rto_award,
        get=rto_page(grant=403),
        post=rto_page(ok=302, grant=403),
        data=lambda w: {"category": "issued_in_error", "reason": "Test"},
    ),
    Case("rto_documents:document_detail", kwargs=_rto_doc, get=rto_page()),
    Case("rto_documents:document_download", kwargs=_rto_doc, get=rto_page()),
    # department
    Case("verification_dept:activity", get=dept),
    Case(
        "verification_dept:award_revoke",
        kwargs=lambda w: {"public_id": _award(w).public_id},
        get=dept_approver,
        post=dept_approver,
        data=lambda w: {"category": "fraud", "reason": "Test"},
    ),
]
