"""NAT00080 - client (avetmiss-8.md §4.6): CL-01..CL-36 row rules (the client rules that need
later files are in :mod:`avetmiss.rules_nat.cross_file`)."""

from __future__ import annotations

import datetime as _dt

from .. import codes, plausible
from ..dates import DATE_ORDINALS, add_years, date_ordinal
from ..fieldchecks import show
from ..issues import ERROR, WARNING
from ..usi import usi_ok_fast
from .common import (
    _DIGITS4_NS,
    _EMPTY,
    _NOT_SPECIFIED,
    _PC_STATE_OK,
    _PO_BOX,
    _POSTCODES,
    _TITLES,
    _age,
    _name_ok,
)


class ClientRules:
    """Rules of NAT00080 (mixed into the Validator)."""

    def _f00080(self, file_id: str, blocks):
        """avetmiss-8.md §4.6, CL-01..CL-36 row rules (CL-03/04/20/22/24/32 are checked with the
        files that reference clients). CL-11/CL-13 locality checks need the ``localities`` lookup,
        CL-15 ``ascl``, CL-18 ``sacc``; CL-33's registry check is outside this package (only the
        "same USI on two clients" part is made)."""
        lay = self.layouts[file_id]
        ix = lay.index
        i_id = ix["client_identifier"]
        i_name = ix["name_for_encryption"]
        i_dob = ix["date_of_birth"]
        i_pc = ix["postcode"]
        i_dis = ix["disability_flag"]
        i_pea = ix["prior_educational_achievement_flag"]
        i_sch = ix["at_school_flag"]
        i_usi = ix["unique_student_identifier"]
        i_st = ix["state_identifier"]
        s = self.settings
        sta = s.submission_type == "sta"
        localities = self.lookup.has("localities")
        defaults = s.default_birth_dates
        clients = self.clients
        o_dmin, o_dmax, o_minor = self._fast_dates_80()
        fast = self.release == "8.0" and not self._force_slow and not sta and not localities
        fast = fast and not (self.lookup.has("ascl") or self.lookup.has("sacc"))
        cs = codes.CODE_SETS["8.0"]
        hsl_ok, gender_ok, ind_ok = cs["highest_school_level"], cs["gender"], cs["indigenous"]
        lab_ok = cs["labour_force"] | ({"  "} if s.submission_type == "vis" else set())
        flags, state_ok, scs_ok = cs["flag"], cs["state_client"], cs["survey_contact_status"]
        b30, b50, b11, b9 = " " * 30, " " * 50, " " * 11, " " * 9
        ns8 = "@" * 8
        dates = DATE_ORDINALS
        usis = self.usis
        usi_ok = usi_ok_fast
        client_dobs = self.client_dobs
        register = s.register

        slow = self._slow_80

        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                if fast:
                    (
                        cid, nm, hsl, gender, dob, pc, ind, lang, lab, cty, dis, pea, sch, sub,
                        usi, st, bld, flat, sno, sna, scs, sa1, sa2, _extra,
                    ) = row  # fmt: skip
                if (
                    fast
                    and cid[0] not in " @"
                    and " " not in cid.rstrip()
                    and _name_ok(nm)
                    and hsl in hsl_ok
                    and gender in gender_ok
                    and (
                        (o_dmin <= dates.get(dob, 0) <= o_dmax and dob not in defaults)
                        or dob == ns8
                    )
                    and pc in _POSTCODES
                    and ind in ind_ok
                    and lang in _DIGITS4_NS
                    and lab in lab_ok
                    and cty in _DIGITS4_NS
                    and dis in flags
                    and pea in flags
                    and sch in flags
                    and sch != "Y"
                    and sub[0] not in " @"
                    and usi_ok(usi)
                    and st in state_ok
                    and (pc + st in _PC_STATE_OK or st == "@@")
                    and (bld == b50 or bld[0] not in " @")
                    and (flat == b30 or (flat[0] not in " @" and not _PO_BOX.search(flat)))
                    and sno[0] not in " @"
                    and sna[0] not in " @"
                    and scs in scs_ok
                    and not (scs == "A" and dates.get(dob, 0) > o_minor)
                    and sa1 == b11
                    and sa2 == b9
                ):
                    bad = _EMPTY
                else:
                    bad = slow(file_id, n, row, ix)
                cid = row[i_id]
                if "client_identifier" not in bad:
                    first = clients.get(cid)
                    if first is not None:
                        self.cl_02(file_id, n, cid, first[0])
                    else:
                        clients[cid] = (
                            n, row[i_dis], row[i_pea], row[i_sch], row[i_pc], row[i_st],
                            row[i_usi].rstrip(),
                        )  # fmt: skip
                        dob_o = dates.get(row[i_dob])
                        if dob_o is not None:
                            client_dobs[cid] = dob_o
                    if register and cid.rstrip() == plausible.EXAMPLE_CLIENT:
                        self._example_row(file_id, n, cid, row[i_name])
                usi = row[i_usi].rstrip()
                if (
                    usi
                    and usi not in ("INTOFF", "INDIV")
                    and "unique_student_identifier" not in bad
                    and (other := usis.setdefault(usi, cid)) != cid
                ):
                    self.cl_33(file_id, n, usi, other)
            yield lines, block
        self.counts[file_id] = count

    def _fast_dates_80(self) -> tuple[int, int, int]:
        """Date bounds of the fast path as ordinals: the oldest and the youngest plausible
        birth date (CL-10) and the youngest birth date of an adult (CL-35)."""
        s, o_pe = self.settings, self.o_pe
        o_dmax = add_years(o_pe, -s.min_plausible_age)
        o_dmin = add_years(o_pe, -(s.max_plausible_age + 1)) + 1
        return o_dmin, o_dmax, add_years(o_pe, -s.survey_minor_age)

    def cl_02(self, file_id: str, n: int, cid: str, first: int) -> None:
        """CL-02 (§4.6) one record per client."""
        self._issue(
            file_id,
            n,
            "client_identifier",
            cid,
            "CL-02",
            ERROR,
            f"Client identifier {show(cid)} appears again (first on line"
            f" {first}); report each client once.",
        )

    def _example_row(self, file_id: str, n: int, cid: str, name: str) -> None:
        """The register's example client left in the data
        (:func:`avetmiss.plausible.example_row_problem`)."""
        fam, _c, giv = name.partition(",")
        if p := plausible.example_row_problem(cid, fam, giv):
            self._issue(file_id, n, p.field, cid, p.rule, ERROR, p.message)

    def cl_33(self, file_id: str, n: int, usi: str, other: str) -> None:
        """CL-33 (§4.6) one USI, one client (the registry check is outside this package)."""
        self._issue(
            file_id,
            n,
            "unique_student_identifier",
            usi,
            "CL-33",
            WARNING,
            f"USI {usi} is also reported for client {other.rstrip()}; one person"
            " should have one client identifier.",
        )

    def _slow_80(self, file_id: str, n: int, row: tuple, ix: dict) -> frozenset[str] | set[str]:
        """Complete row checks of a NAT00080 record; the names of fields with a problem."""
        bad = self._format(file_id, n, row)
        name = row[ix["name_for_encryption"]]
        if not _name_ok(name):  # (true only when CL-05 has nothing to say)
            self.cl_05(file_id, n, name)
        age = self.cl_09_cl_10(file_id, n, row[ix["date_of_birth"]], bad)
        pc, st = row[ix["postcode"]], row[ix["state_identifier"]]
        self.cl_12(file_id, n, pc, st, bad)
        self.cl_13(file_id, n, pc, st, row[ix["address_location_suburb_locality_or_town"]], bad)
        lang = row[ix["language_identifier"]]
        self.cl_15_cl_18(file_id, n, lang, row[ix["country_identifier"]], bad)
        i_prof = ix.get("proficiency_in_spoken_english_identifier")
        if i_prof is not None and row[i_prof] != " ":
            self.cl_16(file_id, n, lang, row[i_prof])
        hsl = row[ix["highest_school_level_completed_identifier"]]
        i_year = ix.get("year_highest_school_level_completed")
        if i_year is not None and "year_highest_school_level_completed" not in bad:
            self.cl_07(file_id, n, hsl, row[i_year])
        if row[ix["at_school_flag"]] == "Y":
            self.cl_25(file_id, n, "Y", hsl, age)
        if self.settings.submission_type == "sta":
            self.cl_28(file_id, n, row, ix)
        flat = row[ix["address_flat_unit_details"]]
        if flat.strip():
            self.cl_29(file_id, n, flat)
        usi = row[ix["unique_student_identifier"]].rstrip()
        if p := plausible.intoff_problem(usi, pc, st):
            self._issue(file_id, n, p.field, usi, p.rule, ERROR, p.message)
        i_scs = ix.get("survey_contact_status")
        if i_scs is not None and row[i_scs] == "A":
            self.cl_35(file_id, n, "A", age, pc)
        return bad

    def cl_05(self, file_id: str, n: int, name: str) -> None:
        """CL-05 (§4.6) name for encryption: 'FAMILY, GIVEN SECOND' (warning on form)."""
        nm = name.rstrip()
        if not nm:
            return
        why = None
        if "," not in nm:
            why = "has no comma"
        else:
            fam, giv = nm.split(",", 1)
            giv = giv.strip()
            if not giv:
                why = "has no given name (a client with one name repeats it)"
            elif not fam.strip():
                why = "has no family name"
            elif len(fam) > 40 or len(giv) > 40:
                why = "has a family or given name longer than 40 characters"
            elif giv.split()[0].upper().rstrip(".") in _TITLES:
                why = "starts the given names with a title"
        if why:
            self._issue(
                file_id,
                n,
                "name_for_encryption",
                nm,
                "CL-05",
                WARNING,
                f"Name for encryption {show(nm)} {why}; write it as 'FAMILY, GIVEN"
                " SECOND' (e.g. 'Bond, James Herbert'; a single name is repeated:"
                " 'Jackson, Jackson').",
            )

    def cl_09_cl_10(self, file_id: str, n: int, dob: str, bad) -> int | None:
        """CL-09 (§4.6) date of birth not after the collection period, CL-10 a plausible age,
        the register's default birth dates (:func:`avetmiss.plausible.default_birth_date_problem`)
        and CQR-10 (born in the future, every door's rule). Returns the age at the end of the
        period when it is known."""
        s = self.settings
        dob_o = DATE_ORDINALS.get(dob) or (
            date_ordinal(dob) if "date_of_birth" not in bad else None
        )
        if dob_o is None:
            return None
        age = None
        if dob in s.default_birth_dates:
            p = plausible.default_birth_date_problem(
                _dt.date.fromordinal(dob_o), s.default_birth_dates
            )
            self._issue(file_id, n, p.field, dob, p.rule, ERROR, p.message)
        elif dob_o > self.o_pe:
            self._issue(
                file_id,
                n,
                "date_of_birth",
                dob,
                "CL-09",
                ERROR,
                f"Date of birth {dob} is after the end of the collection period"
                f" ({self.period_end:%d%m%Y}).",
            )
        else:
            age = _age(dob_o, self.o_pe)
            if not s.min_plausible_age <= age <= s.max_plausible_age:
                self._issue(
                    file_id,
                    n,
                    "date_of_birth",
                    dob,
                    "CL-10",
                    WARNING,
                    f"Date of birth {dob} makes the client {age} at the end of the"
                    " collection period; check it.",
                )
        if dob_o > self.o_today:
            p = plausible.birth_date_problem(_dt.date.fromordinal(dob_o), today=self.today)
            self._issue(file_id, n, p.field, dob, p.rule, ERROR, p.message)
        return age

    def cl_12(self, file_id: str, n: int, pc: str, st: str, bad) -> None:
        """CL-12 (§4.6) postcode OSPC goes with state 99, and CQR-15 (a postcode within the
        state's ranges, :func:`avetmiss.plausible.postcode_state_problem`)."""
        if (
            pc != "OSPC"
            and "postcode" not in bad
            and "state_identifier" not in bad
            and (problem := plausible.postcode_state_problem(pc, st))
        ):
            self._issue(file_id, n, problem.field, st, problem.rule, ERROR, problem.message)
        if pc == "OSPC" and st != "99" and "state_identifier" not in bad:
            self._issue(
                file_id,
                n,
                "state_identifier",
                st,
                "CL-12",
                ERROR,
                f"State identifier {show(st)} does not fit postcode OSPC (overseas"
                " resident); use 99.",
            )

    def cl_13(self, file_id: str, n: int, pc: str, st: str, suburb: str, bad) -> None:
        """CL-13 (§4.6) suburb 'Not specified' for the special postcodes; with the
        ``localities`` lookup CL-11 / CL-13 as every door checks them
        (:func:`avetmiss.plausible.locality_problem`)."""
        sub = suburb.rstrip()
        if pc in ("OSPC", "@@@@", "0000"):
            if sub and sub.upper() != _NOT_SPECIFIED:
                self._issue(
                    file_id,
                    n,
                    "address_location_suburb_locality_or_town",
                    sub,
                    "CL-13",
                    WARNING,
                    f"Suburb should be 'Not specified' when the postcode is {pc}.",
                )
        elif self.lookup.has("localities") and "postcode" not in bad and pc.strip():
            p = plausible.locality_problem(self._localities(pc), pc, sub, st)
            if p:
                value = {"postcode": pc, "state_identifier": st}.get(p.field, sub)
                self._issue(file_id, n, p.field, value, p.rule, ERROR, p.message)

    def cl_15_cl_18(self, file_id: str, n: int, lang: str, cty: str, bad) -> None:
        """CL-15 (§4.6) language on the ASCL list, CL-18 country on the SACC list (each only
        when the lookup has the list)."""
        if (
            "language_identifier" not in bad
            and lang != "@@@@"
            and self._code_known("ascl", lang) is False
        ):
            self._issue(
                file_id,
                n,
                "language_identifier",
                lang,
                "CL-15",
                ERROR,
                f"Language identifier {lang} is not an ASCL language code.",
            )
        if (
            "country_identifier" not in bad
            and cty not in ("@@@@", "0000")
            and self._code_known("sacc", cty) is False
        ):
            self._issue(
                file_id,
                n,
                "country_identifier",
                cty,
                "CL-18",
                ERROR,
                f"Country identifier {cty} is not a SACC country code.",
            )

    def cl_16(self, file_id: str, n: int, lang: str, prof: str) -> None:
        """CL-16 (§4.6) proficiency in spoken English blank for English, sign or not stated."""
        if lang in codes.ENGLISH_OR_SIGN and prof != " ":
            self._issue(
                file_id,
                n,
                "proficiency_in_spoken_english_identifier",
                prof,
                "CL-16",
                ERROR,
                "Proficiency in spoken English must be blank when the language is English,"
                " a sign language or not stated.",
            )

    def cl_07(self, file_id: str, n: int, hsl: str, yv: str) -> None:
        """CL-07 (§4.6) year highest school level completed: @@@@ for 'did not go to school'
        (02), never after the collection year."""
        if hsl == "02" and yv != "@@@@":
            self._issue(
                file_id,
                n,
                "year_highest_school_level_completed",
                yv,
                "CL-07",
                ERROR,
                "Year highest school level completed must be @@@@ when the client did"
                " not go to school (02).",
            )
        elif yv.isdigit() and int(yv) > self.collection_year:
            self._issue(
                file_id,
                n,
                "year_highest_school_level_completed",
                yv,
                "CL-07",
                ERROR,
                f"Year highest school level completed {yv} is after the collection year.",
            )

    def cl_25(self, file_id: str, n: int, at_school: str, hsl: str, age: int | None) -> None:
        """CL-25 (§4.6) at school Y is doubtful after year 12 or past the at-school age."""
        if at_school == "Y" and (
            hsl == "12" or (age is not None and age > self.settings.at_school_max_age)
        ):
            self._issue(
                file_id,
                n,
                "at_school_flag",
                at_school,
                "CL-25",
                WARNING,
                "At school flag is Y but the client "
                + ("has completed year 12" if hsl == "12" else f"is {age}")
                + "; check it.",
            )

    def cl_28(self, file_id: str, n: int, row: tuple, ix: dict) -> None:
        """CL-28 (§4.6, STA submissions) street number and name unless SA1/SA2 are given."""
        i_sa1 = ix.get("statistical_area_level_1_identifier")
        i_sa2 = ix.get("statistical_area_level_2_identifier")
        sna = row[ix["address_street_name"]]
        if (
            not row[ix["address_street_number"]].strip()
            and not sna.strip()
            and (i_sa1 is None or not row[i_sa1].strip())
            and (i_sa2 is None or not row[i_sa2].strip())
        ):
            self._issue(
                file_id,
                n,
                "address_street_name",
                sna,
                "CL-28",
                ERROR,
                "Street number and name must not be blank unless SA1/SA2 are supplied;"
                " use 'Not specified' when there is no street address.",
            )

    def cl_29(self, file_id: str, n: int, flat: str) -> None:
        """CL-29 (§4.6) flat/unit details hold no PO box."""
        if _PO_BOX.search(flat):
            self._issue(
                file_id,
                n,
                "address_flat_unit_details",
                flat,
                "CL-29",
                WARNING,
                "Flat/unit details must not contain a PO box or street details.",
            )

    def cl_35(self, file_id: str, n: int, scs: str, age: int | None, pc: str) -> None:
        """CL-35 (§4.6) survey contact status A doubtful for a minor or an overseas client."""
        minor = self.settings.survey_minor_age
        if scs == "A" and age is not None and age < minor:
            self._issue(
                file_id,
                n,
                "survey_contact_status",
                scs,
                "CL-35",
                WARNING,
                f"Survey contact status is A but the client is {age}; clients under"
                f" {minor} are reported as M (minor).",
            )
        elif scs == "A" and pc == "OSPC":
            self._issue(
                file_id,
                n,
                "survey_contact_status",
                scs,
                "CL-35",
                WARNING,
                "Survey contact status is A but the client lives overseas (OSPC);"
                " O (overseas) is expected.",
            )
