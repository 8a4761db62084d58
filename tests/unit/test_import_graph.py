"""The import graph of vori's packages, read from the source with `ast` (nothing is
imported): no cycles, and no service importing another service (ARCHITECTURE.md: shared
code lives in `vori`). Every import counts, those inside functions and under
`TYPE_CHECKING` too: a lazy import hides a cycle from Python, not from a reader."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("gateway", "stream_ingest", "transcriber", "summarizer", "kanban", "analytics_spark")
SHARED = "vori"
# `vori <service>` and `vori analytics ...` start the services: the command line is the one
# part of the shared package that may import them.
LAUNCHER = "vori.cli"

# Edges ignored while their owners break a cycle, each with a comment naming the work; the
# lead removes each when that work lands. None now: the stream_ingest session/service
# cycle was broken in eefe02f (issue 16, item 3).
KNOWN_CYCLE_EDGES: set[tuple[str, str]] = set()


def modules() -> dict[str, Path]:
    """Every module of the packages by dotted name (a package by its `__init__.py`)."""
    found: dict[str, Path] = {}
    for package in (SHARED, *SERVICES):
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported_names(module: str, path: Path) -> Iterator[tuple[str, str | None]]:
    """(source, name) for each name a module imports, relative imports resolved: `import
    a.b` gives ("a.b", None), `from a import b` gives ("a", "b")."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            yield from ((source, alias.name) for alias in node.names)


def import_graph(known: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the modules of the packages it imports. `from a import b` is an edge to
    the submodule a.b where there is one, else to a; any other name resolves to its
    longest known prefix (`from vori.events import Word` is an edge to `vori.events`)."""
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        targets: set[str] = set()
        for source, name in imported_names(module, path):
            target = f"{source}.{name}" if name and f"{source}.{name}" in known else source
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
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
                    found.append(sorted(component))
    return found


@functools.cache
def vori_graph() -> dict[str, set[str]]:
    """The graph of the repository's packages, parsed once for the tests below."""
    return import_graph(modules())


def without_known(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {
        module: {t for t in targets if (module, t) not in KNOWN_CYCLE_EDGES}
        for module, targets in graph.items()
    }


def test_the_packages_have_no_import_cycle() -> None:
    graph = without_known(vori_graph())
    found = cycles(graph)
    described = [" ; ".join(f"{m} -> {sorted(graph[m] & set(c))}" for m in c) for c in found]
    assert not found, "import cycles: " + " | ".join(described)


def test_no_service_imports_another_service() -> None:
    crossings = []
    for module, targets in vori_graph().items():
        own = module.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other in (own, SHARED):
                continue
            if own == SHARED and (module == LAUNCHER or module.startswith(LAUNCHER + ".")):
                continue
            crossings.append(f"{module} -> {target}")
    assert not crossings, sorted(crossings)


def test_the_checker_sees_cycles_and_relative_imports(tmp_path: Path) -> None:
    """The graph and cycle search themselves, on a package written here."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .a import thing\n")
    (package / "a.py").write_text("from pkg import b\nthing = 1\n")
    (package / "b.py").write_text("def f():\n    from .c import g\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text("from pkg.b import f\nimport json\n")
    known = {
        "pkg": package / "__init__.py",
        **{f"pkg.{n}": package / f"{n}.py" for n in "abcd"},
    }
    graph = import_graph(known)
    assert graph["pkg"] == {"pkg.a"}
    assert graph["pkg.a"] == {"pkg.b"}  # `from pkg import b` names the submodule
    assert graph["pkg.b"] == {"pkg.c"}  # a lazy, relative import still counts
    assert graph["pkg.c"] == {"pkg.a"}  # `import pkg.a`
    assert graph["pkg.d"] == {"pkg.b"}  # `from pkg.b import f`: the module, not f
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
    del graph["pkg.c"]
    graph["pkg.b"] = set()
    assert cycles(graph) == []
