"""E-mails about claims and payments: a claim lodged; a batch approved (remittance attached)."""

from __future__ import annotations

from accounts.notifications import Mail, absolute_url, builder, wants
from pqs_claims.exports import remittance_pdf
from pqs_claims.models import ClaimSubmission, PaymentBatch
from pqs_claims.services import pqs_totals
from rtos.models import Role, RtoMembership


@builder("claim_lodged")
def claim_lodged_mails(event: str, claim_id: int) -> list[Mail]:

    claim = (
        ClaimSubmission.objects.select_related("rto", "uploaded_by", "lodged_by")
        .filter(pk=claim_id, status=ClaimSubmission.Status.LODGED)
        .first()
    )
    if claim is None:
        return []
    people = {u.pk: u for u in (claim.uploaded_by, claim.lodged_by) if u is not None}
    url = absolute_url("claims:submission", claim.rto.code, claim.public_id)
    return [
        Mail.to_user(
            u,
            f"claim_lodged:{claim.pk}",
            subject=f"User Choice claim lodged: {claim.file_name}",
            template="accounts/email/notify_claim_lodged.txt",
            context={"claim": claim, "url": url},
        )
        for u in people.values()
    ]


@builder("batch_approved")
def batch_approved_mails(event: str, batch_id: int) -> list[Mail]:

    batch = PaymentBatch.objects.filter(pk=batch_id).first()
    if batch is None or not batch.is_frozen or batch.is_preview:
        return []
    mails = []
    for total in pqs_totals(batch):
        rto = total["rto"]
        admins = [
            m.user
            for m in RtoMembership.objects.select_related("user").filter(
                rto=rto, role=Role.ADMIN, is_active=True
            )
            if wants(m.user, "batch_approved")
        ]
        if not admins:
            continue  # no remittance is rendered for nobody
        pdf = remittance_pdf(batch, total)
        for user in admins:
            mails.append(
                Mail.to_user(
                    user,
                    f"batch_approved:{batch.pk}:{rto.pk}",
                    subject=f"User Choice payment approved: {batch.period} ({rto.code})",
                    template="accounts/email/notify_batch_approved.txt",
                    context={"batch": batch, "rto": rto, "total": total["total"]},
                    attachments=[
                        (f"remittance-{batch.period}-{rto.code}.pdf", pdf, "application/pdf")
                    ],
                )
            )
    return mails
