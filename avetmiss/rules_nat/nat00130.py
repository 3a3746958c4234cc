"""NAT00130 - program completed (avetmiss-8.md §4.11): PC-01..PC-12 (the checks against other
files, PC-01..PC-03, PC-08, PC-09 and PC-11, are in :mod:`avetmiss.rules_nat.cross_file`)."""

from __future__ import annotations

from ..dates import DATE_ORDINALS, add_years, date_ordinal
from ..issues import ERROR, RECORD, WARNING
from .common import (
    _ORD_2015,
)


class CompletionRules:
    """Rules of NAT00130 (mixed into the Validator)."""

    def _f00130(self, file_id: str, blocks):
        """avetmiss-8.md §4.11, PC-01..PC-12 (PC-13 is about content that files cannot show). PC-10
        needs the ``completions`` lookup."""
        lay = self.layouts[file_id]
        ix = lay.index
        r7 = self.release == "7.0"
        i_date = ix["year_program_completed" if r7 else "date_program_completed"]
        dname = lay.names[i_date]
        i_iss = ix["issued_flag"]
        i_pd, i_pn = ix.get("parchment_issue_date"), ix.get("parchment_number")
        toids = self._parent("toids", "NAT00010", "NAT00010A")
        programs = self._parent("programs", "NAT00030", "NAT00030A")
        clients = self._parent("clients", "NAT00080")
        nf = len(lay.fields)
        completions = self.lookup.has("completions")
        o_oldest = add_years(self.o_pe, -self.settings.completion_max_years_back)
        usi_needed = self.usi_needed
        parents = self._parents_130
        completion_keys, client_programs = self.completion_keys, self.client_programs
        active, check_active = self.clients_active, not self.partial
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                toid, prog, client, d = row[0], row[1], row[2], row[i_date]
                client_known = parents(
                    file_id, n, toid, prog, client, bad, toids, programs, clients
                )
                if (
                    "client_identifier" not in bad
                    and dname not in bad
                    and (int(d) >= 2015 if r7 else DATE_ORDINALS.get(d, 0) >= _ORD_2015)
                ):
                    usi_needed.add(client)
                if dname not in bad:
                    in_year, d_o = self.pc_05(file_id, n, dname, d, o_oldest)
                    if not bad & {"program_identifier", "client_identifier"}:
                        key = prog + client + d if not r7 else "".join(row[:nf])
                        first = completion_keys.setdefault(key, n)
                        if first != n:
                            self.pc_07(file_id, n, key, first)
                        if in_year and client_known and check_active and client not in active:
                            self.pc_09(file_id, n, client, prog)
                        st = client_programs.get(client + prog) if d_o is not None else None
                        if st is not None and st[1] and d_o < st[1]:
                            self.pc_11(file_id, n, dname, d, d_o, prog, st[1])
                        if completions:
                            self.pc_10(file_id, n, key, toid, prog, client, d)
                if i_pd is not None:
                    self.pc_12(file_id, n, row[i_pd], row[i_pn], row[i_iss], d, bad, dname)
            yield lines, block
        self.counts[file_id] = count

    def _parents_130(self, file_id, n, toid, prog, client, bad, toids, programs, clients) -> bool:
        """A NAT00130 row against its parent files (PC-01, PC-02, PC-08, PC-03; the rule
        methods are in :mod:`avetmiss.rules_nat.cross_file`) and the "used" bookkeeping of
        TO-03, PR-03 and CL-04 (``toids``, ``programs``, ``clients``: the parent key sets).
        Returns False when the client is not in NAT00080."""
        if "training_organisation_identifier" not in bad:
            if toid in toids:
                self.toids_used.add(toid)
            else:
                self.pc_01(file_id, n, toid)
        if "program_identifier" not in bad:
            p = programs.get(prog)
            if prog not in programs:
                self.pc_02(file_id, n, prog)
            elif p is not None and p[2] == "N":
                self.pc_08(file_id, n, prog, p)
            self.programs_used.add(prog)
        if "client_identifier" in bad:
            return True
        self.clients_completed.add(client)
        if client not in clients:
            self.pc_03(file_id, n, client)
            return False
        return True

    def pc_05(self, file_id, n, dname, d, o_oldest) -> tuple[bool, int | None]:
        """PC-05 (§4.11) the completion falls in the collection period or the years before it
        (8.0: ``settings.completion_max_years_back``; 7.0 years: the 10 years up to the
        collection year; ``o_oldest`` is the earliest day for 8.0). Returns (in the collection
        year, date ordinal or None for 7.0)."""
        if self.release == "7.0":
            y = int(d)
            if y > self.collection_year or y < self.collection_year - 10:
                self._issue(
                    file_id,
                    n,
                    dname,
                    d,
                    "PC-05",
                    ERROR,
                    f"Year program completed {d} must be within the 10 years up to the"
                    f" collection year {self.collection_year}.",
                )
            return y == self.collection_year, None
        d_o = date_ordinal(d)
        in_year = d_o is not None and self.o_ys <= d_o <= self.o_ye
        back = self.settings.completion_max_years_back
        if d_o is not None and d_o > self.o_pe:
            self._issue(
                file_id,
                n,
                dname,
                d,
                "PC-05",
                ERROR,
                f"Date program completed {d} is after the end of the collection"
                f" period ({self.period_end:%d%m%Y}).",
            )
        elif d_o is not None and d_o < o_oldest:
            self._issue(
                file_id,
                n,
                dname,
                d,
                "PC-05",
                ERROR,
                f"Date program completed {d} is more than {back} years before the end"
                " of the collection period.",
            )
        return in_year, d_o

    def pc_07(self, file_id, n, key, first) -> None:
        """PC-07 (§4.11) one completion per program, client and date (this one repeats line
        ``first``)."""
        self._issue(
            file_id,
            n,
            RECORD,
            key,
            "PC-07",
            ERROR,
            f"This completion repeats line {first} (same program, client and"
            " date); report it once.",
        )

    def pc_10(self, file_id, n, key, toid, prog, client, d) -> None:
        """PC-10 (§4.11, with the ``completions`` lookup) not already reported in an earlier
        collection."""
        if self.lookup.completion_reported(toid.rstrip(), prog.rstrip(), client.rstrip(), d):
            self._issue(
                file_id,
                n,
                RECORD,
                key,
                "PC-10",
                ERROR,
                "This completion was already reported in an earlier collection; remove it.",
            )

    def pc_12(self, file_id, n, pdate, pnum, issued, d, bad, dname) -> None:
        """PC-12 (§4.11) parchment issue date not before the completion; a parchment number
        when the credential was issued (warnings)."""
        if "parchment_issue_date" not in bad and pdate.strip() and dname not in bad:
            p_o = date_ordinal(pdate)
            c_o = date_ordinal(d)
            if p_o is not None and c_o is not None and p_o < c_o:
                self._issue(
                    file_id,
                    n,
                    "parchment_issue_date",
                    pdate,
                    "PC-12",
                    WARNING,
                    f"Parchment issue date {pdate} is before the completion date {d}.",
                )
        if issued == "Y" and not pnum.strip():
            self._issue(
                file_id,
                n,
                "parchment_number",
                pnum,
                "PC-12",
                WARNING,
                "Parchment number should be given when the credential was issued (issued flag Y).",
            )
