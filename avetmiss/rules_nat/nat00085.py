"""NAT00085 - client contact details (avetmiss-8.md §4.7): CC-01..CC-11 (CC-02 in
:mod:`avetmiss.rules_nat.cross_file`)."""

from __future__ import annotations

from .. import codes as C
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
        i_sno, i_sna, i_box = (
            ix["address_street_number"],
            ix["address_street_name"],
            ix["address_postal_delivery_box"],
        )
        i_sub, i_pc, i_st = (
            ix["address_postal_suburb_locality_or_town"],
            ix["postcode"],
            ix["state_identifier"],
        )
        clients = self._parent("clients", "NAT00080")
        localities = self.lookup.has("localities")
        fast = self.release == "8.0" and not self._force_slow and not localities
        b4, b15, b20, b22, b30, b40, b50, b70, b80 = (
            " " * k for k in (4, 15, 20, 22, 30, 40, 50, 70, 80)
        )
        aus = C.STATE_AUSTRALIAN
        nat85 = self.nat85

        def slow(n: int, row: tuple) -> frozenset[str] | set[str]:
            bad = self._format(file_id, n, row)
            cid = row[0]
            if "client_identifier" not in bad and cid not in clients:
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
            pc, st = row[i_pc], row[i_st]
            sub = row[i_sub].rstrip()
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
            if pc == "OSPC" and st in C.STATE_AUSTRALIAN:
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
            elif (
                localities
                and pc.isdigit()
                and pc != "0000"
                and not bad & {"postcode", "state_identifier"}
            ):
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
                else:
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
            sno, sna, box = row[i_sno].strip(), row[i_sna].strip(), row[i_box].strip()
            if not sna and not box:
                self._issue(
                    file_id,
                    n,
                    "address_street_name",
                    row[i_sna],
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
                    row[i_sna],
                    "CC-07",
                    ERROR,
                    "Street name must not be blank when a street number is given.",
                )
            info = clients.get(cid)
            if info is not None:
                over80 = info[4] == "OSPC" or info[5] == "99"
                if (over80 and st in C.STATE_AUSTRALIAN) or (
                    not over80 and info[5] in C.STATE_AUSTRALIAN and (pc == "OSPC" or st == "99")
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
            return bad

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
                    bad = slow(n, row)
                if "client_identifier" not in bad:
                    cid = row[0]
                    self._dup(
                        file_id, n, "client_identifier", cid, nat85, cid, "CC-01",
                        "Client identifier",
                    )  # fmt: skip
            yield lines, block
        self.counts[file_id] = count
