"""PQS applications, partial approval, rejection, variations and the letter (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from core.errors import ApplicationError
from core.models import AuditEvent
from pqs_claims.models import FundingProgram, PqsApplication, PqsApproval, RtoScope
from pqs_claims.pqs_applications import (
    pqs_application_decide,
    pqs_apply,
    pqs_variation_apply,
    scope_codes,
)
from reference.importer import import_reference
from rtos.models import Role
from tests.factories import make_member, make_rto
from tests.pqs_claims.conftest import DEMO

ACCOUNT = {"bsb": "064-000", "account_number": "1234", "account_name": "NEW RTO"}


@pytest.fixture
def newcomer(pqs):
    """An RTO with a scope of registration and no PQS approval yet."""
    with scopes_disabled():
        assert import_reference("bsb", DEMO / "bsb.csv").applied
        assert import_reference("rto-scope", DEMO / "rto-scope.csv").applied
    rto = make_rto(code="90077")
    for code in ("CPC30220", "UEE30820", "AUR30620"):
        RtoScope.objects.create(rto_code=rto.code, qualification_code=code, valid_from="2020-01-01")
    RtoScope.objects.create(
        rto_code=rto.code, qualification_code="BSB30120", valid_from="2019-01-01",
        valid_to="2023-12-31",
    )  # fmt: skip
    admin = make_member(rto, Role.ADMIN).user
    program = FundingProgram.objects.filter(code="UC2528").first()
    return rto, admin, program


def _apply(newcomer, codes=("CPC30220", "UEE30820")):
    rto, admin, program = newcomer
    return pqs_apply(actor=admin, rto=rto, program=program, codes=list(codes), **ACCOUNT)


def _approve(pqs, app, codes, reason=""):
    return pqs_application_decide(
        actor=pqs.approver, application=app, approve=True, approved_codes=codes,
        supplier_number="PQS0090077", valid_from=dt.date(2026, 7, 1),
        valid_to=dt.date(2029, 6, 30), reason=reason,
    )  # fmt: skip


def test_scope_sample_loads_and_expired_scope_is_not_current(newcomer):
    rto, _admin, _program = newcomer
    assert scope_codes(rto) == ["AUR30620", "CPC30220", "UEE30820"]
    assert RtoScope.objects.filter(rto_code="90001").count() == 5


def test_only_qualifications_on_scope_can_be_nominated(newcomer):
    with pytest.raises(ApplicationError, match=r"Not on 90077's scope.*BSB30120, SIT30821"):
        _apply(newcomer, ("CPC30220", "BSB30120", "SIT30821"))
    with pytest.raises(ApplicationError, match="not in the BSB directory"):
        rto, admin, program = newcomer
        pqs_apply(actor=admin, rto=rto, program=program, codes=["CPC30220"],
                  bsb="999-999", account_number="1", account_name="X")  # fmt: skip
    assert _apply(newcomer).status == "pending"


def test_a_current_approval_is_varied_not_applied_for_again(pqs, newcomer):
    _rto, _admin, program = newcomer
    with pytest.raises(ApplicationError, match="apply for a variation"):
        pqs_apply(actor=pqs.staff1, rto=pqs.rto1, program=program, codes=["CPC30220"],
                  **ACCOUNT)  # fmt: skip


def test_approval_creates_the_pqs_approval_and_its_letter(pqs, newcomer):
    rto, admin, _program = newcomer
    app = _approve(pqs, _apply(newcomer), ["CPC30220", "UEE30820"])
    assert app.status == "approved"
    with scopes_disabled():
        approval = PqsApproval.objects.get(rto=rto)
    assert approval.supplier_number == "PQS0090077" and approval.valid_to == dt.date(2029, 6, 30)
    assert approval.qualification_codes == ["CPC30220", "UEE30820"]
    assert (approval.bsb, approval.account_number) == ("064-000", "1234")
    assert AuditEvent.objects.filter(action="pqs_application.approved", rto=rto).exists()
    staff = Client()
    staff.force_login(admin)
    url = reverse("claims:pqs_letter", args=[rto.code, approval.public_id])
    pdf = staff.get(url)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = Client()
    other.force_login(pqs.staff1)
    assert other.get(url).status_code == 404


def test_partial_approval_needs_a_reason_and_approves_the_subset(pqs, newcomer):
    app = _apply(newcomer)
    with pytest.raises(ApplicationError, match="left out"):
        _approve(pqs, app, ["CPC30220"])
    with pytest.raises(ApplicationError, match="Not nominated"):
        _approve(pqs, app, ["CPC30220", "AUR30620"], reason="x")
    app = _approve(pqs, app, ["CPC30220"], reason="UEE30820: no workplace partner yet")
    assert app.status == "partly" and app.approval.qualification_codes == ["CPC30220"]


def test_rejection_needs_a_reason(pqs, newcomer):
    app = _apply(newcomer)
    with pytest.raises(ApplicationError, match="reason"):
        pqs_application_decide(actor=pqs.approver, application=app, approve=False)
    app = pqs_application_decide(
        actor=pqs.approver, application=app, approve=False, reason="Not enough evidence"
    )
    assert app.status == "rejected" and app.approval is None
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        PqsApplication.objects.filter(pk=app.pk).update(reason="")


def test_only_approvers_decide(pqs, newcomer):
    with pytest.raises(ApplicationError, match="approver"):
        pqs_application_decide(actor=pqs.officer, application=_apply(newcomer), approve=False,
                               reason="x")  # fmt: skip


def test_variation_adds_and_removes_and_keeps_history(pqs, newcomer):
    _rto, admin, _program = newcomer
    approval = _approve(pqs, _apply(newcomer), ["CPC30220", "UEE30820"]).approval
    with pytest.raises(ApplicationError, match="Not on the delivery schedule"):
        pqs_variation_apply(actor=admin, approval=approval, add=[], remove=["AUR30620"])
    with pytest.raises(ApplicationError, match="scope"):
        pqs_variation_apply(actor=admin, approval=approval, add=["SIT30821"], remove=[])
    variation = pqs_variation_apply(
        actor=admin, approval=approval, add=["AUR30620"], remove=["UEE30820"]
    )
    variation = pqs_application_decide(
        actor=pqs.approver2, application=variation, approve=True, approved_codes=["AUR30620"]
    )
    approval.refresh_from_db()
    assert approval.qualification_codes == ["AUR30620", "CPC30220"]
    assert variation.schedule_before == ["CPC30220", "UEE30820"]
    assert variation.schedule_after == ["AUR30620", "CPC30220"]
    with scopes_disabled():
        history = list(
            approval.applications.order_by("decided_at").values_list("status", flat=True)
        )
    assert history == ["approved", "approved"]


def test_pages_apply_and_decide(pqs, newcomer):
    rto, admin, program = newcomer
    staff = Client()
    staff.force_login(admin)
    url = reverse("claims:pqs_apply", args=[rto.code])
    page = staff.get(url)
    assert page.status_code == 200 and "UEE30820" in page.content.decode()
    assert "BSB30120" not in page.content.decode()  # off scope: not offered
    resp = staff.post(url, {"program": program.pk, "codes": ["CPC30220"], **ACCOUNT})
    assert resp.status_code == 302
    with scopes_disabled():
        app = PqsApplication.objects.get(rto=rto)
    approver = Client()
    approver.force_login(pqs.approver)
    resp = approver.post(
        reverse("payments:pqs_application", args=[app.public_id]),
        {"decision": "approve", "approved_codes": ["CPC30220"], "supplier_number": "PQS77",
         "valid_from": timezone.localdate().strftime("%d/%m/%Y")},
    )  # fmt: skip
    assert resp.status_code == 302
    app.refresh_from_db()
    assert app.status == "approved" and app.approval.supplier_number == "PQS77"


def test_an_rto_already_paid_cannot_name_a_new_account_in_an_application(pqs, newcomer):
    """Payment redirection (issue 14): the batch pays an RTO's latest approval, so a new
    approval must not bring an unverified account; a first approval brings its own."""
    rto, admin, program = newcomer
    _approve(pqs, _apply(newcomer), ["CPC30220", "UEE30820"])  # its first: 064-000 1234
    with scopes_disabled():
        PqsApproval.objects.filter(rto=rto).update(valid_to=dt.date(2026, 1, 1))  # expired
    other = {**ACCOUNT, "bsb": "084-004", "account_number": "99887766"}
    with pytest.raises(ApplicationError, match="already paid into another account"):
        pqs_apply(actor=admin, rto=rto, program=program, codes=["CPC30220"], **other)
    app = pqs_apply(actor=admin, rto=rto, program=program, codes=["CPC30220"], **ACCOUNT)
    # refused at the decision too (checked as at the decision)
    with scopes_disabled():
        PqsApplication.objects.filter(pk=app.pk).update(account_number="99887766")
    with pytest.raises(ApplicationError, match="already paid into another account"):
        _approve(pqs, app, ["CPC30220"])
