"""NAT00130 - program completed (avetmiss-8.md §4.11): PC-01..PC-12."""

from __future__ import annotations

import datetime as _dt

from .. import plausible
from ..dates import DATE_ORDINALS, add_years, date_ordinal, from_ordinal
from ..fieldchecks import show
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
        i_iss = ix["issued_flag"]
        i_pd, i_pn = ix.get("parchment_issue_date"), ix.get("parchment_number")
        toids = self._parent("toids", "NAT00010", "NAT00010A")
        programs = self._parent("programs", "NAT00030", "NAT00030A")
        clients = self._parent("clients", "NAT00080")
        completions = self.lookup.has("completions")
        o_oldest = add_years(self.o_pe, -self.settings.completion_max_years_back)
        count = 0
        for lines, block in blocks:
            for n, row in zip(lines, block, strict=True):
                count += 1
                bad = self._format(file_id, n, row)
                toid, prog, client, d = row[0], row[1], row[2], row[i_date]
                dname = lay.names[i_date]
                if "training_organisation_identifier" not in bad:
                    if toid not in toids:
                        self._issue(
                            file_id,
                            n,
                            "training_organisation_identifier",
                            toid,
                            "PC-01",
                            ERROR,
                            f"Training organisation identifier {show(toid)} is not in NAT00010.",
                        )
                    else:
                        self.toids_used.add(toid)
                if "program_identifier" not in bad:
                    p = programs.get(prog)
                    if prog not in programs:
                        self._issue(
                            file_id,
                            n,
                            "program_identifier",
                            prog,
                            "PC-02",
                            ERROR,
                            f"Program identifier {show(prog)} is not in NAT00030 or NAT00030A.",
                        )
                    elif p is not None and p[2] == "N":
                        self._issue(
                            file_id,
                            n,
                            "program_identifier",
                            prog,
                            "PC-08",
                            ERROR,
                            f"Program {prog.rstrip()} has VET flag N ({p[1]} line {p[0]}); programs"
                            " that are not vocational are not reported as completed.",
                        )
                    self.programs_used.add(prog)
                client_known = True
                if "client_identifier" not in bad:
                    if client not in clients:
                        client_known = False
                        self._issue(
                            file_id,
                            n,
                            "client_identifier",
                            client,
                            "PC-03",
                            ERROR,
                            f"Client identifier {show(client)} is not in NAT00080.",
                        )
                    self.clients_completed.add(client)
                    if dname not in bad and (
                        int(d) >= 2015 if r7 else DATE_ORDINALS.get(d, 0) >= _ORD_2015
                    ):
                        self.usi_needed.add(client)
                if dname not in bad:
                    if r7:
                        y = int(d)
                        in_year = y == self.collection_year
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
                        d_o = None
                    else:
                        d_o = date_ordinal(d)
                        in_year = d_o is not None and self.o_ys <= d_o <= self.o_ye
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
                                f"Date program completed {d} is more than"
                                f" {self.settings.completion_max_years_back} years before the end"
                                " of the collection period.",
                            )
                    if not bad & {"program_identifier", "client_identifier"}:
                        key = prog + client + d if not r7 else "".join(row[: len(lay.fields)])
                        first = self.completion_keys.setdefault(key, n)
                        if first != n:
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
                        if (
                            in_year
                            and client_known
                            and not self.partial
                            and client not in self.clients_active
                        ):
                            self._issue(
                                file_id,
                                n,
                                "client_identifier",
                                client,
                                "PC-09",
                                ERROR,
                                f"Client {client.rstrip()} completed {prog.rstrip()} in the"
                                " collection year but has no training activity (NAT00120) in this"
                                " submission; report the activity too.",
                            )
                        if d_o is not None:
                            st = self.client_programs.get(client + prog)
                            if st is not None and st[1] and d_o < st[1] and self.settings.register:
                                p = plausible.unit_after_completion_problem(
                                    "", _dt.date.fromordinal(st[1]),
                                    prog.rstrip(), _dt.date.fromordinal(d_o))  # fmt: skip
                                self._issue(file_id, n, dname, d, p.rule, ERROR, p.message)
                            elif st is not None and st[1] and d_o < st[1]:
                                self._issue(
                                    file_id,
                                    n,
                                    dname,
                                    d,
                                    "PC-11",
                                    WARNING,
                                    f"Date program completed {d} is before the client's last"
                                    f" activity end date for the program ({from_ordinal(st[1])}).",
                                )
                        if completions and self.lookup.completion_reported(
                            toid.rstrip(), prog.rstrip(), client.rstrip(), d
                        ):
                            self._issue(
                                file_id,
                                n,
                                RECORD,
                                key,
                                "PC-10",
                                ERROR,
                                "This completion was already reported in an earlier collection;"
                                " remove it.",
                            )
                if i_pd is not None:
                    pdate, pnum = row[i_pd], row[i_pn]
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
                    if row[i_iss] == "Y" and not pnum.strip():
                        self._issue(
                            file_id,
                            n,
                            "parchment_number",
                            pnum,
                            "PC-12",
                            WARNING,
                            "Parchment number should be given when the credential was issued"
                            " (issued flag Y).",
                        )
            yield lines, block
        self.counts[file_id] = count
