"""NAT00085 - client contact details (avetmiss-8.md §4.7): CC-01..CC-11 (the checks
against NAT00080, CC-01, CC-02 and CC-11, are in :mod:`avetmiss.rules_nat.cross_file`)."""

from __future__ import annotations

from .. import codes
from ..fieldchecks import _email_ok, show
from ..issues import ERROR, WARNING
from .common import (
    _EMPTY,
    _NOT_SPECIFIED,
    _POSTCODES,
    _mobile_ok,
    _phone_ok,
)


class ContactRules:
    """Rules of NAT00085 (mixed into the Validator)."""

    def _f00085(self, file_id: str, blocks):
        """avetmiss-8.md §4.7, CC-01..CC-11 (CC-02 at the end). CC-05/CC-06 locality checks need
        ``localities``."""
        ix = self.layouts[file_id].index
        clients = self._parent("clients", "NAT00080")
        localities = self.lookup.has("localities")
        fast = self.release == "8.0" and not self._force_slow and not localities
        b4, b15, b20, b22, b30, b40, b50, b70, b80 = (
            " " * k for k in (4, 15, 20, 22, 30, 40, 50, 70, 80)
        )
        aus = codes.STATE_AUSTRALIAN
        nat85 = self.nat85

        slow = self._slow_85

        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                if fast:
                    (
                        cid, title, given, family, bld, flat, sno, sna, box, sub, pc, st, ph_h,
                        ph_w, mob, em, em2, _extra,
                    ) = row  # fmt: skip
                if (
                    fast
                    and cid[0] not in " @"
                    and " " not in cid.rstrip()
                    and (info := clients.get(cid)) is not None
                    and (title == b4 or title[0] not in " @")
                    and (given == b40 or given[0] not in " @")
                    and family[0] not in " @"
                    and (bld == b50 or bld[0] not in " @")
                    and (flat == b30 or flat[0] not in " @")
                    and (sno == b15 or (sno[0] not in " @" and sna != b70))
                    and (box == b22 or box[0] not in " @")
                    and (sna[0] not in " @" or (sna == b70 and box != b22))
                    and sub[0] not in " @"
                    and pc in _POSTCODES
                    and st in aus
                    and info[5] in aus
                    and info[4] != "OSPC"
                    and (ph_h == b20 or _phone_ok(ph_h))
                    and (ph_w == b20 or _phone_ok(ph_w))
                    and (mob == b20 or _mobile_ok(mob))
                    and (em == b80 or _email_ok(em.rstrip()))
                    and (em2 == b80 or _email_ok(em2.rstrip()))
                ):
                    bad = _EMPTY
                else:
                    bad = slow(file_id, n, row, ix, clients)
                if "client_identifier" not in bad:
                    cid = row[0]
                    self._dup(
                        file_id, n, "client_identifier", cid, nat85, cid, "CC-01",
                        "Client identifier",
                    )  # fmt: skip
            yield lines, block
        self.counts[file_id] = count

    def _slow_85(self, file_id: str, n: int, row: tuple, ix: dict, clients):
        """Complete row checks of a NAT00085 record; the names of fields with a problem."""
        bad = self._format(file_id, n, row)
        cid = row[0]
        if "client_identifier" not in bad and cid not in clients:
            self.cc_01(file_id, n, cid)
        pc, st = row[ix["postcode"]], row[ix["state_identifier"]]
        sub = row[ix["address_postal_suburb_locality_or_town"]].rstrip()
        self.cc_04(file_id, n, pc, sub)
        self.cc_05_cc_06(file_id, n, pc, st, sub, bad)
        self.cc_07(
            file_id,
            n,
            row[ix["address_street_number"]],
            row[ix["address_street_name"]],
            row[ix["address_postal_delivery_box"]],
        )
        info = clients.get(cid)
        if info is not None:
            self.cc_11(file_id, n, pc, st, info)
        return bad

    def cc_04(self, file_id: str, n: int, pc: str, sub: str) -> None:
        """CC-04 (§4.7) postal suburb 'Not specified' for the special postcodes."""
        if pc in ("OSPC", "@@@@", "0000") and sub and sub.upper() != _NOT_SPECIFIED:
            self._issue(
                file_id,
                n,
                "address_postal_suburb_locality_or_town",
                sub,
                "CC-04",
                WARNING,
                f"Postal suburb should be 'Not specified' when the postcode is {pc}.",
            )

    def cc_05_cc_06(self, file_id: str, n: int, pc: str, st: str, sub: str, bad) -> None:
        """CC-06 (§4.7) OSPC is not an Australian state; with the ``localities`` lookup CC-05
        (postcode and suburb known) and CC-06 (state fits the postcode)."""
        if pc == "OSPC" and st in codes.STATE_AUSTRALIAN:
            self._issue(
                file_id,
                n,
                "state_identifier",
                st,
                "CC-06",
                ERROR,
                f"State identifier {st} is an Australian state but the postcode is OSPC;"
                " use 99 for an overseas address.",
            )
            return
        if not (
            self.lookup.has("localities")
            and pc.isdigit()
            and pc != "0000"
            and not bad & {"postcode", "state_identifier"}
        ):
            return
        locs = self._localities(pc)
        if not locs:
            self._issue(
                file_id,
                n,
                "postcode",
                pc,
                "CC-05",
                ERROR,
                f"Postcode {pc} is not a known Australian postcode.",
            )
            return
        if sub and sub.upper() not in {loc for loc, _ in locs}:
            self._issue(
                file_id,
                n,
                "address_postal_suburb_locality_or_town",
                sub,
                "CC-05",
                ERROR,
                f"Postal suburb {show(sub)} is not a locality of postcode {pc}.",
            )
        if st != "@@" and st not in {x for _, x in locs}:
            self._issue(
                file_id,
                n,
                "state_identifier",
                st,
                "CC-06",
                ERROR,
                f"State identifier {st} does not match postcode {pc}.",
            )

    def cc_07(self, file_id: str, n: int, sno_raw: str, sna_raw: str, box_raw: str) -> None:
        """CC-07 (§4.7) a street name or a postal delivery box; a street name with a number."""
        sno, sna, box = sno_raw.strip(), sna_raw.strip(), box_raw.strip()
        if not sna and not box:
            self._issue(
                file_id,
                n,
                "address_street_name",
                sna_raw,
                "CC-07",
                ERROR,
                "Street name must not be blank when there is no postal delivery box; give"
                " one of them.",
            )
        elif sno and not sna:
            self._issue(
                file_id,
                n,
                "address_street_name",
                sna_raw,
                "CC-07",
                ERROR,
                "Street name must not be blank when a street number is given.",
            )
