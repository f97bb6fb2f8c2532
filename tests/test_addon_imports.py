# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's import graph (read from the source with ast, nothing imported): no cycles, `ui/` never
reaches into `operators/`, `core/` into neither, and `lib/` never imports bpy."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "operators", "ui", "lib")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)  # "" is the add-on's own __init__


def _modules() -> dict[str, Path]:
    found = {"": ROOT / "__init__.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _resolve(module: str, path: Path, node: ast.ImportFrom, modules) -> set[str]:
    """The add-on modules a relative `from X import a, b` takes names from: X.a where that is a
    submodule, else X itself (a package's __init__ running its own submodules is no cycle)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    package = [p for p in package if p]
    base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
    target = ".".join(base + (node.module.split(".") if node.module else []))
    found = set()
    for alias in node.names:
        sub = f"{target}.{alias.name}" if target else alias.name
        found.add(sub if sub in modules else target)
    return found


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module -> add-on modules it imports, module -> top-level outside modules it imports)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    outside: dict[str, set[str]] = {}
    for module, path in modules.items():
        graph[module], outside[module] = set(), set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                graph[module] |= {m for m in _resolve(module, path, node, modules)
                                  if m in modules and m != module}
            elif isinstance(node, ast.ImportFrom):
                outside[module].add((node.module or "").split(".")[0])
            elif isinstance(node, ast.Import):
                outside[module] |= {alias.name.split(".")[0] for alias in node.names}
    return graph, outside


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path that ends where it starts, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def _package(module: str) -> str:
    return module.split(".")[0]


def test_the_checker_sees_imports_and_cycles():
    graph, outside = import_graph()
    assert "operators.flow" in graph and "core.sessions" in graph["operators.flow"]
    assert "bpy" in outside["core.state"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_addon():
    graph, _ = import_graph()
    assert find_cycle(graph) == []


def test_layers_import_only_downwards():
    """ui and operators read core; core reads lib; nobody below reaches up."""
    allowed = {"": {"core", "operators", "ui"}, "ui": {"ui", "core", "lib"},
               "operators": {"operators", "core", "lib"}, "core": {"core", "lib"}, "lib": {"lib"}}
    graph, _ = import_graph()
    wrong = sorted((m, t) for m, targets in graph.items() for t in targets
                   if _package(t) not in allowed[_package(m)])
    assert wrong == []


def test_lib_imports_no_bpy():
    _, outside = import_graph()
    assert sorted(m for m, names in outside.items()
                  if _package(m) == "lib" and names & {"bpy", "mathutils", "bmesh"}) == []
