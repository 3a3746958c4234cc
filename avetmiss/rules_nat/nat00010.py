"""NAT00010 / NAT00010A - training organisation (avetmiss-8.md §4.2): TO-01..TO-12."""

from __future__ import annotations

import re

from ..fieldchecks import show
from ..issues import ERROR, WARNING


class TrainingOrganisationRules:
    """Rules of the training organisation files (mixed into the Validator)."""

    def _f00010(self, file_id: str, blocks):
        return self._training_org(file_id, blocks)

    def _f00010a(self, file_id: str, blocks):
        return self._training_org(file_id, blocks)

    def _training_org(self, file_id: str, blocks):
        """avetmiss-8.md §4.2, rules TO-01..TO-12 (texts in :mod:`avetmiss.rules`). TO-05 needs the
        ``rtos`` lookup; TO-06 needs ``settings.expected_toid``. 8.0 NAT00010 is for organisations
        on training.gov.au and NAT00010A for the others; a 7.0 NAT00010 has the full (10A)
        layout."""
        ix = self.layouts[file_id].index
        full = "address_first_line" in ix
        expected = self.settings.expected_toid
        rtos = self.lookup.has("rtos")
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                toid = row[0]
                if "training_organisation_identifier" not in bad:
                    if not self._dup(
                        file_id,
                        n,
                        "training_organisation_identifier",
                        toid,
                        self.toids,
                        toid,
                        "TO-02",
                        "Training organisation identifier",
                    ):
                        self.toid_files[toid] = file_id
                    if expected is not None:
                        self.to_06(file_id, n, toid, expected)
                    if rtos:
                        self.to_05(file_id, n, toid, row[1])
                self.to_04(file_id, n, row[1])
                if full:
                    self.to_10(file_id, n, row, ix)
            yield lines, block
        self.counts[file_id] = count

    def to_06(self, file_id: str, n: int, toid: str, expected: str) -> None:
        """TO-06 (§4.2) the TOID is the submitting organisation's (``settings.expected_toid``)."""
        tid = toid.rstrip()
        if tid != expected:
            self._issue(
                file_id,
                n,
                "training_organisation_identifier",
                toid,
                "TO-06",
                ERROR,
                f"Training organisation identifier {tid} is not {expected}, the"
                " organisation this submission belongs to.",
            )

    def to_05(self, file_id: str, n: int, toid: str, name_raw: str) -> None:
        """TO-05 (§4.2, ``rtos`` lookup) NAT00010 organisations are on training.gov.au (under
        their registered name), NAT00010A organisations are not."""
        tid, name = toid.rstrip(), name_raw.rstrip()
        r = self.lookup.rto(tid)
        if file_id == "NAT00010A" and r is not None:
            self._issue(
                file_id,
                n,
                "training_organisation_identifier",
                toid,
                "TO-05",
                ERROR,
                f"{tid} is a training.gov.au code; organisations on training.gov.au"
                " report NAT00010, and others must not reuse a TGA code.",
            )
        elif file_id == "NAT00010" and r is None and self.release == "8.0":
            self._issue(
                file_id,
                n,
                "training_organisation_identifier",
                toid,
                "TO-05",
                ERROR,
                f"Training organisation identifier {tid} is not on training.gov.au;"
                " organisations not on training.gov.au report NAT00010A instead.",
            )
        elif r is not None and name and name.upper() not in {x.upper() for x in r.names}:
            self._issue(
                file_id,
                n,
                "training_organisation_name",
                name_raw,
                "TO-05",
                ERROR,
                f"Training organisation name {show(name)} is not the registered"
                f" name of {tid} (expected {' or '.join(sorted(r.names))}).",
            )

    def to_04(self, file_id: str, n: int, name_raw: str) -> None:
        """TO-04 (§4.2) the name is not an acronym (a heuristic warning)."""
        name = name_raw.rstrip()
        if name and " " not in name and name.isupper() and len(name) <= 6:
            self._issue(
                file_id,
                n,
                "training_organisation_name",
                name_raw,
                "TO-04",
                WARNING,
                f"Training organisation name {name} looks like an acronym; report the full"
                " legal or trading name as on training.gov.au.",
            )

    def to_10(self, file_id: str, n: int, row: tuple, ix: dict) -> None:
        """TO-10 (§4.2) the address lines hold neither the suburb nor the postcode (warning)."""
        pc = row[ix["postcode"]].rstrip()
        addr = row[ix["address_first_line"]] + row[ix["address_second_line"]]
        if len(pc) == 4 and pc.isdigit() and re.search(rf"\b{pc}\b", addr):
            self._issue(
                file_id,
                n,
                "address_first_line",
                row[ix["address_first_line"]],
                "TO-10",
                WARNING,
                "Address lines must not contain the suburb or postcode; put them in"
                " their own fields.",
            )
