"""Helpers shared by the avetmiss tests (imported by name; no Django)."""

from __future__ import annotations

from pathlib import Path

from avetmiss import get_layout, validate_path, write_set
from avetmiss.synthetic import small_set

#: A small valid 8.0 set: 30 activity rows, 10 clients, collection year 2025.
SMALL = small_set(30, 10, year=2025)


class Runner:
    """Writes sets into a temporary directory and validates them."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.n = 0

    def write(self, files: dict, *, release: str = "8.0", as_zip: bool = False) -> Path:
        self.n += 1
        target = self.tmp_path / (f"set{self.n}.zip" if as_zip else f"set{self.n}")
        write_set(target, files, release=release, as_zip=as_zip)
        return target

    def validate(
        self,
        files: dict,
        *,
        release: str = "8.0",
        raw: list[tuple[str, int, str, str]] = (),
        extra_files: dict[str, bytes] | None = None,
        **kw,
    ):
        """Write ``files``, apply ``raw`` patches ``(file_id, record index, field, text)``
        directly to the bytes (for values the writer refuses), add ``extra_files``, validate."""
        kw.setdefault("collection_year", 2025)
        target = self.write(files, release=release)
        for file_id, idx, field, text in raw:
            patch(target / f"{file_id}.txt", release, file_id, idx, field, text)
        for name, data in (extra_files or {}).items():
            (target / name).write_bytes(data)
        return validate_path(target, release=release, **kw)


def patch(path: Path, release: str, file_id: str, idx: int, field: str, text: str) -> None:
    """Overwrite one field of record ``idx`` in a written file with raw text."""
    f = get_layout(release, file_id).field(field)
    lines = path.read_bytes().split(b"\r\n")
    b = bytearray(lines[idx])
    raw = text.encode("latin-1").ljust(f.length)
    assert len(raw) == f.length, (field, text)
    b[f.offset : f.offset + f.length] = raw
    lines[idx] = bytes(b)
    path.write_bytes(b"\r\n".join(lines))


def line(file_id: str, release: str = "8.0", **values: str) -> str:
    """A full-width line with raw values placed at their fields' positions."""
    lay = get_layout(release, file_id)
    chars = [" "] * lay.width
    for name, v in values.items():
        f = lay.field(name)
        assert len(v) <= f.length, (name, v)
        chars[f.offset : f.offset + len(v)] = list(v)
    return "".join(chars)


def rules_of(result) -> set[str]:
    return {i.rule for i in result.issues}


def issues_for(result, rule: str) -> list:
    return [i for i in result.issues if i.rule == rule]
