"""The package is layered by stage, and imports point one way only.

``form → read → check → corpus → analysis → publish → cli``; the helpers
``errors``, ``paths`` and ``_version`` sit below every stage and import none.
Imports inside functions count: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gicstats

PACKAGE = Path(gicstats.__file__).parent
STAGES = ("form", "read", "check", "corpus", "analysis", "publish", "cli")
BASE = ("errors", "paths", "_version")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """Every module of the package that ``module`` imports, anywhere in it."""
    is_pkg = path.name == "__init__.py"
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = (
                ".".join([*base[: len(base) - node.level + 1], node.module or ""]).strip(".")
                if node.level
                else node.module or ""
            )
            targets = [mod, *(f"{mod}.{a.name}" for a in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def _layer(module: str) -> int | None:
    """The stage's rank.

    -1 for the helpers below every stage; None for the package itself (its
    ``__init__`` re-exports the stages).
    """
    parts = module.split(".")
    if len(parts) == 1:
        return None
    if parts[1] in BASE:
        return -1
    return STAGES.index(parts[1])


def test_every_module_belongs_to_a_stage_or_the_helpers():
    for module in MODULES:
        parts = module.split(".")
        assert len(parts) == 1 or parts[1] in STAGES + BASE, f"{module} is in no stage folder"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) is not None))
def test_imports_point_one_way(module):
    mine = _layer(module)
    for target in _imports(module, MODULES[module]):
        theirs = _layer(target)
        assert theirs is not None, f"{module} imports the package facade {target}"
        assert theirs <= mine, f"{module} ({STAGES[mine] if mine >= 0 else 'helpers'}) imports a later stage: {target}"
        if mine == -1:
            assert theirs == -1, f"helper {module} imports stage module {target}"


def test_no_import_cycles():
    graph = {m: _imports(m, p) - {"gicstats"} for m, p in MODULES.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = [*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_walker_sees_lazy_imports():
    """The walker is not blind: a function-level import is found."""
    assert "gicstats.read.corrections" in _imports("gicstats.read.pipeline", MODULES["gicstats.read.pipeline"])
