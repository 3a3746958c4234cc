"""NAT00120 - training activity (avetmiss-8.md §4.10): TA-01..TA-36, and CQR-11/CQR-13 of
:mod:`avetmiss.plausible` on each activity. The references to other files (TA-02, CL-03,
TA-04, TA-05, CL-24, TA-36) are in :mod:`avetmiss.rules_nat.cross_file`. The hot path of the
package: see :mod:`avetmiss.validate` for the fast/complete split."""

from __future__ import annotations

import datetime as _dt

from .. import codes, plausible
from ..dates import DATE_ORDINALS, add_years, date_ordinal
from ..fieldchecks import show
from ..issues import ERROR, RECORD, WARNING, Issue
from ..layouts import get_layout
from .common import (
    _AT_SCHOOL_TYPES,
    _EMPTY,
    _ORD_2015,
    pred_allowed,
)


class ActivityRules:
    """Rules of NAT00120 (mixed into the Validator)."""

    def _f00120(self, file_id: str, blocks):
        """avetmiss-8.md §4.10, TA-01..TA-36 (TA-03 reported as CL-03; TA-35 state fields are
        warnings). TA-23's list check needs the ``specific_funding`` code list. The loop below is
        the hot path of the package: see the module docstring for the fast/complete split."""
        s = self.settings
        r7 = self.release == "7.0"
        if r7:
            blocks = self._reshape_70(blocks)
        fast = not r7 and not self._force_slow
        b10, b2, b46, ns10 = " " * 10, "  ", " " * 46, "@" * 10
        combos, sv_ok, pred_ok = self._fast_tables_120()
        vis_sub = s.submission_type == "vis"
        school_ok = codes.CODE_SETS["8.0"]["school_type"]
        sf_lookup = self.lookup.has("specific_funding")
        locs = self._parent("locations", "NAT00020")
        clients = self._parent("clients", "NAT00080")
        subjects = self._parent("subjects", "NAT00060")
        programs = self._parent("programs", "NAT00030", "NAT00030A")
        dates = DATE_ORDINALS
        o_pe, o_ys, o_min_start = self.o_pe, self.o_ys, self.o_min_start
        o_cont_after, o_done_by = self.o_cont_after, self.o_done_by
        seen = self.activity_keys
        cp = self.client_programs
        used_locs, used_clients = self.locations_used, self.clients_active
        used_subjects, used_programs = self.subjects_used, self.programs_used
        slow = self._slow_120
        client_dobs, usi_needed = self.client_dobs, self.usi_needed
        o_today, not_final = self.o_today, plausible.NOT_FINAL_OUTCOMES
        state_ok = self._state_120_ok
        count = 0
        for lines, block in blocks:
            for n, f in zip(lines, block, strict=True):
                count += 1
                (
                    _toid, _loc, client, subj, prog, start, end, dm, out, fund, comm, tcid,
                    capp, _stu, vis, sfid, school, pred, lockey, actkey, combo, sv, stblock,
                    ctc, _orig,
                ) = f  # fmt: skip
                s_o = dates.get(start)
                e_o = dates.get(end)
                if not (
                    fast
                    and lockey in locs
                    and client in clients
                    and subj in subjects
                    and ((comm == "8") if prog == b10 else (comm != "8" and prog in programs))
                    and s_o is not None
                    and e_o is not None
                    and s_o <= e_o
                    and s_o >= o_min_start
                    and e_o - s_o <= 1825
                    and combo in combos
                    and (
                        (e_o > o_cont_after and s_o <= o_pe)
                        if out == "70"
                        else (s_o > o_pe)
                        if out == "85"
                        else (
                            o_ys <= e_o <= o_done_by
                            and s_o <= o_pe
                            and (out != "61" or s_o >= _ORD_2015)
                        )
                    )
                    and sv in sv_ok
                    and ((school == b2) if vis == "N" else (school in school_ok))
                    and (not vis_sub or prog != b10)
                    and (
                        (sfid == b10)
                        if fund != "13"
                        else (sfid[0] != " " and not sf_lookup and "@" not in sfid)
                    )
                    and (
                        (tcid == b10 and capp == b10)
                        or (
                            prog != b10
                            and tcid[0] != " "
                            and capp[0] != " "
                            and ("@" not in tcid or tcid == ns10)
                            and ("@" not in capp or capp == ns10)
                        )
                    )
                    and pred in pred_ok.get(dm, _EMPTY)
                    and (stblock == b46 or state_ok(out, f))
                ):
                    slow(file_id, n, f, s_o, e_o)
                # Stateful rules, for every row whatever the path.
                if (s_o is not None and s_o < client_dobs.get(client, 0)) or (
                    ((s_o or 0) > o_today or (e_o or 0) > o_today) and out not in not_final
                ):
                    self._activity_truth(file_id, n, client, out, start, end, s_o, e_o)
                if e_o is not None and e_o >= _ORD_2015:
                    usi_needed.add(client)
                first = seen.setdefault(actkey, n)
                if first != n:
                    self.ta_06(file_id, n, actkey, first)
                used_locs.add(lockey)
                used_clients.add(client)
                used_subjects.add(subj)
                if prog != b10:
                    used_programs.add(prog)
                    key = client + prog
                    st = cp.get(key)
                    if st is None:
                        cp[key] = [ctc, e_o or 0, n]
                    else:
                        if st[0] != ctc:
                            self._client_program_conflict(file_id, n, st, ctc)
                        if e_o is not None and e_o > st[1]:
                            st[1] = e_o
                if fund == "32" or fund == "31" or (vis == "Y" and school in _AT_SCHOOL_TYPES):
                    self.cl_24_ta_36(file_id, n, client, fund, vis, school)
            yield lines, ([f[-1] for f in block] if r7 else block)
        self.counts[file_id] = count

    def ta_06(self, file_id: str, n: int, actkey: str, first: int) -> None:
        """TA-06 (§4.10) one record per organisation, location, client, subject, program and
        start date."""
        self.emit(
            Issue(
                file_id,
                n,
                RECORD,
                actkey.rstrip(),
                "TA-06",
                ERROR,
                f"This training activity repeats line {first} (same organisation,"
                " location, client, subject, program and start date); report it once.",
            )
        )

    def _fast_tables_120(self) -> tuple[frozenset[str], frozenset[str], dict[str, frozenset[str]]]:
        """Precomputed combinations of adjacent NAT00120 fields for the fast path: delivery
        mode + outcome + funding + commencing program (code sets, TA-20), study reason + VET
        in schools flag (TA-31), and the predominant delivery modes each delivery mode allows
        (TA-21)."""
        s = self.settings
        cs = codes.CODE_SETS["8.0"]
        outcomes = cs["outcome"] | s.extra_outcome_codes
        funding = cs["funding"] | ({"30"} if s.allow_funding_30 else set())
        combos = frozenset(
            dm + o + f + c
            for dm in cs["delivery_mode"]
            for o in outcomes
            for f in funding
            for c in cs["commencing"]
            if (dm == "NNN") == (o in codes.RPL_CT_OUTCOMES)
            or (o not in codes.RPL_CT_OUTCOMES and o not in s.nnn_forbidden_outcomes)
        )
        vis_sub = s.submission_type == "vis"
        study = cs["study_reason"] | (set() if s.require_study_reason else {"  "})
        sv_ok = frozenset(a + b for a in study for b in (("Y",) if vis_sub else ("Y", "N")))
        pred_ok: dict[str, frozenset[str]] = {}
        for dm in cs["delivery_mode"]:
            allowed = {" "} if not s.require_predominant_delivery_mode else set()
            if dm == "NNN":
                allowed.add("N")
            allowed.update(c for c, flag in zip("IEW", dm, strict=True) if flag == "Y")
            pred_ok[dm] = frozenset(allowed)
        return combos, sv_ok, pred_ok

    def _client_program_conflict(self, file_id, n, st, ctc) -> None:
        """TA-26 / TA-29: the commencing program identifier (error) and the apprenticeship
        identifiers (warning) must be the same on every record of a client + program."""
        first_line = st[2]
        if st[0][0] != ctc[0]:
            self._issue(
                file_id, n, "commencing_program_identifier", ctc[0], "TA-26", ERROR,
                f"Commencing program identifier {ctc[0]} differs from line {first_line}"
                f" ({st[0][0]}) for the same client and program; use one value on every record"
                " of a client's program.",
            )  # fmt: skip
        if st[0][1:] != ctc[1:]:
            self._issue(
                file_id, n, "training_contract_identifier", ctc[1:11], "TA-29", WARNING,
                f"Apprenticeship identifiers differ from line {first_line} for the same client"
                " and program; they should be the same on every record.",
            )  # fmt: skip

    def _reshape_70(self, blocks):
        """Present 7.0 NAT00120 rows in the shape the loop unpacks (8.0 field order, absent
        fields blank, then the key items); the original row rides along as the last item."""
        lay7 = self.layouts["NAT00120"]
        lay8 = get_layout("8.0", "NAT00120")
        src = [lay7.index.get(f.name) for f in lay8.fields]
        blanks = [f.blank for f in lay8.fields]
        b10 = " " * 10
        for lines, block in blocks:
            out = []
            for row in block:
                v = [row[i] if i is not None else blanks[j] for j, i in enumerate(src)]
                v[0] = b10
                out.append(
                    (
                        *v[:17],
                        v[26],
                        b10 + v[1],
                        "".join(v[1:6]),
                        v[7] + v[8] + v[9] + v[10],
                        v[13] + v[14],
                        "".join(v[17:26]),
                        v[10] + v[11] + v[12],
                        row,
                    )
                )
            yield lines, out

    def _full_120(self, f: tuple) -> tuple:
        """All fields of a NAT00120 row in the release's layout order (from the loop's row)."""
        orig = f[-1]
        return orig if isinstance(orig, tuple) else self.layouts["NAT00120"].getter(orig)

    def _state_120_ok(self, out: str, f: tuple) -> bool:
        """True when the state/territory fields (8.0 cols 112-157) have no issue."""
        full = self._full_120(f)
        checks = self._field_checks("NAT00120")
        for i, _name, chk in checks[17:26]:
            if chk(full[i]) is not None:
                return False
        sched = full[25]
        return not (out == "60" and sched.strip() and sched != "0000")

    def _slow_120(self, file_id, n, f, s_o, e_o):
        """Complete row checks of a NAT00120 record (``f`` as the loop unpacks it)."""
        full = self._full_120(f)
        bad = self._format(file_id, n, full)
        (
            toid, loc, client, subj, prog, start, end, dm, out, fund, comm, tcid, capp, _stu,
            vis, sfid, school, pred, lockey, _actkey, _combo, _sv, _stblock, _ctc, _orig,
        ) = f  # fmt: skip
        has_prog = prog != " " * 10
        self.ta_02(file_id, n, toid, loc, lockey, bad)
        self.cl_03(file_id, n, client, bad)
        self.ta_04(file_id, n, subj, bad)
        if has_prog:
            self.ta_05(file_id, n, prog, bad)
        # Dates: TA-09..TA-17.
        if s_o is None and "activity_start_date" not in bad:
            s_o = date_ordinal(start)
        if e_o is None and "activity_end_date" not in bad:
            e_o = date_ordinal(end)
        out_ok = "outcome_identifier_national" not in bad
        # (5 years are at least 1825 days: a shorter activity cannot break TA-12)
        if s_o is not None and e_o is not None and (s_o > e_o or e_o - s_o > 1825):
            self.ta_09_ta_12(file_id, n, start, end, out, s_o, e_o)
        if s_o is not None:
            if s_o > self.o_pe or s_o < self.o_min_start:
                self.ta_10_ta_11(file_id, n, start, out, out_ok, s_o)
            if out_ok and out in ("61", "85"):
                self.ta_15_ta_17(file_id, n, start, out, s_o)
        if e_o is not None and out_ok:
            self.ta_13_ta_14(file_id, n, end, out, e_o)
        self.ta_20_ta_21(file_id, n, dm, pred, out, out_ok, bad)
        if "funding_source_national" not in bad and (fund == "13" or sfid.strip()):
            self.ta_23(file_id, n, fund, sfid)
        if (
            "commencing_program_identifier" not in bad
            and "program_identifier" not in bad
            and has_prog == (comm == "8")
        ):
            self.ta_25(file_id, n, comm, prog, has_prog)
        if tcid.strip() or capp.strip():
            self.ta_27_ta_28(file_id, n, tcid, capp, prog, has_prog)
        if self.settings.submission_type == "vis":
            self.ta_31_ta_33(file_id, n, vis, prog, has_prog)
        if (
            self.release != "7.0"
            and "school_type_identifier" not in bad
            and (vis == "Y" or school.strip())
        ):
            self.ta_32(file_id, n, vis, school)
        if "scheduled_hours" not in bad and out_ok and out == "60":
            self.ta_34(file_id, n, full[self.layouts["NAT00120"].index["scheduled_hours"]])

    def ta_09_ta_12(self, file_id, n, start, end, out, s_o, e_o) -> None:
        """TA-09 (§4.10) the activity does not end before it starts (message shared with every
        door, :func:`avetmiss.plausible.activity_dates_problem`); TA-12 it lasts at most 5
        years."""
        if s_o > e_o:
            self._issue(
                file_id,
                n,
                "activity_start_date",
                start,
                "TA-09",
                ERROR,
                plausible.activity_dates_problem(
                    _dt.date.fromordinal(s_o), _dt.date.fromordinal(e_o), out, today=self.today
                ).message,
            )
        elif e_o > add_years(s_o, 5):
            self._issue(
                file_id,
                n,
                "activity_end_date",
                end,
                "TA-12",
                ERROR,
                f"Activity end date {end} is more than 5 years after the start date {start}.",
            )

    def ta_10_ta_11(self, file_id, n, start, out, out_ok, s_o) -> None:
        """TA-10 (§4.10) the activity starts by the end of the collection period (outcome 85
        excepted); TA-11 not more than 5 years before the collection year."""
        if s_o > self.o_pe and not (out_ok and out == "85"):
            self._issue(
                file_id,
                n,
                "activity_start_date",
                start,
                "TA-10",
                ERROR,
                f"Activity start date {start} is after the end of the collection period"
                f" ({self.period_end:%d%m%Y}); report activity that has not started with"
                " outcome 85, or in a later collection.",
            )
        if s_o < self.o_min_start:
            self._issue(
                file_id,
                n,
                "activity_start_date",
                start,
                "TA-11",
                ERROR,
                f"Activity start date {start} is more than 5 years before the start of the"
                f" collection year {self.collection_year}.",
            )

    def ta_15_ta_17(self, file_id, n, start, out, s_o) -> None:
        """TA-17 (§4.10) outcome 61 only from 2015; TA-15 outcome 85 starts after the period."""
        if out == "61" and s_o < _ORD_2015:
            self._issue(
                file_id,
                n,
                "outcome_identifier_national",
                out,
                "TA-17",
                ERROR,
                f"Outcome 61 (superseded subject) is valid only for activity starting on or"
                f" after 1 January 2015; this activity starts {start}.",
            )
        if out == "85" and s_o <= self.o_pe:
            self._issue(
                file_id,
                n,
                "outcome_identifier_national",
                out,
                "TA-15",
                WARNING,
                f"Outcome 85 (not yet started) but the activity start date {start} is not"
                " after the collection period; report the actual outcome if training has"
                " started.",
            )

    def ta_13_ta_14(self, file_id, n, end, out, e_o) -> None:
        """TA-13 (§4.10) outcome 70 ends after the period; TA-14 other outcomes (85 excepted)
        end within it (interim periods: see :mod:`avetmiss.validate`)."""
        period = f"{self.period_end:%d%m%Y}"
        if out == "70":
            if e_o <= self.o_cont_after:
                when = f"after {period}" if self.interim else f"after 31/12/{self.collection_year}"
                self._issue(
                    file_id,
                    n,
                    "activity_end_date",
                    end,
                    "TA-13",
                    ERROR,
                    f"Outcome 70 (continuing) needs an activity end date {when}, but it is"
                    f" {end}; report the actual outcome of activity that has ended.",
                )
        elif out != "85" and not self.o_ys <= e_o <= self.o_done_by:
            last = period if self.interim else f"3112{self.collection_year}"
            self._issue(
                file_id,
                n,
                "activity_end_date",
                end,
                "TA-14",
                ERROR,
                f"Activity end date {end} is outside the collection period"
                f" (0101{self.collection_year}-{last}); an activity with outcome {out} must"
                " end within it (use 70 for activity continuing past it).",
            )

    def ta_20_ta_21(self, file_id, n, dm, pred, out, out_ok, bad) -> None:
        """TA-20 (§4.10) delivery mode NNN (7.0: 90) exactly for RPL / credit transfer;
        TA-21 the predominant delivery mode fits the delivery mode."""
        r7 = self.release == "7.0"
        nnn = "90" if r7 else "NNN"
        if out_ok and "delivery_mode_identifier" not in bad:
            if out in codes.RPL_CT_OUTCOMES and dm != nnn:
                self._issue(
                    file_id,
                    n,
                    "delivery_mode_identifier",
                    dm,
                    "TA-20",
                    ERROR,
                    f"Outcome {out} (recognition of prior learning or credit transfer) is"
                    f" reported with delivery mode {nnn}, not {dm}.",
                )
            elif out in self.settings.nnn_forbidden_outcomes and dm == nnn:
                self._issue(
                    file_id,
                    n,
                    "delivery_mode_identifier",
                    dm,
                    "TA-20",
                    ERROR,
                    f"Delivery mode {nnn} (not applicable) is only for recognition of prior"
                    f" learning and credit transfer; outcome {out} involves training, so give"
                    " the delivery mode used.",
                )
        if (
            not r7
            and pred != " "
            and not bad & {"predominant_delivery_mode", "delivery_mode_identifier"}
            and pred not in pred_allowed(dm)
        ):
            self._issue(
                file_id,
                n,
                "predominant_delivery_mode",
                pred,
                "TA-21",
                ERROR,
                f"Predominant delivery mode {pred} does not fit delivery mode {dm}: use N"
                " only with NNN, and I/E/W only when the 1st/2nd/3rd character is Y.",
            )

    def ta_23(self, file_id, n, fund, sfid) -> None:
        """TA-23 (§4.10) specific funding identifier exactly with funding source 13 (on NCVER's
        list when the lookup has it)."""
        sf_blank = not sfid.strip()
        if fund == "13" and sf_blank:
            self._issue(
                file_id,
                n,
                "specific_funding_identifier",
                sfid,
                "TA-23",
                ERROR,
                "Specific funding identifier must not be blank when the funding source is 13"
                " (Commonwealth specific funding); give the NCVER identifier.",
            )
        elif fund != "13" and not sf_blank:
            self._issue(
                file_id,
                n,
                "specific_funding_identifier",
                sfid,
                "TA-23",
                ERROR,
                f"Specific funding identifier {show(sfid)} must be blank unless the funding"
                f" source is 13 (it is {fund}).",
            )
        elif fund == "13" and self._code_known("specific_funding", sfid.rstrip()) is False:
            self._issue(
                file_id,
                n,
                "specific_funding_identifier",
                sfid,
                "TA-23",
                ERROR,
                f"Specific funding identifier {show(sfid)} is not on NCVER's list.",
            )

    def ta_25(self, file_id, n, comm, prog, has_prog) -> None:
        """TA-25 (§4.10) commencing program identifier 8 exactly when there is no program."""
        if not has_prog and comm != "8":
            self._issue(
                file_id,
                n,
                "commencing_program_identifier",
                comm,
                "TA-25",
                ERROR,
                f"Commencing program identifier is {comm} but there is no program"
                " identifier; use 8 for subject-only enrolments, or give the program.",
            )
        elif has_prog and comm == "8":
            self._issue(
                file_id,
                n,
                "commencing_program_identifier",
                comm,
                "TA-25",
                ERROR,
                f"Commencing program identifier 8 (subject only) but program"
                f" {prog.rstrip()} is given; use 3 (commencing) or 4 (continuing).",
            )

    def ta_27_ta_28(self, file_id, n, tcid, capp, prog, has_prog) -> None:
        """TA-27 (§4.10) the two apprenticeship identifiers go together; TA-28 they need a
        program."""
        t_blank, c_blank = not tcid.strip(), not capp.strip()
        if t_blank != c_blank:
            which = (
                "training_contract_identifier" if t_blank else "client_identifier_apprenticeships"
            )
            self._issue(
                file_id,
                n,
                which,
                tcid if t_blank else capp,
                "TA-27",
                ERROR,
                "Training contract identifier and client identifier - apprenticeships go"
                " together: give both or neither.",
            )
        elif not t_blank and not has_prog:
            self._issue(
                file_id,
                n,
                "program_identifier",
                prog,
                "TA-28",
                ERROR,
                "Program identifier must not be blank when the apprenticeship identifiers are"
                " given.",
            )

    def ta_31_ta_33(self, file_id, n, vis, prog, has_prog) -> None:
        """TA-31 / TA-33 (§4.10) a VET in Schools submission: flag Y and a program on every
        activity."""
        if self.settings.submission_type != "vis":
            return
        if vis == "N":
            self._issue(
                file_id,
                n,
                "vet_in_schools_flag",
                vis,
                "TA-31",
                ERROR,
                "VET in schools flag must be Y in a VET in Schools submission.",
            )
        if not has_prog:
            self._issue(
                file_id,
                n,
                "program_identifier",
                prog,
                "TA-33",
                ERROR,
                "Program identifier must not be blank in a VET in Schools submission.",
            )

    def ta_32(self, file_id, n, vis, school) -> None:
        """TA-32 (§4.10) school type given exactly on VET in Schools records (the "blank
        otherwise" half at ``settings.school_type_without_vis``)."""
        without_vis = self.settings.school_type_without_vis
        if vis == "Y" and not school.strip():
            self._issue(
                file_id,
                n,
                "school_type_identifier",
                school,
                "TA-32",
                ERROR,
                "School type identifier must not be blank for a VET in Schools record (flag Y).",
            )
        elif vis == "N" and school.strip() and without_vis:
            self._issue(
                file_id,
                n,
                "school_type_identifier",
                school,
                "TA-32",
                without_vis,
                f"School type identifier {school} is only reported for VET in Schools"
                " records (flag Y); leave it blank.",
            )

    def ta_34(self, file_id, n, sched) -> None:
        """TA-34 (§4.10) scheduled hours 0000 (or blank) for credit transfer (outcome 60)."""
        if sched.strip() and sched != "0000":
            self._issue(
                file_id,
                n,
                "scheduled_hours",
                sched,
                "TA-34",
                WARNING,
                f"Scheduled hours should be 0000 for credit transfer (outcome 60), not {sched}.",
            )

    def _activity_truth(self, file_id, n, client, out, start, end, s_o, e_o) -> None:
        """CQR-11 (born after the activity started) and CQR-13 (a final outcome dated after
        today) on a NAT00120 row: the rules every door shares (``avetmiss.plausible``). An
        activity that ends before it starts is TA-09 of the row rules, not reported twice."""
        fromord = _dt.date.fromordinal
        dob_o = self.client_dobs.get(client)
        if s_o is not None and dob_o is not None and s_o < dob_o <= self.o_today:
            p = plausible.birth_date_problem(fromord(dob_o), today=self.today,
                                             activity_start=fromord(s_o))  # fmt: skip
            if p:
                self._issue(file_id, n, "activity_start_date", start, p.rule, ERROR, p.message)
        if s_o is not None and e_o is not None and s_o > e_o:
            return
        p = plausible.activity_dates_problem(
            s_o and fromord(s_o), e_o and fromord(e_o), out, today=self.today
        )
        if p:
            value = start if p.field == "activity_start_date" else end
            self._issue(file_id, n, p.field, value, p.rule, ERROR, p.message)
