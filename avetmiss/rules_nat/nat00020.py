"""NAT00020 - delivery location (avetmiss-8.md §4.3): DL-01..DL-08."""

from __future__ import annotations

from .. import codes as C
from ..fieldchecks import show
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
        r7 = self.release == "7.0"
        b10 = " " * 10
        localities = self.lookup.has("localities")
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                toid, loc = row[0], row[1]
                key = (b10 if r7 else toid) + loc
                if not bad & {
                    "training_organisation_identifier",
                    "training_organisation_delivery_location_identifier",
                }:
                    what = "Delivery location identifier" if r7 else "TOID + delivery location"
                    shown = loc if r7 else f"{toid.rstrip()} {loc.rstrip()}"
                    first = self.locations.setdefault(key, n)
                    if first != n:
                        self._issue(
                            file_id,
                            n,
                            "training_organisation_delivery_location_identifier",
                            loc,
                            "DL-02",
                            ERROR,
                            f"{what} {shown} appears again (first on line {first}); report each"
                            " location once.",
                        )
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
                pc, st, cty = row[i_pc], row[i_st], row[i_cty]
                au = pc.isdigit() and pc != "0000"
                if "postcode" not in bad and "state_identifier" not in bad:
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
                if "country_identifier" not in bad and "postcode" not in bad:
                    if au and cty not in C.AUSTRALIAN_COUNTRY:
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
                    elif pc == "OSPC" and cty in C.AUSTRALIAN_COUNTRY:
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
                if _PO_BOX.search(row[i_sub]) or _PO_BOX.search(row[i_name]):
                    self._issue(
                        file_id,
                        n,
                        "address_location_suburb_locality_or_town",
                        row[i_sub],
                        "DL-08",
                        WARNING,
                        "A delivery location must be the physical training site, not a PO box.",
                    )
            yield lines, block
        self.counts[file_id] = count
