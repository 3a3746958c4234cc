"""NAT00080 - client (avetmiss-8.md §4.6): CL-01..CL-36 row rules (the client rules that need
later files are in :mod:`avetmiss.rules_nat.cross_file`)."""

from __future__ import annotations

import datetime as _dt

from .. import codes as C
from .. import plausible
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
        i_hsl = ix["highest_school_level_completed_identifier"]
        i_dob = ix["date_of_birth"]
        i_pc = ix["postcode"]
        i_lang = ix["language_identifier"]
        i_cty = ix["country_identifier"]
        i_dis = ix["disability_flag"]
        i_pea = ix["prior_educational_achievement_flag"]
        i_sch = ix["at_school_flag"]
        i_sub = ix["address_location_suburb_locality_or_town"]
        i_usi = ix["unique_student_identifier"]
        i_st = ix["state_identifier"]
        i_flat = ix["address_flat_unit_details"]
        i_sno, i_sna = ix["address_street_number"], ix["address_street_name"]
        i_scs = ix.get("survey_contact_status")
        i_sa1 = ix.get("statistical_area_level_1_identifier")
        i_sa2 = ix.get("statistical_area_level_2_identifier")
        i_year = ix.get("year_highest_school_level_completed")
        i_prof = ix.get("proficiency_in_spoken_english_identifier")
        s = self.settings
        sta = s.submission_type == "sta"
        localities = self.lookup.has("localities")
        o_pe = self.o_pe
        defaults = s.default_birth_dates
        clients = self.clients
        o_dmax = add_years(o_pe, -s.min_plausible_age)  # youngest plausible birth date
        o_dmin = add_years(o_pe, -(s.max_plausible_age + 1)) + 1
        o_minor = add_years(o_pe, -s.survey_minor_age)
        fast = self.release == "8.0" and not self._force_slow and not sta and not localities
        fast = fast and not (self.lookup.has("ascl") or self.lookup.has("sacc"))
        cs = C.CODE_SETS["8.0"]
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

        def slow(n: int, row: tuple) -> frozenset[str] | set[str]:
            bad = self._format(file_id, n, row)
            # CL-05 name for encryption: 'FAMILY, GIVEN SECOND' (warning on form).
            nm = row[i_name].rstrip()
            if nm:
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
            # CL-09 / CL-10 date of birth.
            dob = row[i_dob]
            dob_o = DATE_ORDINALS.get(dob) or (
                date_ordinal(dob) if "date_of_birth" not in bad else None
            )
            age = None
            if dob_o is not None:
                if dob in defaults:
                    p = plausible.default_birth_date_problem(_dt.date.fromordinal(dob_o), defaults)
                    self._issue(file_id, n, p.field, dob, p.rule, ERROR, p.message)
                elif dob_o > o_pe:
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
                    age = _age(dob_o, o_pe)
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
            # CQR-10: born in the future (besides CL-09's collection period), every door's rule
            if dob_o is not None and dob_o > self.o_today:
                p = plausible.birth_date_problem(_dt.date.fromordinal(dob_o), today=self.today)
                self._issue(file_id, n, p.field, dob, p.rule, ERROR, p.message)
            pc, st = row[i_pc], row[i_st]
            # CQR-15 postcode within the state's ranges (CL-12 below covers OSPC).
            if (
                pc != "OSPC"
                and "postcode" not in bad
                and "state_identifier" not in bad
                and (problem := plausible.postcode_state_problem(pc, st))
            ):
                self._issue(file_id, n, problem.field, st, problem.rule, ERROR, problem.message)
            # CL-12 OSPC => state 99.
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
            # CL-13 suburb for special postcodes; locality checks with the lookup.
            sub = row[i_sub].rstrip()
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
            elif localities and "postcode" not in bad and pc.strip():
                # CL-11 / CL-13 with the localities list: the rule every door shares
                p = plausible.locality_problem(self._localities(pc), pc, sub, st)
                if p:
                    value = {"postcode": pc, "state_identifier": st}.get(p.field, sub)
                    self._issue(file_id, n, p.field, value, p.rule, ERROR, p.message)
            lang = row[i_lang]
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
            cty = row[i_cty]
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
            if i_prof is not None and lang in C.ENGLISH_OR_SIGN and row[i_prof] != " ":
                self._issue(
                    file_id,
                    n,
                    "proficiency_in_spoken_english_identifier",
                    row[i_prof],
                    "CL-16",
                    ERROR,
                    "Proficiency in spoken English must be blank when the language is English,"
                    " a sign language or not stated.",
                )
            if i_year is not None and "year_highest_school_level_completed" not in bad:
                yv = row[i_year]
                if row[i_hsl] == "02" and yv != "@@@@":
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
            at_school = row[i_sch]
            if at_school == "Y" and (
                row[i_hsl] == "12" or (age is not None and age > s.at_school_max_age)
            ):
                self._issue(
                    file_id,
                    n,
                    "at_school_flag",
                    at_school,
                    "CL-25",
                    WARNING,
                    "At school flag is Y but the client "
                    + ("has completed year 12" if row[i_hsl] == "12" else f"is {age}")
                    + "; check it.",
                )
            if (
                sta
                and not row[i_sno].strip()
                and not row[i_sna].strip()
                and (i_sa1 is None or not row[i_sa1].strip())
                and (i_sa2 is None or not row[i_sa2].strip())
            ):
                self._issue(
                    file_id,
                    n,
                    "address_street_name",
                    row[i_sna],
                    "CL-28",
                    ERROR,
                    "Street number and name must not be blank unless SA1/SA2 are supplied;"
                    " use 'Not specified' when there is no street address.",
                )
            if _PO_BOX.search(row[i_flat]):
                self._issue(
                    file_id,
                    n,
                    "address_flat_unit_details",
                    row[i_flat],
                    "CL-29",
                    WARNING,
                    "Flat/unit details must not contain a PO box or street details.",
                )
            usi = row[i_usi].rstrip()
            if p := plausible.intoff_problem(usi, pc, st):
                self._issue(file_id, n, p.field, usi, p.rule, ERROR, p.message)
            if i_scs is not None:
                scs = row[i_scs]
                if scs == "A" and age is not None and age < s.survey_minor_age:
                    self._issue(
                        file_id,
                        n,
                        "survey_contact_status",
                        scs,
                        "CL-35",
                        WARNING,
                        f"Survey contact status is A but the client is {age}; clients under"
                        f" {s.survey_minor_age} are reported as M (minor).",
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
            return bad

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
                    bad = slow(n, row)
                cid = row[i_id]
                if "client_identifier" not in bad:
                    first = clients.get(cid)
                    if first is not None:
                        self._issue(
                            file_id,
                            n,
                            "client_identifier",
                            cid,
                            "CL-02",
                            ERROR,
                            f"Client identifier {show(cid)} appears again (first on line"
                            f" {first[0]}); report each client once.",
                        )
                    else:
                        clients[cid] = (
                            n, row[i_dis], row[i_pea], row[i_sch], row[i_pc], row[i_st],
                            row[i_usi].rstrip(),
                        )  # fmt: skip
                        dob_o = dates.get(row[i_dob])
                        if dob_o is not None:
                            client_dobs[cid] = dob_o
                    if register and cid.rstrip() == plausible.EXAMPLE_CLIENT:
                        fam, _c, giv = row[i_name].partition(",")
                        if p := plausible.example_row_problem(cid, fam, giv):
                            self._issue(file_id, n, p.field, cid, p.rule, ERROR, p.message)
                usi = row[i_usi].rstrip()
                if (
                    usi
                    and usi not in ("INTOFF", "INDIV")
                    and "unique_student_identifier" not in bad
                    and (other := usis.setdefault(usi, cid)) != cid
                ):
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
            yield lines, block
        self.counts[file_id] = count
