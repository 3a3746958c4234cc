"""NAT00090 disability (avetmiss-8.md §4.8, DI-01..DI-04) and NAT00100 prior educational
achievement (§4.9, PE-01..PE-04): two lists of codes per client, checked alike. DI-05 is in
:mod:`avetmiss.rules_nat.cross_file`."""

from __future__ import annotations

from ..fieldchecks import show
from ..issues import ERROR


class ClientListRules:
    """Rules of NAT00090 and NAT00100 (mixed into the Validator)."""

    def _f00090(self, file_id: str, blocks):
        """avetmiss-8.md §4.8, DI-01..DI-05 (DI-05 at the end)."""
        return self._client_list(file_id, blocks, "DI", "disability_flag", 1, "Disability")

    def _f00100(self, file_id: str, blocks):
        """avetmiss-8.md §4.9, PE-01..PE-04."""
        return self._client_list(
            file_id,
            blocks,
            "PE",
            "prior_educational_achievement_flag",
            2,
            "Prior educational achievement",
        )

    def _client_list(self, file_id, blocks, prefix, flag_name, flag_pos, what):
        clients = self._parent("clients", "NAT00080")
        seen: dict[str, int] = {}
        store = self.disabilities if prefix == "DI" else None
        field2 = self.layouts[file_id].names[1]
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                cid, code = row[0], row[1]
                if not bad:
                    self._dup(
                        file_id,
                        n,
                        field2,
                        code,
                        seen,
                        cid + code,
                        f"{prefix}-02",
                        f"{what} record for client {cid.rstrip()} with code",
                    )
                if "client_identifier" not in bad:
                    info = clients.get(cid)
                    if cid not in clients:
                        self._issue(
                            file_id,
                            n,
                            "client_identifier",
                            cid,
                            f"{prefix}-03",
                            ERROR,
                            f"Client identifier {show(cid)} is not in NAT00080.",
                        )
                    elif info is not None and info[flag_pos] != "Y":
                        self._issue(
                            file_id,
                            n,
                            "client_identifier",
                            cid,
                            f"{prefix}-04",
                            ERROR,
                            f"Client {cid.rstrip()} has {what.lower()} records but their"
                            f" {flag_name.replace('_', ' ')} in NAT00080 is {info[flag_pos]!r};"
                            " set the flag to Y or remove these records.",
                        )
                    if store is not None:
                        store.setdefault(cid, {}).setdefault(code, n)
                    else:
                        self.prior_ed.add(cid)
            yield lines, block
        self.counts[file_id] = count
