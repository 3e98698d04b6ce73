"""The house rules, walked over cooc's imports: no cycles, no private names across modules,
rooms import only rooms below them, geometry evaluates (never fits or counts), and only the
app layer (experiments, cli) draws figures.

Every import counts, module-level or inside a function (a lazy import still ties two modules
together); only imports under ``if TYPE_CHECKING:`` are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cooc"

#: Rooms from the bottom of the house up; a module may import its own room and the rooms below.
RANKS = {
    "_core": 0,
    "data": 1,
    "corpus": 2,
    "cooccurrence": 3,
    "count": 4,
    "embedding": 4,
    "spectral": 5,
    "geometry": 6,
    "grammars": 6,
    "train": 7,
    "plots": 8,
    "experiments": 9,
    "studies": 11,  # scripts for users: they may import the public package
    "cli": 10,
    "__init__": 11,
    "__main__": 11,
}
#: Besides itself and _core, what geometry may use: the vectors, the eigensolver, the data files,
#: and the corpus's normalisation of words (place names are matched as the corpus writes them).
GEOMETRY_MAY_IMPORT = ("cooc.embedding", "cooc.spectral.eigen", "cooc.data", "cooc.corpus.tokenize")
APP_LAYER = ("cooc.experiments", "cooc.studies", "cooc.cli", "cooc.plots")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    return skipped


def _imports(module: str) -> list[tuple[str, str | None, int]]:
    """``(imported module, imported name or None, line)`` for every cooc import in ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "cooc":
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULES:
                    out.append((full, None, node.lineno))
                else:
                    out.append((source, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "cooc"]
    return out


GRAPH = {m: {target for target, _, _ in _imports(m) if target != m} for m in MODULES}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
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
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in graph:
                continue
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_the_walker_sees_the_package():
    assert len(MODULES) > 60 and "cooc.count.counter" in MODULES
    assert "cooc.count.local" in GRAPH["cooc.count.counter"]
    # a cycle it must find
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_no_private_name_crosses_a_module():
    crossings = [
        f"{module}:{line} imports {name} from {source}"
        for module in MODULES
        for source, name, line in _imports(module)
        if name and name.startswith("_") and not name.startswith("__") and source != module
    ]
    assert crossings == []


def test_rooms_import_only_their_own_room_and_rooms_below():
    upward = [
        f"{module} ({_room(module)}) imports {target} ({_room(target)})"
        for module, targets in GRAPH.items()
        for target in targets
        if target in MODULES and RANKS[_room(target)] > RANKS[_room(module)]
    ]
    assert upward == []


def test_geometry_evaluates_and_never_fits_or_counts():
    reaching = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _room(module) == "geometry"
        for target in targets
        if _room(target) not in ("geometry", "_core") and not target.startswith(GEOMETRY_MAY_IMPORT)
    ]
    assert reaching == []


def test_only_the_app_layer_imports_plots():
    drawing = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if target.startswith("cooc.plots") and not module.startswith(APP_LAYER)
    ]
    assert drawing == []


@pytest.mark.parametrize("room", sorted({_room(m) for m in MODULES}))
def test_every_room_has_a_rank(room):
    assert room in RANKS
