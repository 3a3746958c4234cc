"""NAT00030 / NAT00030A - program (avetmiss-8.md §4.4): PR-01..PR-10."""

from __future__ import annotations

from ..fieldchecks import show
from ..issues import ERROR
from .common import (
    _HIGHER_LEVELS,
    _SKILL_SETS,
)


class ProgramRules:
    """Rules of the program files (mixed into the Validator)."""

    def _f00030(self, file_id: str, blocks):
        return self._program(file_id, blocks)

    def _f00030a(self, file_id: str, blocks):
        return self._program(file_id, blocks)

    def _program(self, file_id: str, blocks):
        """avetmiss-8.md §4.4, rules PR-01..PR-10 (PR-11 is FMT-05). PR-04 needs the
        ``training_products`` lookup; with it, a NAT00030A program found on training.gov.au is
        treated as a TGA program (its classification fields may be blank). 8.0 NAT00030 holds
        training.gov.au programs only."""
        ix = self.layouts[file_id].index
        full = "vet_flag" in ix
        tga = self.lookup.has("training_products")
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                pid = row[0]
                vet = row[ix["vet_flag"]] if full else "Y"
                if "program_identifier" not in bad:
                    self.pr_02(file_id, n, pid, vet)
                product = None
                if tga and pid.strip():
                    product = self._product(pid.rstrip())
                    self.pr_04(file_id, n, pid, row[1], product, full)
                if full:
                    self._classification(file_id, n, row, ix, vet, product, bad)
            yield lines, block
        self.counts[file_id] = count

    def _classification(self, file_id, n, row, ix, vet, product, bad) -> None:
        """The classification rules of a full (NAT00030A, or 7.0) program record."""
        rec = row[ix["program_recognition_identifier"]]
        lvl = row[ix["program_level_of_education_identifier"]]
        foe = row[ix["program_field_of_education_identifier"]]
        anz = row[ix["anzsco_identifier"]]
        if product is None:  # not on training.gov.au (or not known to be)
            self.pr_05_to_pr_08(file_id, n, rec, lvl, foe, anz)
        if "anzsco_identifier" not in bad and anz.strip():
            self.pr_08(file_id, n, anz)
        if foe.strip() and "program_field_of_education_identifier" not in bad:
            self.pr_07(file_id, n, foe)
        vis = self.settings.submission_type == "vis"
        if vis and vet == "N":
            self._issue(
                file_id,
                n,
                "vet_flag",
                vet,
                "PR-09",
                ERROR,
                "VET flag must be Y in a VET in Schools submission.",
            )
        self.pr_10(file_id, n, rec, lvl, vis, bad)

    def pr_02(self, file_id: str, n: int, pid: str, vet: str) -> None:
        """PR-02 (§4.4) one record per program across NAT00030 and NAT00030A."""
        first = self.programs.get(pid)
        if first is not None:
            self._issue(
                file_id,
                n,
                "program_identifier",
                pid,
                "PR-02",
                ERROR,
                f"Program identifier {show(pid)} appears again (first on line"
                f" {first[0]} of {first[1]}); report each program once.",
            )
        else:
            self.programs[pid] = (n, file_id, vet)

    def pr_04(self, file_id: str, n: int, pid: str, name: str, product, full: bool) -> None:
        """PR-04 (§4.4, ``training_products`` lookup) a NAT00030 program is on training.gov.au
        and carries its title."""
        pname = name.rstrip()
        if product is None and not full:
            self._issue(
                file_id,
                n,
                "program_identifier",
                pid,
                "PR-04",
                ERROR,
                f"Program {pid.rstrip()} is not on training.gov.au; report local"
                " programs and skill sets in NAT00030A.",
            )
        elif product is not None and pname and pname.upper() != product.title.upper():
            self._issue(
                file_id,
                n,
                "program_name",
                name,
                "PR-04",
                ERROR,
                f"Program name {show(pname)} is not the training.gov.au title of"
                f" {pid.rstrip()} ({product.title}).",
            )

    def pr_05_to_pr_08(self, file_id, n, rec, lvl, foe, anz) -> None:
        """PR-05..PR-08 (§4.4) a program not on training.gov.au gives its recognition, level,
        field of education and ANZSCO (skill sets, recognition 13 or 16, may leave the last
        three blank)."""
        skill = rec in _SKILL_SETS
        for fname, val, rule, what, exempt in (
            ("program_recognition_identifier", rec, "PR-05", "recognition", False),
            ("program_level_of_education_identifier", lvl, "PR-06", "level", skill),
            ("program_field_of_education_identifier", foe, "PR-07", "field", skill),
            ("anzsco_identifier", anz, "PR-08", "ANZSCO", skill),
        ):
            if not val.strip() and not exempt:
                self._issue(
                    file_id,
                    n,
                    fname,
                    val,
                    rule,
                    ERROR,
                    f"Program {what} identifier must not be blank for a program"
                    " that is not on training.gov.au (only skill sets,"
                    " recognition 13 or 16, may leave level, field and ANZSCO"
                    " blank).",
                )

    def pr_08(self, file_id: str, n: int, anz: str) -> None:
        """PR-08 (§4.4) an ANZSCO occupation code (100000-899999; on the list with the
        ``anzsco`` lookup)."""
        if not 100000 <= int(anz) <= 899999:
            self._issue(
                file_id,
                n,
                "anzsco_identifier",
                anz,
                "PR-08",
                ERROR,
                f"ANZSCO identifier {anz} is not an ANZSCO occupation code"
                " (100000-899999; pad higher-level codes with zeros on the right).",
            )
        elif self._code_known("anzsco", anz) is False:
            self._issue(
                file_id,
                n,
                "anzsco_identifier",
                anz,
                "PR-08",
                ERROR,
                f"ANZSCO identifier {anz} is not on the ANZSCO list.",
            )

    def pr_07(self, file_id: str, n: int, foe: str) -> None:
        """PR-07 (§4.4, ``asced_narrow`` lookup) the field of education is an ASCED narrow
        field."""
        if self._code_known("asced_narrow", foe) is False:
            self._issue(
                file_id,
                n,
                "program_field_of_education_identifier",
                foe,
                "PR-07",
                ERROR,
                f"Program field of education identifier {foe} is not an ASCED narrow field.",
            )

    def pr_10(self, file_id: str, n: int, rec: str, lvl: str, vis: bool, bad) -> None:
        """PR-10 (§4.4) recognition 15 needs a higher-level level of education; 15 and 16 are
        not valid in a VET in Schools submission."""
        if (
            rec == "15"
            and "program_level_of_education_identifier" not in bad
            and lvl not in _HIGHER_LEVELS
        ):
            self._issue(
                file_id,
                n,
                "program_level_of_education_identifier",
                lvl,
                "PR-10",
                ERROR,
                f"Program recognition 15 (higher-level qualification) needs a level"
                f" of education from 211 to 421, not {show(lvl)}.",
            )
        if vis and rec in ("15", "16"):
            self._issue(
                file_id,
                n,
                "program_recognition_identifier",
                rec,
                "PR-10",
                ERROR,
                f"Program recognition {rec} is not valid in a VET in Schools submission.",
            )
