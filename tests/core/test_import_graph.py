"""The core's modules import each other without cycles, function-level imports included.

A function-level import that exists only to dodge an import-time cycle hides a dependency loop:
two modules that each need the other. This scan reads every ``import`` statement under
``multitag/`` (at any depth of the syntax tree), resolves it to the module it names, and fails
on any cycle, printing it.
"""
from __future__ import annotations

import ast
from pathlib import Path

import multitag

ROOT = Path(multitag.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The innermost module of ours that ``name`` (a dotted name) refers to, if any."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from pkg import sub` names the submodule when there is one
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for t in targets:
                dep = _resolve(t, modules)
                # a submodule importing its own package's __init__ is implied by Python; skip it
                if dep and dep != mod and not mod.startswith(dep + "."):
                    graph[mod].add(dep)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_scan_sees_function_level_imports_and_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    g = import_graph()
    # multitag/cli/__init__.py imports the registry inside a function: the scan must see it
    assert "multitag.registry" in g["multitag.cli"]


def test_no_import_cycles_in_the_core():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles (function-level imports included):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph with every module folded into its first-level part (``multitag.report``)."""
    def part(m: str) -> str:
        return ".".join(m.split(".")[:2])
    folded: dict[str, set[str]] = {part(m): set() for m in graph}
    for m, deps in graph.items():
        folded[part(m)] |= {part(d) for d in deps if part(d) != part(m)}
    return folded


def test_no_import_cycles_between_the_core_packages():
    # e.g. experiments -> report -> experiments: callers write reports, the runner does not
    cycles = find_cycles(package_graph(import_graph()))
    assert not cycles, "cycles between packages:\n" + "\n".join(" <-> ".join(c) for c in cycles)
