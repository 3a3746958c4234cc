"""Dependencies point one way (issue 18 "Rooms").

The apps are layered; a module may import only from the layers below its own (and from its
own package):

    core (kernel)  ←  accounts  ←  rtos  ←  students  ←  achievements (the register)
        ←  pqs_claims (claims), verification  ←  reference (reference data), guide (the
        in-app guide)  ←  dashboards, api (the API for student-management systems)
        ←  cqr_portal (config)

``avetmiss`` is a standalone library below all of them (it imports no project package).
``accounts`` (people, roles) sits below ``rtos`` (tenants, memberships), so the two never
import each other; ``pqs_claims`` and ``verification`` share a layer and import neither the
other, and so do ``reference`` and ``guide``. Every import counts, also one inside a
function; only ``if TYPE_CHECKING:`` blocks (annotations, never run) are skipped. Tests and
migrations are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LAYERS = {
    "avetmiss": 0,
    "core": 1,
    "accounts": 2,
    "rtos": 3,
    "students": 4,
    "achievements": 5,
    "pqs_claims": 6,
    "verification": 6,
    "reference": 7,
    "guide": 7,
    "dashboards": 8,
    "api": 8,  # the API for student-management systems: composes the apps, as dashboards do
    "cqr_portal": 9,
}

# Known imports against the direction, each with why it is still there. The test fails when
# one of them goes away, so that this list only ever shrinks.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_packages(tree: ast.AST) -> set[str]:
    """The top-level package of every absolute import in ``tree``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _modules():
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts or "tests" in rel.parts:
                continue
            yield package, rel.as_posix(), path.read_text(encoding="utf-8")


def layering_violations(modules) -> set[tuple[str, str]]:
    """(module, imported package) for every import of a package that is not below."""
    bad = set()
    for package, rel, source in modules:
        for imported in _imported_packages(ast.parse(source, rel)):
            below = imported not in LAYERS or LAYERS[imported] < LAYERS[package]
            if imported != package and not below:
                bad.add((rel, imported))
    return bad


def app_graph(modules) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {p: set() for p in LAYERS}
    for package, rel, source in modules:
        if any(rel == known for known, _ in KNOWN_EXCEPTIONS):
            continue
        for imported in _imported_packages(ast.parse(source, rel)):
            if imported in LAYERS and imported != package:
                graph[package].add(imported)
    return graph


def test_every_import_points_down_the_layers():
    bad = layering_violations(_modules()) - KNOWN_EXCEPTIONS
    assert not bad, "Imports against the layers (move the code, or invert the dependency):\n" + (
        "\n".join(f"  {module} imports {package}" for module, package in sorted(bad))
    )


def test_the_known_exceptions_are_still_needed():
    stale = KNOWN_EXCEPTIONS - layering_violations(_modules())
    assert not stale, f"No longer imported; remove from KNOWN_EXCEPTIONS: {sorted(stale)}"


def test_no_cycle_between_apps():
    graph = app_graph(_modules())
    seen: dict[str, int] = {}  # 1 visiting, 2 done

    def walk(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                pytest.fail("Import cycle: " + " → ".join([*path, node, nxt]))
            if nxt not in seen:
                walk(nxt, [*path, node])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            walk(node, [])


@pytest.mark.parametrize(
    ("package", "line"),
    [
        ("core", "from achievements import services"),
        ("core", "import rtos.access"),
        ("accounts", "from rtos.models import Role"),
        ("achievements", "from verification.selectors import verification_mix"),
        ("pqs_claims", "from verification import signing"),
        ("avetmiss", "from core.errors import ApplicationError"),
    ],
)
def test_an_upward_import_is_caught(package, line):
    """The bite: one upward import, even inside a function, is reported."""
    source = f"def f():\n    {line}\n"
    assert layering_violations([(package, f"{package}/x.py", source)])


def test_a_type_checking_import_and_a_downward_import_pass():
    source = (
        "from typing import TYPE_CHECKING\nfrom core.audit import audit_record\n"
        "if TYPE_CHECKING:\n    from rtos.models import Rto\n"
    )
    assert not layering_violations([("accounts", "accounts/x.py", source)])
