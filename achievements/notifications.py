"""E-mails about submissions: checked, or could not be processed (to who uploaded it)."""

from __future__ import annotations

from accounts.notifications import Mail, absolute_url, builder
from achievements.models import Submission


@builder("submission_validated", "submission_failed")
def submission_mails(event: str, submission_id: int) -> list[Mail]:

    sub = Submission.objects.select_related("rto", "uploaded_by").filter(pk=submission_id).first()
    if sub is None or sub.uploaded_by is None:
        return []
    failed = event == "submission_failed"
    url = (
        absolute_url("claims:submission", sub.rto.code, sub.public_id)
        if sub.kind == Submission.Kind.CLAIM
        else absolute_url("achievements:submission_detail", sub.rto.code, sub.public_id)
    )
    what = "could not be processed" if failed else "has been checked"
    return [
        Mail.to_user(
            sub.uploaded_by,
            f"{event}:{sub.pk}",
            subject=f"{sub.file_name} {what}",
            template="accounts/email/notify_submission.txt",
            context={"sub": sub, "failed": failed, "url": url},
        )
    ]
