"""Issue 14 acceptance in Chromium: an RTO administrator applies for PQS status, a
department approver approves it, and the RTO downloads its letter of authority."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled

from pqs_claims.models import FundingProgram, PqsApproval, RtoScope
from reference.importer import import_reference
from rtos.models import Role
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import make_member, make_rto
from tests.pqs_claims.conftest import DEMO, make_pqs


def sign_out(page):
    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.django_db(transaction=True)
def test_apply_for_pqs_approve_letter(page):
    pqs = make_pqs()
    with scopes_disabled():
        import_reference("bsb", DEMO / "bsb.csv")
    rto = make_rto(code="90077")
    for code in ("CPC30220", "UEE30820"):
        RtoScope.objects.create(rto_code=rto.code, qualification_code=code, valid_from="2020-01-01")
    admin = make_member(rto, Role.ADMIN).user
    colleague = make_member(rto, Role.VIEWER).user

    sign_in(page, admin)
    page.wait_for_url(re.compile(rf"/rto/{rto.code}/$"))
    page.get_by_role("link", name="Claims", exact=True).click()
    page.get_by_role("link", name="Apply for PQS status").click()
    program = FundingProgram.objects.filter(code="UC2528").first()
    page.get_by_label("Funding program").select_option(str(program.pk))
    page.get_by_label("CPC30220").check()
    page.get_by_label("UEE30820").check()
    page.get_by_label("BSB").fill("064-000")
    page.get_by_label("Account number").fill("11223344")
    page.get_by_label("Account name").fill("New Trade College")
    page.get_by_role("button", name="Send the application").click()
    page.get_by_text("Application sent to the department.").wait_for()
    assert_accessible(page)
    sign_out(page)

    sign_in(page, pqs.approver)
    page.wait_for_url(re.compile(r"/department/"))
    page.get_by_role("link", name="PQS applications").click()
    page.get_by_role("link", name=re.compile(rto.code)).click()
    assert_accessible(page)
    page.get_by_label("Supplier number").fill("PQS0090077")
    page.get_by_label("Period from").fill("01/07/2026")
    page.get_by_label("Period to").fill("30/06/2029")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_text("Decision recorded.").wait_for()
    sign_out(page)

    with scopes_disabled():
        approval = PqsApproval.objects.get(rto=rto)
    assert approval.qualification_codes == ["CPC30220", "UEE30820"]
    # any of the RTO's staff downloads the letter (a colleague: the administrator's TOTP
    # code of a minute ago cannot be used twice)
    sign_in(page, colleague)
    page.wait_for_url(re.compile(rf"/rto/{rto.code}/$"))
    page.get_by_role("link", name="Claims", exact=True).click()
    href = page.get_by_role("link", name=re.compile("Letter of authority")).get_attribute("href")
    resp = page.context.request.get(href)
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    assert resp.body().startswith(b"%PDF")
