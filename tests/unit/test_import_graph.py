"""No import circles among the plugin's own modules, counting every import (lazy and
type-checking ones too): data flows one way, Dify request -> convert -> AtlasCloud -> back."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("provider", "models", "runtime", "testkit", "tools", "bench")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def own_modules() -> dict[str, Path]:
    modules = {module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}
    modules["main"] = ROOT / "main.py"
    return modules


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The plugin's own modules that `path` imports anywhere in its text."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), and self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports_of_every_kind():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": set()}
    assert sorted(cycles(graph)) == [["a", "b", "c"], ["d"]]
    modules = own_modules()
    assert "provider.connection" in imports_of(ROOT / "provider" / "errors" / "mapping.py", modules)


def test_no_module_imports_itself_back_through_others():
    modules = own_modules()
    graph = {name: imports_of(path, modules) - {name} for name, path in modules.items()}
    # A package's __init__ is imported by its children implicitly; only explicit imports count.
    assert cycles(graph) == []
