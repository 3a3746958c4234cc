"""manage.py payment_batch ACTION --period YYYY-MM (interfaces.md §5)."""

import datetime as dt
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db.models import Count, Sum
from django_scopes import scopes_disabled

from accounts.models import User
from core.errors import ApplicationError

from ... import exports, services
from ...models import PaymentBatch


class Command(BaseCommand):
    help = (
        "Monthly User Choice payment batch. ACTION: run (create or recalculate; refused once"
        " approved), approve --by EMAIL (a different officer from the runner), export"
        " --format csv|json [--out FILE], aba --out FILE, remittances --out DIR, paid"
        " --on YYYY-MM-DD. Exit 0 ok, 1 refused by a rule, 2 could not run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "action", choices=["run", "approve", "export", "aba", "remittances", "paid"]
        )
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--by", help="E-mail of the officer acting (approve; run optional).")
        parser.add_argument("--format", choices=["csv", "json"], default="json")
        parser.add_argument("--out", help="Output file (export, aba) or directory (remittances).")
        parser.add_argument("--on", help="Payment date YYYY-MM-DD (paid).")
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")

    def handle(self, *args, **o):
        action = o["action"]
        try:
            services.period_bounds(o["period"])
        except ApplicationError as exc:
            self._fail(exc.message)
        actor = self._user(o["by"]) if o["by"] else None
        if action == "approve" and actor is None:
            self._fail("approve needs --by EMAIL (the approving officer)")
        if action in ("aba", "remittances") and not o["out"]:
            self._fail(f"{action} needs --out")
        batch = PaymentBatch.objects.filter(period=o["period"]).first()
        if action != "run" and batch is None:
            self._fail(f"there is no {o['period']} batch (run it first)")
        try:
            if action == "run":
                batch = services.payment_batch_run(period=o["period"], actor=actor)
                self._emit(o, self._summary(batch))
            elif action == "approve":
                batch = services.payment_batch_approve(batch=batch, actor=actor)
                self._emit(o, self._summary(batch))
            elif action == "export":
                rows = exports.export_rows(batch)
                text = (
                    exports.export_csv(rows) if o["format"] == "csv" else json.dumps(rows, indent=1)
                )
                if o["out"]:
                    Path(o["out"]).write_text(text, encoding="utf-8", newline="")
                    self.stderr.write(f"{len(rows)} payment lines written to {o['out']}")
                else:
                    self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
            elif action == "aba":
                aba = services.batch_aba_export(
                    batch=batch, actor=actor or "manage.py payment_batch"
                )
                Path(o["out"]).write_bytes(aba["data"])
                self._emit(
                    o,
                    {
                        "period": batch.period,
                        "file": o["out"],
                        "credits": aba["credits"],
                        "total": f"{aba['total']:.2f}",
                    },
                )
            elif action == "remittances":
                pdfs = services.batch_remittances_render(
                    batch=batch, actor=actor or "manage.py payment_batch"
                )
                out = Path(o["out"])
                out.mkdir(parents=True, exist_ok=True)
                for name, data in pdfs:
                    (out / name).write_bytes(data)
                files = [name for name, _ in pdfs]
                self._emit(o, {"period": batch.period, "dir": str(out), "files": files})
            elif action == "paid":
                if not o["on"]:
                    self._fail("paid needs --on YYYY-MM-DD")
                try:
                    day = dt.date.fromisoformat(o["on"])
                except ValueError:
                    self._fail("--on must be YYYY-MM-DD")
                batch = services.payment_batch_mark_paid(
                    batch=batch, actor=actor or "manage.py payment_batch", paid_on=day
                )
                self._emit(o, self._summary(batch))
        except ApplicationError as exc:
            self.stderr.write(f"payment_batch {action}: {exc.message}")
            sys.exit(1)

    def _summary(self, batch) -> dict:
        with scopes_disabled():
            by_status = {
                r["status"]: {"lines": r["n"], "amount": f"{r['total']:.2f}"}
                for r in batch.lines.values("status")
                .annotate(n=Count("id"), total=Sum("amount"))
                .order_by("status")
            }
        return {
            "period": batch.period,
            "status": batch.status,
            "lines": batch.line_count,
            "paid_lines": batch.paid_count,
            "total": f"{batch.total_amount:.2f}",
            "by_status": by_status,
            "run_by": batch.run_by.email if batch.run_by else None,
            "approved_by": batch.approved_by.email if batch.approved_by else None,
        }

    def _user(self, email):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            self._fail(f"no user with e-mail {email}")
        return user

    def _emit(self, o, doc):
        if o["json"]:
            self.stdout.write(json.dumps(doc))
        else:
            self.stdout.write(json.dumps(doc, indent=2))

    def _fail(self, reason: str):
        self.stderr.write(f"payment_batch: {reason}")
        raise SystemExit(2)
