"""`make test` brings the Debian packages it needs itself (issue 12 #7):
scripts/ensure_system_deps.sh does nothing when all is there, installs what is missing when
root with apt-get, and otherwise stops at once with the one command to run. Run here against
stub commands on a PATH of their own, so nothing is installed."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure_system_deps.sh"
PACKAGES = ["fonts-dejavu-core", "libpango-1.0-0", "libpangoft2-1.0-0"]


def _stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)


def _machine(tmp_path, *, commands, packages, uid, apt=True) -> tuple[Path, Path]:
    """A PATH holding only the given commands, dpkg-query knowing only ``packages``, and
    id -u answering ``uid``; apt-get (if any) logs its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("grep", "cat"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    for name in commands:
        _stub(bin_dir, name, "exit 0")
    installed = " ".join(packages)
    _stub(
        bin_dir,
        "dpkg-query",
        f'for p in {installed}; do [ "$p" = "${{@: -1}}" ] && echo -n "install ok installed" '
        "&& exit 0; done; exit 1",
    )
    _stub(bin_dir, "ldconfig", "exit 0")
    _stub(bin_dir, "id", f"echo {uid}")
    log = tmp_path / "apt.log"
    if apt:
        _stub(bin_dir, "apt-get", f'echo "$*" >> {log}')
    return bin_dir, log


def _run(bin_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_nothing_to_do_when_everything_is_there(tmp_path):
    bin_dir, log = _machine(
        tmp_path, commands=["chromium", "pdftotext", "pdftoppm"], packages=PACKAGES, uid=0
    )
    result = _run(bin_dir)
    assert result.returncode == 0, result.stderr
    assert not log.exists() and result.stderr == ""


def test_root_with_apt_installs_what_is_missing(tmp_path):
    bin_dir, log = _machine(tmp_path, commands=["pdftotext"], packages=PACKAGES[:1], uid=0)
    result = _run(bin_dir)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert calls[0] == "update -qq"
    assert calls[1] == (
        "install -y -qq --no-install-recommends "
        "chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0"
    )


@pytest.mark.parametrize("uid, apt", [(1000, True), (0, False)])
def test_otherwise_stops_at_once_with_the_command_to_run(tmp_path, uid, apt):
    bin_dir, log = _machine(
        tmp_path, commands=["chromium", "pdftotext", "pdftoppm"], packages=[], uid=uid, apt=apt
    )
    result = _run(bin_dir)
    assert result.returncode == 2
    assert not log.exists()  # nothing attempted
    assert (
        "apt-get install -y --no-install-recommends "
        "fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0" in result.stderr
    )


def test_make_test_runs_it_first_and_ci_is_just_make_test():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: system-deps install$", makefile, re.M)
    assert re.search(r"^system-deps:\n\t@scripts/ensure_system_deps.sh$", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [
        line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[-1] == "make test" and "apt-get" not in ci
