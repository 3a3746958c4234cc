"""Benchmark: full AVETMISS 8.0 validation of a NAT set against plain slicing of the same files.

    .venv/bin/python bench/avetmiss_validate.py                  # 1,000,000 rows, 100,000 clients
    .venv/bin/python bench/avetmiss_validate.py --rows 50000     # smoke run

It writes a realistic valid set (NAT00010/20/30/60/80/85/90/100/120/130, see
``avetmiss.synthetic``) into a temporary directory, then measures, each in a fresh child
process so that one measurement's memory cannot flatter another's:

* baseline A - read every file as text and split each line into fields with
  ``[line[a:b] for a, b in spans]`` (plain slicing, no rules);
* baseline B - the same with a precomputed ``operator.itemgetter`` of slices (the fastest
  plain-Python slicing; the ratio target is checked against this stricter baseline);
* full validation - ``avetmiss.validate_path(dir)`` with the default collection year (so
  including the pre-scan that finds it), every rule, all cross-file checks.

Peak memory is the child's ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (peak resident set
size of a process that does nothing but the validation, interpreter included). tracemalloc
is not used because it slows allocation-heavy code several times and only sees Python
allocations.

Targets (2-core machine): 1M rows in <= 60 s, <= 5x the baseline, <= 1 GiB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _child(mode: str, directory: str) -> None:
    """Run one measurement and print a JSON line (runs in a fresh interpreter)."""
    import resource
    from operator import itemgetter

    from avetmiss.layouts import file_ids, get_layout

    out: dict = {"mode": mode}
    if mode == "validate":
        from avetmiss import validate_path

        t = time.perf_counter()
        result = validate_path(directory)
        out["seconds"] = time.perf_counter() - t
        out["errors"], out["warnings"] = result.error_count, result.warning_count
        out["records"] = result.files
        out["collection_year"] = result.collection_year
    else:
        t = time.perf_counter()
        n = 0
        for file_id in file_ids("8.0"):
            path = os.path.join(directory, f"{file_id}.txt")
            if not os.path.exists(path):
                continue
            lay = get_layout("8.0", file_id)
            spans = [(f.offset, f.end) for f in lay.fields]
            with open(path, encoding="ascii", newline="") as fh:
                if mode == "slices":
                    for line in fh:
                        fields = [line[a:b] for a, b in spans]
                        n += 1
                else:
                    get = itemgetter(*[slice(a, b) for a, b in spans])
                    for line in fh:
                        fields = get(line)
                        n += 1
            del fields
        out["seconds"] = time.perf_counter() - t
        out["lines"] = n
    out["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def _measure(mode: str, directory: Path, repeat: int) -> list[dict]:
    runs = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(directory)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return runs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="NAT00120 rows (default 1M)")
    ap.add_argument("--clients", type=int, default=None, help="clients (default rows / 10)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--keep", metavar="DIR", help="write the set here and keep it")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0

    from avetmiss.synthetic import write_synthetic

    clients = args.clients or max(1, args.rows // 10)
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="avetmiss-bench-"))
    try:
        t = time.perf_counter()
        counts = write_synthetic(tmp, args.rows, clients, year=args.year)
        gen = time.perf_counter() - t
        size = sum(p.stat().st_size for p in tmp.glob("NAT*.txt"))
        lines = sum(counts.values())
        _measure("slices", tmp, 1)  # warm the page cache
        slices = _measure("slices", tmp, args.repeat)
        getter = _measure("itemgetter", tmp, args.repeat)
        val = _measure("validate", tmp, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    t_slices = statistics.median(r["seconds"] for r in slices)
    t_getter = statistics.median(r["seconds"] for r in getter)
    t_val = statistics.median(r["seconds"] for r in val)
    peak = max(r["maxrss_mib"] for r in val)
    base_peak = max(r["maxrss_mib"] for r in getter)
    v0 = val[0]
    ratio = t_val / t_getter
    print(
        f"AVETMISS 8.0 validation benchmark - {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}, median of {args.repeat}"
    )
    print(
        f"Set: NAT00120 {args.rows:,} rows, NAT00080 {clients:,} clients,"
        f" {lines:,} lines in {len(counts)} files, {size / 2**20:,.0f} MiB"
        f" (generated in {gen:.1f} s)"
    )
    print(f"Baseline A, plain slicing [line[a:b] for ...]:   {t_slices:7.2f} s")
    print(f"Baseline B, plain slicing operator.itemgetter:   {t_getter:7.2f} s")
    print(
        f"Full validation (validate_path, all rules):      {t_val:7.2f} s"
        f"  = {args.rows / t_val:,.0f} NAT00120 rows/s ({lines / t_val:,.0f} lines/s, all files)"
    )
    print(f"Ratio to baseline: {ratio:.2f}x (B, itemgetter), {t_val / t_slices:.2f}x (A, slices)")
    print(
        f"Peak memory (max RSS of the validating process): {peak:,.0f} MiB"
        f" (baseline process {base_peak:,.0f} MiB)"
    )
    print(
        f"Result: {v0['errors']} errors, {v0['warnings']} warnings,"
        f" collection year {v0['collection_year']}"
    )
    scaled = t_val * 1_000_000 / args.rows
    checks = [
        (f"1M rows <= 60 s (scaled: {scaled:.1f} s)", scaled <= 60),
        (f"ratio <= 5x ({ratio:.2f}x)", ratio <= 5),
        (f"peak memory <= 1 GiB ({peak:,.0f} MiB)", peak <= 1024),
        ("generated set is valid", v0["errors"] == 0),
    ]
    print("Targets: " + "; ".join(f"{name}: {'PASS' if ok else 'FAIL'}" for name, ok in checks))
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
