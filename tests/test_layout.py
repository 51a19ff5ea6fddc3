"""The shape of the package: no import cycles between masklint's modules, and no module too large.

The import graph is read from the source with ``ast`` (nothing is imported): every ``import`` and
``from ... import`` of a masklint module, at module level and inside functions, relative or absolute.
``from . import name`` counts as an import of the submodule ``name`` when there is one, else of the
package. A module's implicit import of its parent packages (Python runs ``masklint/__init__.py``
before any ``masklint.x``) is not an edge: every module would otherwise be in a cycle with its
package's ``__init__`` as soon as that one imports anything.
"""
from __future__ import annotations

import ast
import os

import pytest

from conftest import ROOT

PACKAGE = "masklint"
MAX_LINES = 600


def _modules() -> dict[str, str]:
    """module name -> file path, for every .py file of the package."""
    out = {}
    base = os.path.join(ROOT, PACKAGE)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__pycache__")))
        for fn in sorted(filenames):
            if not fn.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, fn), ROOT)[:-3].replace(os.sep, ".")
            name = rel[: -len(".__init__")] if rel.endswith(".__init__") else rel
            out[name] = os.path.join(dirpath, fn)
    return out


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of a (possibly relative) import written in ``module``."""
    if not level:
        return target or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]  # a module's relative imports start at its package
    parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join(parts + ([target] if target else []))


def import_graph() -> dict[str, set[str]]:
    """module -> the masklint modules it imports (anywhere in its body)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        is_package = path.endswith("__init__.py")
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), path)
        deps: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = alias.name
                    # "import a.b.c" imports a.b.c (and its parents, implicitly: not an edge)
                    while target and target not in mods and "." in target:
                        target = target.rsplit(".", 1)[0]
                    if target in mods:
                        deps.add(target)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node.level, node.module)
                if not (base == PACKAGE or base.startswith(PACKAGE + ".")):
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in mods:
                        deps.add(sub)
                    elif base in mods:
                        deps.add(base)
        deps.discard(name)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def _cycle_path(graph: dict[str, set[str]], comp: list[str]) -> str:
    """One concrete cycle inside a component, for the failure message: ``a -> b -> ... -> a``."""
    members = set(comp)
    start = comp[0]
    came_from: dict[str, str] = {}
    queue = [start]
    while queue:  # breadth first from start, until an edge leads back to it
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return " -> ".join(reversed(path)) + f" -> {start}"
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return " <-> ".join(comp)


def test_graph_sees_every_kind_of_import():
    """The reader itself: module and function level, relative (. and ..) and absolute imports."""
    g = import_graph()
    assert "masklint.errors" in g["masklint.runner"]  # module level, relative
    assert "masklint.source_lint" in g["masklint.runner"]  # inside a function
    assert "masklint.knowledge" in g["masklint.frontends.live"]  # "from .. import knowledge"
    assert "masklint.findings" in g["masklint.runtime.probe.rules"]  # "from ...findings import ..."
    assert set(g) >= {"masklint", "masklint.cli", "masklint.runtime", "masklint.reporters"}


def test_relative_imports_resolve():
    assert _resolve("masklint.runtime.cli", False, 2, "config") == "masklint.config"
    assert _resolve("masklint.runtime.cli", False, 1, "probe") == "masklint.runtime.probe"
    assert _resolve("masklint.reporters", True, 1, "text") == "masklint.reporters.text"
    assert _resolve("masklint.reporters", True, 2, None) == "masklint"
    assert _resolve("masklint.cli", False, 0, "masklint.lint_command") == "masklint.lint_command"


def test_cycle_finder_finds_cycles():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert cycles(g) == [["a", "b", "c"]]
    assert _cycle_path(g, ["a", "b", "c"]) == "a -> b -> c -> a"


def test_no_import_cycles():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_cycle_path(graph, c) for c in found)


def test_no_module_over_600_lines():
    too_long = {}
    for name, path in _modules().items():
        with open(path, encoding="utf-8") as fh:
            n = sum(1 for _ in fh)
        if n > MAX_LINES:
            too_long[name] = n
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"
