"""Checks between files (referential integrity), on the keys the file rules keep (never whole
records).

* Set-level rules, run once every file has been read (:meth:`CrossFileRules._finish_rules`):
  FMT-10 (required files present), "parent must be used" (TO-03, DL-04, PR-03, SU-03, CL-04)
  and the client rules that depend on later files (CL-20, CL-22, CL-30, CL-32, CC-02, DI-05).
* Row-level references, called by the child file's loop for each row: a child names a parent
  that is not there or disagrees with it (DL-03; CC-01, CC-11; TA-02, CL-03, TA-04, TA-05,
  CL-24, TA-36; PC-01, PC-02, PC-03, PC-08, PC-09, PC-11). Where a check runs for every row
  of a big file, the loop tests the cheap condition and calls the method only to report.
  DI-03/DI-04 and PE-03/PE-04 stay in :mod:`avetmiss.rules_nat.nat00090`, whose two files
  share one loop.
"""

from __future__ import annotations

import datetime as _dt

from .. import codes, plausible
from ..dates import from_ordinal
from ..fieldchecks import show
from ..issues import ERROR, RECORD, WARNING
from .common import _AT_SCHOOL_TYPES, _USI_YEAR


class CrossFileRules:
    """Checks between files (mixed into the Validator)."""

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

    # ------------------------------------------------------------------------------------
    # NAT00020 rows against NAT00010

    def dl_03(self, file_id: str, n: int, toid: str, toids) -> None:
        """DL-03 (§4.3) the TOID is in NAT00010 (and so is used, TO-03)."""
        if toid not in toids:
            self._issue(
                file_id,
                n,
                "training_organisation_identifier",
                toid,
                "DL-03",
                ERROR,
                f"Training organisation identifier {show(toid)} is not in NAT00010; add"
                " the organisation or correct the identifier.",
            )
        else:
            self.toids_used.add(toid)

    # ------------------------------------------------------------------------------------
    # NAT00085 rows against NAT00080

    def cc_01(self, file_id: str, n: int, cid: str) -> None:
        """CC-01 (§4.7) the client is in NAT00080 (the "once per client" half is checked for
        every row in :meth:`_f00085`)."""
        self._issue(
            file_id,
            n,
            "client_identifier",
            cid,
            "CC-01",
            ERROR,
            f"Client identifier {show(cid)} is not in NAT00080; every contact"
            " record belongs to a client.",
        )

    def cc_11(self, file_id: str, n: int, pc: str, st: str, info: tuple) -> None:
        """CC-11 (§4.7) the contact and residential (NAT00080) addresses agree on whether the
        client is overseas (warning)."""
        over80 = info[4] == "OSPC" or info[5] == "99"
        if (over80 and st in codes.STATE_AUSTRALIAN) or (
            not over80 and info[5] in codes.STATE_AUSTRALIAN and (pc == "OSPC" or st == "99")
        ):
            self._issue(
                file_id,
                n,
                "state_identifier",
                st,
                "CC-11",
                WARNING,
                "The contact address and the client's residential address (NAT00080)"
                " disagree on whether the client is overseas; check both.",
            )

    # ------------------------------------------------------------------------------------
    # NAT00120 rows against NAT00020/30/60/80

    def ta_02(self, file_id, n, toid, loc, lockey, bad) -> None:
        """TA-02 (§4.10) the organisation + delivery location is in NAT00020."""
        if bad & {
            "training_organisation_identifier",
            "training_organisation_delivery_location_identifier",
        } or lockey in self._parent("locations", "NAT00020"):
            return
        what = (
            f"Delivery location {loc.rstrip()}"
            if self.release == "7.0"
            else f"Organisation {toid.rstrip()} with delivery location {loc.rstrip()}"
        )
        self._issue(
            file_id,
            n,
            "training_organisation_delivery_location_identifier",
            loc,
            "TA-02",
            ERROR,
            f"{what} is not in NAT00020; add the location or correct the identifier.",
        )

    def cl_03(self, file_id, n, client, bad) -> None:
        """CL-03 (§4.6; TA-03 of §4.10 is reported under this id) the client of an activity is
        in NAT00080."""
        if "client_identifier" not in bad and client not in self._parent("clients", "NAT00080"):
            self._issue(
                file_id,
                n,
                "client_identifier",
                client,
                "CL-03",
                ERROR,
                f"Client identifier {show(client)} is not in NAT00080; every client with"
                " training activity needs a client record.",
            )

    def ta_04(self, file_id, n, subj, bad) -> None:
        """TA-04 (§4.10) the subject is in NAT00060."""
        if "subject_identifier" not in bad and subj not in self._parent("subjects", "NAT00060"):
            self._issue(
                file_id,
                n,
                "subject_identifier",
                subj,
                "TA-04",
                ERROR,
                f"Subject identifier {show(subj)} is not in NAT00060; add the subject or correct"
                " the identifier.",
            )

    def ta_05(self, file_id, n, prog, bad) -> None:
        """TA-05 (§4.10) a program given is in NAT00030 or NAT00030A."""
        if "program_identifier" not in bad and prog not in self._parent(
            "programs", "NAT00030", "NAT00030A"
        ):
            self._issue(
                file_id,
                n,
                "program_identifier",
                prog,
                "TA-05",
                ERROR,
                f"Program identifier {show(prog)} is not in NAT00030 or NAT00030A; add the"
                " program or correct the identifier.",
            )

    def cl_24_ta_36(self, file_id, n, client, fund, vis, school):
        """CL-24 (§4.6, a VET in Schools school type needs at school flag Y in NAT00080), the
        funding 32 bookkeeping CL-32 needs, TA-36 (§4.10, funding 31/32 fits the client's
        residential address)."""
        info = self.clients.get(client)
        if fund == "32":
            self.fund32.add(client)
        if info is None:
            return
        if vis == "Y" and school in _AT_SCHOOL_TYPES and info[3] != "Y":
            self._issue(
                file_id,
                n,
                "school_type_identifier",
                school,
                "CL-24",
                ERROR,
                f"Client {client.rstrip()} is at a school (school type {school}) but their at"
                f" school flag in NAT00080 (line {info[0]}) is {info[3]!r}; it must be Y.",
            )
        if fund == "32" and (info[4] != "OSPC" or info[5] != "99"):
            self._issue(
                file_id,
                n,
                "funding_source_national",
                fund,
                "TA-36",
                WARNING,
                f"Funding source 32 (international offshore) but client {client.rstrip()} has"
                " an Australian residential address; offshore clients have postcode OSPC and"
                " state 99.",
            )
        elif fund == "31" and info[4] == "OSPC":
            self._issue(
                file_id,
                n,
                "funding_source_national",
                fund,
                "TA-36",
                WARNING,
                f"Funding source 31 (international onshore) but client {client.rstrip()} lives"
                " overseas (OSPC); offshore clients are funded 32.",
            )

    # ------------------------------------------------------------------------------------
    # NAT00130 rows against NAT00010/30/80/120

    def pc_01(self, file_id, n, toid) -> None:
        """PC-01 (§4.11) the TOID is in NAT00010."""
        self._issue(
            file_id,
            n,
            "training_organisation_identifier",
            toid,
            "PC-01",
            ERROR,
            f"Training organisation identifier {show(toid)} is not in NAT00010.",
        )

    def pc_02(self, file_id, n, prog) -> None:
        """PC-02 (§4.11) the program is in NAT00030 or NAT00030A."""
        self._issue(
            file_id,
            n,
            "program_identifier",
            prog,
            "PC-02",
            ERROR,
            f"Program identifier {show(prog)} is not in NAT00030 or NAT00030A.",
        )

    def pc_08(self, file_id, n, prog, p) -> None:
        """PC-08 (§4.11) a completed program has VET flag Y (``p``: its NAT00030 entry)."""
        self._issue(
            file_id,
            n,
            "program_identifier",
            prog,
            "PC-08",
            ERROR,
            f"Program {prog.rstrip()} has VET flag N ({p[1]} line {p[0]}); programs"
            " that are not vocational are not reported as completed.",
        )

    def pc_03(self, file_id, n, client) -> None:
        """PC-03 (§4.11) the client is in NAT00080."""
        self._issue(
            file_id,
            n,
            "client_identifier",
            client,
            "PC-03",
            ERROR,
            f"Client identifier {show(client)} is not in NAT00080.",
        )

    def pc_09(self, file_id, n, client, prog) -> None:
        """PC-09 (§4.11) a completion in the collection year comes with training activity
        (NAT00120) in the same submission."""
        self._issue(
            file_id,
            n,
            "client_identifier",
            client,
            "PC-09",
            ERROR,
            f"Client {client.rstrip()} completed {prog.rstrip()} in the"
            " collection year but has no training activity (NAT00120) in this"
            " submission; report the activity too.",
        )

    def pc_11(self, file_id, n, dname, d, d_o, prog, last_end) -> None:
        """PC-11 (§4.11) the completion is not dated before the program's last activity end
        ``last_end`` (a warning; in the register an error, CQR-12 of
        :mod:`avetmiss.plausible`)."""
        if self.settings.register:
            p = plausible.unit_after_completion_problem(
                "", _dt.date.fromordinal(last_end),
                prog.rstrip(), _dt.date.fromordinal(d_o))  # fmt: skip
            self._issue(file_id, n, dname, d, p.rule, ERROR, p.message)
        else:
            self._issue(
                file_id,
                n,
                dname,
                d,
                "PC-11",
                WARNING,
                f"Date program completed {d} is before the client's last"
                f" activity end date for the program ({from_ordinal(last_end)}).",
            )
