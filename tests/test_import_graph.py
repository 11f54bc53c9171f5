"""The analyzer's import graph has no cycle: read statically from the AST of every module of ``pcap_analyzer``.

Every import counts, also one inside a function (a lazy import hides a cycle, it does not remove it); only imports
under ``if TYPE_CHECKING:`` are left out (they never run). An edge goes to the module named: ``from .x import y``
is an edge to ``x`` (or to ``x.y`` when that is a module), the package ``__init__`` only when it is itself named.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pcap_analyzer"


def modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module below ``root`` (a package named after its folder)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Import statements that can run: all of them but those under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for sub in child.orelse:
                    visit_stmt(sub)
                continue
            visit_stmt(child)

    def visit_stmt(node: ast.AST) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        else:
            visit(node)

    visit(tree)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    mods = modules(root)
    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in runtime_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in mods else source for a in node.names]
            graph[name] |= {t for t in targets if t in mods and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path back to its start) per strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(a_cycle(sorted(component), graph))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def a_cycle(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A path from the component's first module back to it, inside the component (breadth first: a short one)."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return component


def test_the_package_imports_without_a_cycle() -> None:
    graph = import_graph(PACKAGE)
    assert len(graph) > 50 and graph["pcap_analyzer.pipeline"]  # the whole package was read
    found = cycles(graph)
    assert not found, "import cycles (break each by moving what both sides need into a module of its own):\n" + \
        "\n".join(" -> ".join(c) for c in found)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


LAZY_CYCLE = {  # the reader <-> slowpath cycle as it was: hidden in a function
    "__init__.py": "",
    "capture/__init__.py": "",
    "capture/reader.py": "from .slowpath import decode\nfrom ..model import Row\n",
    "capture/slowpath.py": "def read():\n    from .reader import read_all\n    return read_all\n",
    "model.py": "Row = tuple\n",
}
ABSOLUTE_CYCLE = {  # absolute imports, and a package's __init__ importing its module
    "__init__.py": "",
    "a.py": "import pkg.sub.c\n",
    "sub/__init__.py": "from .c import C\n",
    "sub/c.py": "from pkg import a\nC = 1\n",
}


@pytest.mark.parametrize(("files", "cycle"), [
    (LAZY_CYCLE, ["pkg.capture.reader", "pkg.capture.slowpath", "pkg.capture.reader"]),
    (ABSOLUTE_CYCLE, ["pkg.a", "pkg.sub.c", "pkg.a"]),
])
def test_a_cycle_is_found(tmp_path: Path, files: dict[str, str], cycle: list[str]) -> None:
    assert cycles(import_graph(_package(tmp_path, files))) == [cycle]


def test_edges_go_to_the_modules_named(tmp_path: Path) -> None:
    graph = import_graph(_package(tmp_path, ABSOLUTE_CYCLE))
    assert graph == {"pkg": set(), "pkg.a": {"pkg.sub.c"}, "pkg.sub": {"pkg.sub.c"}, "pkg.sub.c": {"pkg.a"}}


@pytest.mark.parametrize("text", [
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n",  # only for the type checker
    "import os\n",
])
def test_what_never_runs_or_lies_outside_makes_no_edge(tmp_path: Path, text: str) -> None:
    root = _package(tmp_path, {"__init__.py": "", "a.py": text, "b.py": "from . import a\n"})
    graph = import_graph(root)
    assert graph["pkg.a"] == set() and graph["pkg.b"] == {"pkg.a"} and cycles(graph) == []


def test_runtime_dependencies_are_what_the_analyzer_imports() -> None:
    """install_requires names exactly the third-party modules the package imports at run time (test tools such as
    scapy and jsonschema belong to the ``test`` extra)."""
    import configparser
    import re
    import sys

    setup = configparser.ConfigParser()
    setup.read(PACKAGE.parent / "setup.cfg", encoding="utf-8")
    lines = [line.strip() for line in setup["options"]["install_requires"].splitlines()
             if line.strip() and not line.strip().startswith("#")]
    required = {re.split(r"[<>=!~\[ ]", line)[0].lower() for line in lines}
    # an extra of a requirement may bring modules of its own (dask[distributed] -> distributed)
    provided = required | {extra.strip().lower() for line in lines if "[" in line
                           for extra in line.split("[", 1)[1].split("]", 1)[0].split(",")}
    imported: set[str] = set()
    for path in modules(PACKAGE).values():
        for node in runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if not node.level else []
            imported |= {n.split(".")[0] for n in names}
    third_party = {n for n in imported if n and n not in sys.stdlib_module_names and n != PACKAGE.name}
    assert third_party <= provided, f"imported but not in setup.cfg install_requires: {sorted(third_party - provided)}"
    assert required <= third_party, f"in setup.cfg install_requires but never imported: {sorted(required - third_party)}"


#: The pipeline's folders in the order it runs them (docs/DESIGN.md). A folder's modules import from their own
#: folder, from folders before it and from the small top-level modules; never from a later stage.
STAGES = ("capture", "flows", "dissect", "measures", "sources", "detect", "decide", "report")
#: Modules and folders that drive the stages (commands); they may import any stage.
DRIVERS = ("pipeline", "readcaps", "bounded", "groups", "stored", "parallel", "cli", "__main__", "extract",
           "contain_cmd", "deepdive", "baseline", "watch")


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def backward_imports(graph: dict[str, set[str]]) -> list[str]:
    """"a -> b" for every import of a later stage, or of a stage by a small top-level module."""
    wrong = []
    for source, targets in sorted(graph.items()):
        here = stage_of(source)
        if here in DRIVERS:
            continue
        for target in sorted(targets):
            there = stage_of(target)
            if there not in STAGES:
                continue
            if here not in STAGES or STAGES.index(there) > STAGES.index(here):
                wrong.append(f"{source} -> {target}")
    return wrong


def test_each_stage_imports_only_the_stages_before_it() -> None:
    graph = import_graph(PACKAGE)
    assert {stage_of(m) for m in graph} >= set(STAGES)
    wrong = backward_imports(graph)
    assert not wrong, "imports against the pipeline order (move the shared piece up a stage):\n" + "\n".join(wrong)


def test_an_import_against_the_pipeline_order_is_named() -> None:
    graph = {"pcap_analyzer.decide.verdict": {"pcap_analyzer.report.common", "pcap_analyzer.detect.facts"},
             "pcap_analyzer.homenet": {"pcap_analyzer.sources.intel"},
             "pcap_analyzer.pipeline": {"pcap_analyzer.report.common"}}
    assert backward_imports(graph) == ["pcap_analyzer.decide.verdict -> pcap_analyzer.report.common",
                                       "pcap_analyzer.homenet -> pcap_analyzer.sources.intel"]
