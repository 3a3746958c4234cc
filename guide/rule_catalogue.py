"""The rules catalogue: every rule id a submission report can show, with its own page.

Generated from the engines' own tables, never copied:

* the AVETMISS rules of the NAT engine (``avetmiss.rules.RULES``, avetmiss-8.md §4, with the
  files of their section, how the portal checks them and ``avetmiss.fix_hints``);
* the record rules every door applies (``avetmiss.plausible.CATALOGUE``: the CQR-1x ids, and
  the AVETMISS ids that hand entry and the template check too);
* the CQR template's own rules (``achievements.ingest.TEMPLATE_RULES`` and the template's
  wording of every hint, ``TEMPLATE_HINTS``);
* the register rules (``achievements.register_rules.RULES``);
* the User Choice claim checks (payment-rules.md §2: ``pqs_claims.pipeline.FIX_HINTS``, their
  meaning in ``core.glossary``; the residential locality check is the one warning,
  ``pqs_claims.sql.rules_sql.WARNINGS``).

``tests/guide/test_rules_catalogue.py`` checks that every id of these tables has an entry and
a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from achievements import register_rules
from achievements.ingest import TEMPLATE_HINTS, TEMPLATE_RULES
from avetmiss import fix_hints, plausible
from avetmiss.rules import RULES, rule_files
from core import glossary
from pqs_claims.pipeline import FIX_HINTS as CLAIM_FIX_HINTS
from pqs_claims.sql.rules_sql import WARNINGS as CLAIM_WARNINGS

__all__ = ["GROUPS", "CatalogueRule", "catalogue", "rule_get", "rules_by_group"]

#: The catalogue's groups, in the order the rules page lists them.
GROUPS = {
    "record": "What cannot be true (every door)",
    "avetmiss": "AVETMISS 8.0 rules (NAT files)",
    "template": "CQR template rules (CSV and Excel uploads)",
    "register": "Register rules (checked against the permanent register)",
    "claim": "User Choice claim checks (Pre-Qualified Suppliers)",
}
SEVERITIES = {
    "E": "error",
    "W": "warning",
    "E/W": "error or warning",
    "-": "warning",
}
_STATUS = {
    "implemented": "Checked from the NAT files",
    "ref": "Checked with the portal's reference data",
    "partial": "Partly checked",
    "not implemented": "Not checked (the files cannot show it)",
    "alias": "Reported under another rule",
}


@dataclass
class CatalogueRule:
    id: str
    group: str
    severity: str  # error, warning, "error or warning"
    summary: str  # what the rule reports
    fix: str  # how to fix it
    files: tuple[str, ...] = ()  # the NAT files it checks; () for every file
    section: str = ""  # avetmiss-8.md §4 section
    checked: str = ""  # how the portal checks it
    template_fix: str = ""  # how to fix it in a CQR template upload, when worded apart
    every_door: str = ""  # what hand entry, the template and NAT files all refuse
    also: list[str] = field(default_factory=list)  # further groups it belongs to

    @property
    def group_label(self) -> str:
        return GROUPS[self.group]


def _avetmiss() -> list[CatalogueRule]:
    out = []
    for r in RULES.values():
        checked = _STATUS.get(r.status, r.status)
        out.append(
            CatalogueRule(
                id=r.id,
                group="avetmiss",
                severity=SEVERITIES.get(r.severity, r.severity),
                summary=r.summary,
                fix=fix_hints.hint_for(r.id),
                files=rule_files(r.id),
                section=r.section if r.section != "-" else "",
                checked=f"{checked}: {r.note}" if r.note else checked,
            )
        )
    return out


@cache
def catalogue() -> dict[str, CatalogueRule]:
    """Every rule id, keyed by id, in the order of :data:`GROUPS` (then the tables' own)."""
    rules = {r.id: r for r in _avetmiss()}
    record = []
    for ids, what, fix in plausible.CATALOGUE:
        for rule_id in ids.split("/"):
            if rule_id in rules:
                rules[rule_id].every_door = what
                rules[rule_id].also.append("record")
            else:
                record.append(CatalogueRule(rule_id, "record", "error", what, fix))
    for rule_id, what in TEMPLATE_RULES.items():
        record.append(CatalogueRule(rule_id, "template", "error", what, TEMPLATE_HINTS[rule_id]))
    for r in (*record, *(rules.values())):
        hint = TEMPLATE_HINTS.get(r.id, "")
        if r.group != "template" and hint and hint != r.fix:
            r.template_fix = hint
    for r in register_rules.RULES:
        record.append(CatalogueRule(r.id, "register", r.severity, r.message, r.hint))
    for code, fix in CLAIM_FIX_HINTS.items():
        severity = "warning" if f"'{code}'" in CLAIM_WARNINGS else "error"
        what = glossary.detail(code, "claim_check")
        record.append(CatalogueRule(code, "claim", severity, what, fix))
    everything = [*record, *rules.values()]
    order = list(GROUPS)
    everything.sort(key=lambda r: order.index(r.group))
    return {r.id: r for r in everything}


def rule_get(rule_id: str) -> CatalogueRule:
    """One rule; ``KeyError`` for an id the portal does not have."""
    return catalogue()[rule_id]


def rules_by_group() -> list[tuple[str, str, list[CatalogueRule]]]:
    """(group, its title, its rules) in page order; a rule that is also a record rule is
    listed in both groups."""
    out = []
    for group, title in GROUPS.items():
        rules = [r for r in catalogue().values() if r.group == group or group in r.also]
        out.append((group, title, rules))
    return out
