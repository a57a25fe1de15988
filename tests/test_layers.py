"""The host's layers, as docs/architecture.md draws them, checked on the source (issue 9).

- no import cycles between smshooks modules, counting imports inside functions and under TYPE_CHECKING
  (a deferred import hides a cycle, it does not remove it);
- Flask (and its request-parsing stack) is imported only under ``smshooks/web/``;
- the plugin contract (``hookspecs``, ``vendor``, ``events`` and the modules they are made of) imports
  nothing else of the host, so a plugin depends on the contract alone;
- no module is over ~400 lines (word lists and migrations are data, not code).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import smshooks

PACKAGE = Path(smshooks.__file__).parent
FRAMEWORK = ("flask", "flask_smorest", "werkzeug", "webargs")
#: the plugin contract: what a plugin may import
CONTRACT = {"smshooks.hookspecs", "smshooks.vendor", "smshooks.events", "smshooks.targets"}
#: the contract modules may also use the other public, host-free modules plugins use
CONTRACT_MAY_IMPORT = CONTRACT | {"smshooks", "smshooks.templating"}
MAX_LINES = 420
#: being split on branches that land next (issue 9); strict, so each entry must go when its split lands
CONTRACT_PENDING: dict[str, str] = {}
SIZE_PENDING = {}


def _pending(names: list[str], pending: dict[str, str]) -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=pending[name])) if name in pending else name
        for name in names
    ]


DATA_MODULES = {"smshooks.keywords._words_en"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent)
        if "migrations" in relative.parts or "templates" in relative.parts:
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, anywhere in its body (functions, TYPE_CHECKING blocks included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            imported.add(module)
            imported.update(f"{module}.{alias.name}" for alias in node.names)
    return imported


GRAPH = {
    name: {dep for dep in _imports(name, path) if dep in MODULES and dep != name} for name, path in MODULES.items()
}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_is_in_an_import_cycle() -> None:
    assert _cycles(GRAPH) == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.startswith("smshooks.web")))
def test_flask_is_imported_only_under_web(name: str) -> None:
    framework = {dep for dep in _imports(name, MODULES[name]) if dep.split(".")[0] in FRAMEWORK}
    assert framework == set(), f"{name} imports {sorted(framework)}: only smshooks.web may"


def _contract() -> set[str]:
    """The contract modules and the modules they are made of (a contract module may be split in parts)."""
    members = set(CONTRACT)
    for name in MODULES:
        if name.startswith("smshooks.contract"):
            members.add(name)
    return members


@pytest.mark.parametrize("name", _pending(sorted(_contract() & set(MODULES)), CONTRACT_PENDING))
def test_the_contract_imports_nothing_else_of_the_host(name: str) -> None:
    allowed = _contract() | CONTRACT_MAY_IMPORT
    host = {dep for dep in GRAPH[name] if dep not in allowed and not dep.startswith("smshooks.templating")}
    assert host == set(), f"{name} (plugin contract) imports {sorted(host)}"


@pytest.mark.parametrize("name", _pending(sorted(set(MODULES) - DATA_MODULES), SIZE_PENDING))
def test_no_module_is_over_400_lines(name: str) -> None:
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"
