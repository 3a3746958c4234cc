"""Set-level rules, run once every file has been read: FMT-10 (required files present),
"parent must be used" (TO-03, DL-04, PR-03, SU-03, CL-04) and the client rules that depend on
later files (CL-20, CL-22, CL-32, CC-02, DI-05, ...). They work on the keys the file rules kept."""

from __future__ import annotations

from .. import plausible
from ..issues import ERROR, RECORD, WARNING
from .common import (
    _USI_YEAR,
)


class CrossFileRules:
    """Set-level rules (mixed into the Validator)."""

    def _finish_rules(self) -> None:
        s = self.settings
        has = self.present.__contains__
        counts = self.counts
        iss = self._issue

        def missing(file_id: str, why: str) -> None:
            iss(
                file_id,
                0,
                RECORD,
                "",
                "FMT-10",
                ERROR,
                f"{file_id} is missing: {why}.",
            )

        if not self.present:
            return  # nothing could be read: the PKG issues say why
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

        sev = s.unused_parent_severity
        if sev:
            if has("NAT00020") or has("NAT00130"):
                for toid, line in self.toids.items():
                    if toid not in self.toids_used:
                        iss(
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
            if has("NAT00120"):
                for key, line in self.locations.items():
                    if key not in self.locations_used:
                        iss(
                            "NAT00020",
                            line,
                            "training_organisation_delivery_location_identifier",
                            key[10:],
                            "DL-04",
                            sev,
                            f"Delivery location {key[10:].rstrip()} is not used by any training"
                            " activity (NAT00120); remove it or report its activity.",
                        )
                for sid, line in self.subjects.items():
                    if sid not in self.subjects_used:
                        iss(
                            "NAT00060",
                            line,
                            "subject_identifier",
                            sid,
                            "SU-03",
                            sev,
                            f"Subject {sid.rstrip()} is not used by any training activity"
                            " (NAT00120); remove it or report its activity.",
                        )
            if has("NAT00120") or has("NAT00130"):
                for pid, (line, fid, _vet) in self.programs.items():
                    if pid not in self.programs_used:
                        iss(
                            fid,
                            line,
                            "program_identifier",
                            pid,
                            "PR-03",
                            sev,
                            f"Program {pid.rstrip()} is not used by any training activity or"
                            " completion; remove it or report its activity.",
                        )

        have90, have100 = has("NAT00090"), has("NAT00100")
        check85 = has("NAT00085") and s.require_nat00085 and self.release == "8.0"
        check_used = s.unused_client_severity and (has("NAT00120") or has("NAT00130"))
        intoff_check = has("NAT00120")
        for cid, info in self.clients.items():
            line, dis, pea, _sch, _pc, _st, usi = info
            if dis == "Y" and cid not in self.disabilities:
                iss(
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
            if pea == "Y" and cid not in self.prior_ed:
                iss(
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
            if check85 and cid not in self.nat85:
                iss(
                    "NAT00080",
                    line,
                    "client_identifier",
                    cid,
                    "CC-02",
                    ERROR,
                    f"Client {cid.rstrip()} has no contact details record in NAT00085.",
                )
            if check_used and cid not in self.clients_active and cid not in self.clients_completed:
                iss(
                    "NAT00080",
                    line,
                    "client_identifier",
                    cid,
                    "CL-04",
                    s.unused_client_severity,  # type: ignore[arg-type]
                    f"Client {cid.rstrip()} has no training activity or completion in this"
                    " submission; remove the client or report their activity.",
                )
            if not usi and cid in self.usi_needed:
                problem = plausible.usi_required_problem("", _USI_YEAR)
                iss("NAT00080", line, problem.field, usi, problem.rule, ERROR, problem.message)
            if intoff_check and usi == "INTOFF" and cid not in self.fund32:
                iss(
                    "NAT00080",
                    line,
                    "unique_student_identifier",
                    usi,
                    "CL-32",
                    ERROR,
                    f"Client {cid.rstrip()} uses USI exemption INTOFF but none of their activity"
                    " has funding source 32 (international offshore).",
                )
        for cid, types in self.disabilities.items():
            if "99" in types and len(types) > 1:
                iss(
                    "NAT00090",
                    types["99"],
                    "disability_type_identifier",
                    "99",
                    "DI-05",
                    WARNING,
                    f"Client {cid.rstrip()} has disability type 99 (not specified) as well as"
                    " specific types; drop the 99 record.",
                )
