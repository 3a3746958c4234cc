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
        vis = self.settings.submission_type == "vis"
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                pid, pname = row[0], row[1].rstrip()
                vet = row[ix["vet_flag"]] if full else "Y"
                if "program_identifier" not in bad:
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
                product = self._product(pid.rstrip()) if tga and pid.strip() else None
                if tga and pid.strip():
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
                            row[1],
                            "PR-04",
                            ERROR,
                            f"Program name {show(pname)} is not the training.gov.au title of"
                            f" {pid.rstrip()} ({product.title}).",
                        )
                if full:
                    rec = row[ix["program_recognition_identifier"]]
                    lvl = row[ix["program_level_of_education_identifier"]]
                    foe = row[ix["program_field_of_education_identifier"]]
                    anz = row[ix["anzsco_identifier"]]
                    if product is None:  # not on training.gov.au (or not known to be)
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
                    if "anzsco_identifier" not in bad and anz.strip():
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
                    if (
                        foe.strip()
                        and "program_field_of_education_identifier" not in bad
                        and self._code_known("asced_narrow", foe) is False
                    ):
                        self._issue(
                            file_id,
                            n,
                            "program_field_of_education_identifier",
                            foe,
                            "PR-07",
                            ERROR,
                            f"Program field of education identifier {foe} is not an ASCED"
                            " narrow field.",
                        )
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
                            f"Program recognition {rec} is not valid in a VET in Schools"
                            " submission.",
                        )
            yield lines, block
        self.counts[file_id] = count
