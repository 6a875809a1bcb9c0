"""The package's layout (ARCHITECTURE.md): dependencies point one way, no
module imports another module's private names, no import circle, and every
module is on the architecture page."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bpkit.checks import registry
from conftest import ROOT

PACKAGE = ROOT / "bpkit"

#: Layers from the bottom; a module may import its own package and lower layers only.
LAYERS = [
    {"bpkit", "bpkit.escaping", "bpkit.fonts", "bpkit.mathml", "bpkit.timings", "bpkit.integrity", "bpkit.course", "bpkit.sample", "bpkit.heatmap",
     "bpkit.probe", "bpkit.judging.wire", "bpkit.checks"},
    {"bpkit.isolation", "bpkit.judging", "bpkit.preprocessors"},
    {"bpkit.grading"},
    {"bpkit.presentation"},
    {"bpkit.pipeline", "bpkit.learner", "bpkit.authoring"},
    {"bpkit.cli", "bpkit.demo", "bpkit.nbgrader_hooks"},
]


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "sample_class" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every bpkit import in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bpkit") and node.level == 0:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("bpkit")]
    return found


def layer(module: str) -> int:
    best = None
    for index, members in enumerate(LAYERS):
        for member in members:
            if (module == member or module.startswith(member + ".")) and (best is None or len(member) > best[1]):
                best = (index, len(member))
    assert best is not None, f"{module} is in no layer of ARCHITECTURE.md"
    return best[0]


def package(module: str) -> str:
    return module.rsplit(".", 1)[0] if module.count(".") >= 2 else module


def resolve(target: str, names: list[str], known: dict[str, Path]) -> list[str]:
    """The modules an import reaches (``from bpkit.x import y`` reaches
    bpkit.x.y when that is a module)."""
    reached = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
    return reached or [target]


def test_do_dependencies_point_only_down_the_layers():
    known = modules()
    upward = []
    for module, path in known.items():
        for target, names in imports(path):
            for reached in resolve(target, names, known):
                if package(reached) != package(module) and layer(reached) > layer(module):
                    upward.append(f"{module} -> {reached}")
    assert upward == []


def test_does_no_module_import_another_modules_private_names():
    known = modules()
    private = [f"{module}: from {target} import {name}" for module, path in known.items()
               for target, names in imports(path) if target != module
               for name in names if name.startswith("_") and name != "__version__"]
    assert private == []


def test_is_there_no_import_circle_between_modules():
    known = modules()
    graph = {m: {r for t, n in imports(p) for r in resolve(t, n, known) if r in known and r != m}
             for m, p in known.items()}
    # a package's __init__ imports nothing of its modules here, so circles are between modules
    state, cycle = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle.append(trail + [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycle == []


@pytest.mark.parametrize("module", sorted(m for m in modules() if m.count(".") >= 1))
def test_is_every_module_on_the_architecture_page(module):
    page = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    name = module.rsplit(".", 1)[1]
    if module.startswith("bpkit.checks.") and name in registry.MODULES:  # a chapter's checks, added by authors
        assert "every other public module of bpkit/checks/" in page
        return
    assert f"{name}.py" in page or f"{name}/" in page or f"{name}`" in page or f" {name} " in page, module


def test_does_every_module_list_what_other_modules_import_from_it():
    known = modules()
    missing = []
    for module, path in known.items():
        for target, names in imports(path):
            if target == module or target not in known:
                continue
            exported = _all_of(known[target])
            missing += [f"{module} imports {target}.{n}" for n in names
                        if exported is not None and n not in exported and f"{target}.{n}" not in known]
    assert missing == []


def _all_of(path: Path) -> list[str] | None:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return None
