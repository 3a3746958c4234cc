"""Unique Student Identifier format check (avetmiss-8.md §6, rules CL-30/CL-31/CL-32).

A USI is exactly 10 characters from the 32-symbol alphabet ``23456789ABCDEFGHJKLMNPQRSTUVWXYZ``
(no 0, 1, I, O; upper case only). The 10th character is a Luhn mod-N check character with
N = 32 over the first nine: walk them right to left with factors 2, 1, 2, 1, ..., add the base-32
digit sum of each product (``p // 32 + p % 32``), and the check index is
``(32 - sum % 32) % 32``.

The USI field may instead hold an exemption code (§6): ``INTOFF`` (international student
studying offshore; AVS requires postcode ``OSPC``, state ``99`` and funding source ``32``) or
``INDIV`` (individual exemption granted by the Registrar). Exemption codes are tested first
because they do not pass the check-character test.

Format validity is not existence: RTOs must still verify a USI with the USI Registry (CL-33).
"""

from __future__ import annotations

__all__ = [
    "USI_ALPHABET",
    "USI_EXEMPTIONS",
    "is_valid_usi",
    "usi_check_character",
    "usi_ok_fast",
    "usi_problem",
]

USI_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
USI_EXEMPTIONS = frozenset({"INTOFF", "INDIV"})

_INDEX = {c: i for i, c in enumerate(USI_ALPHABET)}
# Folded contribution of a symbol for factor 1 and factor 2, precomputed.
_F1 = dict(_INDEX)
_F2 = {c: (2 * i) // 32 + (2 * i) % 32 for c, i in _INDEX.items()}


def usi_check_character(first_nine: str) -> str:
    """The check character for nine USI symbols (``KeyError`` if one is not in the alphabet)."""
    total = 0
    double = True  # the rightmost of the nine gets factor 2
    for c in reversed(first_nine):
        total += _F2[c] if double else _F1[c]
        double = not double
    return USI_ALPHABET[(32 - total % 32) % 32]


def is_valid_usi(value: str, *, allow_exemptions: bool = True) -> bool:
    """True for a well-formed USI (or, by default, an exemption code)."""
    return usi_problem(value, allow_exemptions=allow_exemptions) is None


def usi_problem(value: str, *, allow_exemptions: bool = True) -> str | None:
    """None when ``value`` is a well-formed USI; otherwise a plain-English reason."""
    if allow_exemptions and value in USI_EXEMPTIONS:
        return None
    if len(value) != 10:
        return f"is {len(value)} characters long; a USI has exactly 10"
    if any(c.islower() for c in value):
        # The USI is case-sensitive and always upper case (avetmiss-8.md §1 item 10).
        return "contains lower-case letters; a USI is always upper case"
    bad = [c for c in value if c not in _INDEX]
    if bad:
        shown = ", ".join(repr(c) for c in dict.fromkeys(bad))
        return (
            f"contains {shown}, which a USI never uses (the digits 0 and 1 and the letters"
            " I and O are excluded, and letters are upper case)"
        )
    if usi_check_character(value[:9]) != value[9]:
        return "fails the USI check-character test (it has probably been mistyped)"
    return None


# Contribution of each pair of positions (0-1, 2-3, 4-5, 6-7: factors 2 then 1) and of
# position 8 (factor 2), so a check needs five dict lookups instead of a Python loop.
_PAIR = {a + b: _F2[a] + _F1[b] for a in USI_ALPHABET for b in USI_ALPHABET}
_CHECK = {t: USI_ALPHABET[(32 - t % 32) % 32] for t in range(32 * 10)}


def usi_ok_fast(value: str) -> bool:
    """Same answer as ``usi_problem(value, allow_exemptions=False) is None`` for a
    10-character value, without building the problem message (used on every NAT00080
    row; tests check that both agree)."""
    try:
        total = (
            _PAIR[value[0:2]] + _PAIR[value[2:4]] + _PAIR[value[4:6]] + _PAIR[value[6:8]]
        ) + _F2[value[8]]
        return _CHECK[total] == value[9] and len(value) == 10
    except (KeyError, IndexError):
        return False
