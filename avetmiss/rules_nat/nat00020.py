"""NAT00020 - delivery location (avetmiss-8.md §4.3): DL-01..DL-08 (DL-03, the TOID is in NAT00010,
and DL-04 are in :mod:`avetmiss.rules_nat.cross_file`)."""

from __future__ import annotations

from .. import codes
from ..issues import ERROR, WARNING
from .common import (
    _PO_BOX,
)


class DeliveryLocationRules:
    """Rules of NAT00020 (mixed into the Validator)."""

    def _f00020(self, file_id: str, blocks):
        """avetmiss-8.md §4.3, rules DL-01..DL-08. DL-05/DL-06 postcode and state agreement need the
        ``localities`` lookup; DL-07's SACC list the ``sacc`` code list. The 8.0 key is TOID +
        location id; 7.0 keys on the location id alone."""
        ix = self.layouts[file_id].index
        i_pc, i_st, i_sub, i_cty, i_name = (
            ix["postcode"],
            ix["state_identifier"],
            ix["address_location_suburb_locality_or_town"],
            ix["country_identifier"],
            ix["training_organisation_delivery_location_name"],
        )
        toids = self._parent("toids", "NAT00010", "NAT00010A")
        localities = self.lookup.has("localities")
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                if not bad & {
                    "training_organisation_identifier",
                    "training_organisation_delivery_location_identifier",
                }:
                    self.dl_02(file_id, n, row[0], row[1])
                    self.dl_03(file_id, n, row[0], toids)
                pc, st, cty = row[i_pc], row[i_st], row[i_cty]
                au = pc.isdigit() and pc != "0000"
                if "postcode" not in bad and "state_identifier" not in bad:
                    self.dl_05_dl_06(file_id, n, pc, st, au, localities)
                if "country_identifier" not in bad and "postcode" not in bad:
                    self.dl_07(file_id, n, pc, cty, au)
                self.dl_08(file_id, n, row[i_sub], row[i_name])
            yield lines, block
        self.counts[file_id] = count

    def dl_02(self, file_id: str, n: int, toid: str, loc: str) -> None:
        """DL-02 (§4.3) one record per location (8.0: TOID + location id; 7.0: location id)."""
        r7 = self.release == "7.0"
        key = (" " * 10 if r7 else toid) + loc
        first = self.locations.setdefault(key, n)
        if first != n:
            what = "Delivery location identifier" if r7 else "TOID + delivery location"
            shown = loc if r7 else f"{toid.rstrip()} {loc.rstrip()}"
            self._issue(
                file_id,
                n,
                "training_organisation_delivery_location_identifier",
                loc,
                "DL-02",
                ERROR,
                f"{what} {shown} appears again (first on line {first}); report each location once.",
            )

    def dl_05_dl_06(self, file_id: str, n: int, pc: str, st: str, au: bool, localities) -> None:
        """DL-06 (§4.3) OSPC goes with state 99 (or 09); with the ``localities`` lookup DL-05
        (a known delivery postcode) and DL-06 (the state fits the postcode)."""
        if pc == "OSPC" and st not in ("09", "99"):
            self._issue(
                file_id,
                n,
                "state_identifier",
                st,
                "DL-06",
                ERROR,
                f"State identifier {st} does not fit postcode OSPC (overseas); use 99"
                " (or 09 for other Australian territories).",
            )
        elif au and localities:
            locs = self._localities(pc)
            if not locs:
                self._issue(
                    file_id,
                    n,
                    "postcode",
                    pc,
                    "DL-05",
                    ERROR,
                    f"Postcode {pc} is not a known Australian delivery postcode (PO box"
                    " postcodes are not allowed for a training site).",
                )
            elif st not in {s for _, s in locs}:
                self._issue(
                    file_id,
                    n,
                    "state_identifier",
                    st,
                    "DL-06",
                    ERROR,
                    f"State identifier {st} does not match postcode {pc}.",
                )

    def dl_07(self, file_id: str, n: int, pc: str, cty: str, au: bool) -> None:
        """DL-07 (§4.3) the country fits the postcode (Australian codes for Australian
        postcodes, a SACC country for OSPC; on the SACC list with the ``sacc`` lookup)."""
        if au and cty not in codes.AUSTRALIAN_COUNTRY:
            self._issue(
                file_id,
                n,
                "country_identifier",
                cty,
                "DL-07",
                ERROR,
                f"Country identifier {cty} does not fit Australian postcode {pc}; use"
                " 1101 (Australia) or 1100/1102/1199 for external territories.",
            )
        elif pc == "OSPC" and cty in codes.AUSTRALIAN_COUNTRY:
            self._issue(
                file_id,
                n,
                "country_identifier",
                cty,
                "DL-07",
                ERROR,
                f"Country identifier {cty} is Australian but the postcode is OSPC"
                " (overseas); use the SACC code of the country.",
            )
        elif self._code_known("sacc", cty) is False:
            self._issue(
                file_id,
                n,
                "country_identifier",
                cty,
                "DL-07",
                ERROR,
                f"Country identifier {cty} is not a SACC country code.",
            )

    def dl_08(self, file_id: str, n: int, suburb: str, name: str) -> None:
        """DL-08 (§4.3) a physical training site, not a PO box (warning)."""
        if _PO_BOX.search(suburb) or _PO_BOX.search(name):
            self._issue(
                file_id,
                n,
                "address_location_suburb_locality_or_town",
                suburb,
                "DL-08",
                WARNING,
                "A delivery location must be the physical training site, not a PO box.",
            )
