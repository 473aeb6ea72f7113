"""How the code is put together, in figures: import cycles between the backend's packages and
between its modules, imports that point up the layers, imports inside functions, and the largest
source files.

    .venv/bin/python -m bench.structure            # this checkout
    .venv/bin/python -m bench.structure --root DIR # another checkout of the repository (e.g. a
                                                   # `git worktree` of an older commit), to compare

The layers are `.importlinter`'s, read from it so that the check and the figures cannot drift
(`lint-imports` keeps them in make lint; ruff's PLC0415 keeps imports at module top). The import
graph is grimp's (import-linter's engine), which reads every import, those inside functions
included: a cycle that only closes at run time still counts.
"""

from __future__ import annotations

import argparse
import ast
import configparser
import re
import sys
from collections import defaultdict
from pathlib import Path

import grimp


def read_layers(config: Path) -> list[set[str]]:
    """The layers of `.importlinter`'s layers contract, lowest first (the file lists them highest
    first; ":" or "|" separate the packages of one layer). The backend's own `__init__` (the app
    factory) is the top layer's. Read from this checkout, so another one (--root) is measured by
    the same rule."""
    parser = configparser.ConfigParser()
    parser.read(config, encoding="utf-8")
    lines = parser["importlinter:contract:layers"]["layers"].split("\n")
    layers = [{p.strip(" ()") for p in re.split(r"[:|]", line)} for line in lines if line.strip()]
    layers[0].add("__init__")
    return layers[::-1]


LAYERS = read_layers(Path(__file__).resolve().parent.parent / ".importlinter")
LAYER_OF = {pkg: i for i, pkgs in enumerate(LAYERS) for pkg in pkgs}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def strongly_connected(nodes: set[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of packages that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return groups


def function_level_imports(backend: Path) -> list[str]:
    """`import` statements below module level (in a function or class body), as file:line."""
    found = []
    for path in sorted(backend.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = set()
        blocks = list(tree.body)  # module level, and the blocks of its `if`s and `try`s
        while blocks:
            node = blocks.pop()
            top.add(id(node))
            if isinstance(node, ast.If):
                blocks.extend(node.body + node.orelse)  # `if TYPE_CHECKING:` and the like
            elif isinstance(node, ast.Try):
                blocks.extend(node.body + node.orelse + node.finalbody + [h for x in node.handlers for h in x.body])
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
                found.append(f"{path.relative_to(backend.parent)}:{node.lineno}")
    return found


def largest_files(root: Path, count: int = 5) -> list[tuple[int, str]]:
    files = [p for p in (root / "backend").rglob("*.py")] + [
        p for p in (root / "pwa" / "src").rglob("*.js") if ".test." not in p.name
    ]
    sized = [(len(p.read_text(encoding="utf-8").splitlines()), str(p.relative_to(root))) for p in files]
    return sorted(sized, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    root = parser.parse_args().root.resolve()
    sys.path.insert(0, str(root))
    graph = grimp.build_graph("backend", cache_dir=None)

    edges: dict[str, set[str]] = defaultdict(set)
    upward = []
    unplaced = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = package_of(importer), package_of(imported)
            if a == b:
                continue
            edges[a].add(b)
            la, lb = LAYER_OF.get(a), LAYER_OF.get(b)
            if la is None or lb is None:
                unplaced.update(p for p, layer in ((a, la), (b, lb)) if layer is None)
            elif lb > la:
                upward.append(f"{importer} -> {imported}")
    packages = {package_of(m) for m in graph.modules}
    cycles = strongly_connected(packages, edges)
    module_edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    module_cycles = strongly_connected(set(graph.modules), module_edges)
    inner = function_level_imports(root / "backend")

    print(f"structure of {root.name}")
    print(f"  package cycles: {len(cycles)}")
    for group in cycles:
        print(f"    {' <-> '.join(group)}")
    print(f"  module cycles: {len(module_cycles)}")
    for group in module_cycles:
        print(f"    {len(group)} modules: {', '.join(group)}")
    print(f"  upward imports (module -> module, against the layers): {len(upward)}")
    for line in sorted(upward):
        print(f"    {line}")
    if unplaced:
        print(f"  packages in no layer: {', '.join(sorted(unplaced))}")
    print(f"  imports inside functions (backend/): {len(inner)}")
    print("  five largest source files (backend/*.py, pwa/src/*.js without tests), lines:")
    for lines, name in largest_files(root):
        print(f"    {lines:6d}  {name}")


if __name__ == "__main__":
    main()
