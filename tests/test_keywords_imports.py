"""The keywords package imports without cycles, counting imports inside functions (issue 9's rule)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "smshooks.keywords"
ROOT = Path(__file__).resolve().parents[1] / "core" / "smshooks" / "keywords"


def _module_name(path: Path) -> str:
    return PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"


def _graph() -> dict[str, set[str]]:
    """module -> the package's modules it imports anywhere in its body; ``from a import b`` counts as importing
    ``a`` and, when ``a.b`` is a module, ``a.b`` (importing a package runs its __init__)."""
    modules = {_module_name(path): path for path in ROOT.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = PACKAGE
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets.add(base)
                targets.update(f"{base}.{alias.name}" for alias in node.names)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_keywords_package_has_no_import_cycle() -> None:
    graph = _graph()
    assert len(graph) > 10 and f"{PACKAGE}.classify" in graph[PACKAGE]
    assert _cycles(graph) == []


def test_the_checker_sees_a_cycle_through_the_package() -> None:
    # what guard.py used to do: import a submodule through the package whose __init__ imports guard back
    graph = {PACKAGE: {f"{PACKAGE}.tables"}, f"{PACKAGE}.tables": {f"{PACKAGE}.guard"}, f"{PACKAGE}.guard": {PACKAGE}}
    assert _cycles(graph) == [sorted(graph)]
