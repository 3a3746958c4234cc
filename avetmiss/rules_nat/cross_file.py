"""Set-level rules, run once every file has been read: FMT-10 (required files present),
"parent must be used" (TO-03, DL-04, PR-03, SU-03, CL-04) and the client rules that depend on
later files (CL-20, CL-22, CL-30, CL-32, CC-02, DI-05). They work on the keys the file rules
kept; the row-level reference checks (a child row naming a parent that is not there, e.g. DL-03,
TA-02, CL-03, PC-01) are made with each row in the child file's module."""

from __future__ import annotations

from .. import plausible
from ..issues import ERROR, RECORD, WARNING
from .common import _USI_YEAR


class CrossFileRules:
    """Set-level rules (mixed into the Validator)."""

    def _finish_rules(self) -> None:
        if not self.present:
            return  # nothing could be read: the PKG issues say why
        self.fmt_10()
        sev = self.settings.unused_parent_severity
        has = self.present.__contains__
        if sev:
            if has("NAT00020") or has("NAT00130"):
                self.to_03(sev)
            if has("NAT00120"):
                self.dl_04(sev)
                self.su_03(sev)
            if has("NAT00120") or has("NAT00130"):
                self.pr_03(sev)
        self._client_set_rules()
        self.di_05()

    def fmt_10(self) -> None:
        """FMT-10 (§4.1) the files a submission needs are present."""
        s = self.settings
        has = self.present.__contains__
        counts = self.counts

        def missing(file_id: str, why: str) -> None:
            self._issue(file_id, 0, RECORD, "", "FMT-10", ERROR, f"{file_id} is missing: {why}.")

        org_files = ("NAT00010", "NAT00010A") if self.release == "8.0" else ("NAT00010",)
        if not any(has(f) for f in org_files):
            missing("NAT00010", "every submission reports its training organisation")
        if not has("NAT00080"):
            missing("NAT00080", "every submission reports its clients")
        activity = [f for f in ("NAT00020", "NAT00060", "NAT00120") if counts.get(f)]
        if activity:
            for f in ("NAT00020", "NAT00060", "NAT00120"):
                if not has(f):
                    missing(f, f"{', '.join(activity)} report subject activity")
        if self.programs_used and not (has("NAT00030") or has("NAT00030A")):
            missing("NAT00030", "training activity or completions name programs")
        if (
            self.release == "8.0"
            and s.require_nat00085
            and counts.get("NAT00080")
            and not has("NAT00085")
        ):
            missing("NAT00085", "every client needs a contact details record")

    def to_03(self, sev: str) -> None:
        """TO-03 (§4.2) each organisation has a delivery location or a completion."""
        for toid, line in self.toids.items():
            if toid not in self.toids_used:
                self._issue(
                    self.toid_files.get(toid, "NAT00010"),
                    line,
                    "training_organisation_identifier",
                    toid,
                    "TO-03",
                    sev,
                    f"Training organisation {toid.rstrip()} has no delivery location"
                    " (NAT00020) and no completion (NAT00130); report its activity or"
                    " remove it.",
                )

    def dl_04(self, sev: str) -> None:
        """DL-04 (§4.3) each delivery location is used by training activity."""
        for key, line in self.locations.items():
            if key not in self.locations_used:
                self._issue(
                    "NAT00020",
                    line,
                    "training_organisation_delivery_location_identifier",
                    key[10:],
                    "DL-04",
                    sev,
                    f"Delivery location {key[10:].rstrip()} is not used by any training"
                    " activity (NAT00120); remove it or report its activity.",
                )

    def su_03(self, sev: str) -> None:
        """SU-03 (§4.5) each subject is used by training activity."""
        for sid, line in self.subjects.items():
            if sid not in self.subjects_used:
                self._issue(
                    "NAT00060",
                    line,
                    "subject_identifier",
                    sid,
                    "SU-03",
                    sev,
                    f"Subject {sid.rstrip()} is not used by any training activity"
                    " (NAT00120); remove it or report its activity.",
                )

    def pr_03(self, sev: str) -> None:
        """PR-03 (§4.4) each program is used by training activity or a completion."""
        for pid, (line, fid, _vet) in self.programs.items():
            if pid not in self.programs_used:
                self._issue(
                    fid,
                    line,
                    "program_identifier",
                    pid,
                    "PR-03",
                    sev,
                    f"Program {pid.rstrip()} is not used by any training activity or"
                    " completion; remove it or report its activity.",
                )

    def _client_set_rules(self) -> None:
        """One pass over the clients for the client rules that need later files. The
        conditions are tested here (cheaply, for every client); each rule's method only
        reports."""
        s = self.settings
        has = self.present.__contains__
        have90, have100 = has("NAT00090"), has("NAT00100")
        check85 = has("NAT00085") and s.require_nat00085 and self.release == "8.0"
        check_used = s.unused_client_severity and (has("NAT00120") or has("NAT00130"))
        intoff_check = has("NAT00120")
        disabilities, prior_ed, nat85 = self.disabilities, self.prior_ed, self.nat85
        active, completed = self.clients_active, self.clients_completed
        usi_needed, fund32 = self.usi_needed, self.fund32
        for cid, info in self.clients.items():
            line, dis, pea, _sch, _pc, _st, usi = info
            if dis == "Y" and cid not in disabilities:
                self.cl_20(cid, line, dis, have90)
            if pea == "Y" and cid not in prior_ed:
                self.cl_22(cid, line, pea, have100)
            if check85 and cid not in nat85:
                self.cc_02(cid, line)
            if check_used and cid not in active and cid not in completed:
                self.cl_04(cid, line)
            if not usi and cid in usi_needed:
                self.cl_30(line, usi)
            if intoff_check and usi == "INTOFF" and cid not in fund32:
                self.cl_32(cid, line, usi)

    def cl_20(self, cid: str, line: int, dis: str, have90: bool) -> None:
        """CL-20 (§4.6) disability flag Y needs NAT00090 records."""
        self._issue(
            "NAT00080",
            line,
            "disability_flag",
            dis,
            "CL-20",
            ERROR,
            f"Client {cid.rstrip()} has disability flag Y but no NAT00090 record; add"
            " the disability type(s) (99 if not specified)."
            + ("" if have90 else " (NAT00090 is missing.)"),
        )

    def cl_22(self, cid: str, line: int, pea: str, have100: bool) -> None:
        """CL-22 (§4.6) prior educational achievement flag Y needs NAT00100 records."""
        self._issue(
            "NAT00080",
            line,
            "prior_educational_achievement_flag",
            pea,
            "CL-22",
            ERROR,
            f"Client {cid.rstrip()} has prior educational achievement flag Y but no"
            " NAT00100 record; add the achievement(s)."
            + ("" if have100 else " (NAT00100 is missing.)"),
        )

    def cc_02(self, cid: str, line: int) -> None:
        """CC-02 (§4.7) every client has a NAT00085 contact record (8.0,
        ``settings.require_nat00085``)."""
        self._issue(
            "NAT00080",
            line,
            "client_identifier",
            cid,
            "CC-02",
            ERROR,
            f"Client {cid.rstrip()} has no contact details record in NAT00085.",
        )

    def cl_04(self, cid: str, line: int) -> None:
        """CL-04 (§4.6) each client has training activity or a completion (severity
        ``settings.unused_client_severity``)."""
        self._issue(
            "NAT00080",
            line,
            "client_identifier",
            cid,
            "CL-04",
            self.settings.unused_client_severity,  # type: ignore[arg-type]
            f"Client {cid.rstrip()} has no training activity or completion in this"
            " submission; remove the client or report their activity.",
        )

    def cl_30(self, line: int, usi: str) -> None:
        """CL-30 (§4.6) a USI for clients with activity or a completion from 2015 on (the rule
        and message every door shares, :func:`avetmiss.plausible.usi_required_problem`)."""
        problem = plausible.usi_required_problem("", _USI_YEAR)
        self._issue("NAT00080", line, problem.field, usi, problem.rule, ERROR, problem.message)

    def cl_32(self, cid: str, line: int, usi: str) -> None:
        """CL-32 (§4.6) USI exemption INTOFF needs activity funded 32 (international
        offshore)."""
        self._issue(
            "NAT00080",
            line,
            "unique_student_identifier",
            usi,
            "CL-32",
            ERROR,
            f"Client {cid.rstrip()} uses USI exemption INTOFF but none of their activity"
            " has funding source 32 (international offshore).",
        )

    def di_05(self) -> None:
        """DI-05 (§4.8) disability type 99 (not specified) not beside specific types."""
        for cid, types in self.disabilities.items():
            if "99" in types and len(types) > 1:
                self._issue(
                    "NAT00090",
                    types["99"],
                    "disability_type_identifier",
                    "99",
                    "DI-05",
                    WARNING,
                    f"Client {cid.rstrip()} has disability type 99 (not specified) as well as"
                    " specific types; drop the 99 record.",
                )
