"""The course itself: source notebooks validate, release/ is exactly what
nbgrader generates from source/, and nothing secret reaches students."""
import json
import re

import nbformat
import pytest

from bpkit.checks import registry
from bpkit.course import Course
from conftest import ROOT, copy_course, nbgrader

ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())
SOURCE_NOTEBOOKS = sorted((ROOT / "source").glob("*/*.ipynb"))
RELEASE_NOTEBOOKS = sorted((ROOT / "release").glob("*/*.ipynb"))


def test_every_assignment_has_one_notebook_released_under_the_same_name():
    assert ASSIGNMENTS and len(SOURCE_NOTEBOOKS) == len(ASSIGNMENTS)
    assert [p.relative_to(ROOT / "source") for p in SOURCE_NOTEBOOKS] == \
        [p.relative_to(ROOT / "release") for p in RELEASE_NOTEBOOKS], "run `bpkit release` and commit release/"


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_source_notebooks_pass_nbgrader_validate(path, tmp_path):
    course = copy_course(tmp_path)
    proc = nbgrader("validate", str(path.relative_to(ROOT)), cwd=course)
    assert "Success! Your notebook passes all the tests." in proc.stdout + proc.stderr, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_test_cell_of_the_released_stubs_fails(path, tmp_path):
    course = copy_course(tmp_path)
    proc = nbgrader("validate", "--invert", str(path.relative_to(ROOT)), cwd=course)
    assert "Success! The notebook does not pass any tests." in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_release_is_exactly_what_nbgrader_generates_from_source(tmp_path):
    course = Course(copy_course(tmp_path / "course"))
    for assignment in ASSIGNMENTS:
        course.release(assignment, release_dir=str(tmp_path / "regenerated"))
    fresh = tmp_path / "regenerated"
    committed = sorted(p.relative_to(ROOT / "release") for p in (ROOT / "release").rglob("*") if p.is_file())
    generated = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert committed == generated, "release/ is stale: run `bpkit release` and commit the result"
    for rel in committed:
        if rel.suffix == ".ipynb":
            a = nbformat.read(ROOT / "release" / rel, as_version=4)
            b = nbformat.read(fresh / rel, as_version=4)
            assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True), f"{rel} differs"
        else:
            assert (ROOT / "release" / rel).read_bytes() == (fresh / rel).read_bytes(), f"{rel} differs"


REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.DOTALL)


def _regions(nb):
    secret, public = [], []
    for cell in nb.cells:
        src = cell.source if cell.source.endswith("\n") else cell.source + "\n"
        secret += [m.group(2) for m in REGION.finditer(src)]
        public.append(REGION.sub("", src))
    return secret, "\n".join(public)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_solution_or_hidden_test_line_reaches_release(assignment):
    secret_lines, public_text = set(), ""
    for path in (ROOT / "source" / assignment).glob("*.ipynb"):
        secret, public = _regions(nbformat.read(path, as_version=4))
        public_text += public
        secret_lines |= {line.strip() for block in secret for line in block.splitlines()}
    # Lines that the given (public) text also shows, like `import numpy as np`, are not secrets.
    secret_lines = {line for line in secret_lines if len(line) >= 10 and line not in public_text}
    assert len(secret_lines) >= len({name for cell in registry.grade_cells(ROOT, assignment) for name in cell.checks})
    released = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "release" / assignment).rglob("*")
                         if p.is_file())
    leaked = sorted(line for line in secret_lines if line in released)
    assert not leaked, leaked


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS + sorted((ROOT / "release").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT / "release")))
def test_release_never_imports_the_reference_or_the_checks(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":  # one exception: the optional self-check import (see below)
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if not (c.cell_type == "code" and _optional_self_check_import(c)))
    assert not re.search(r"\b(import|from)\s+(reference|bpkit)\b", text)
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text


def _optional_self_check_import(cell) -> bool:
    """The "Check my work" setup cell: its only bpkit import is
    bpkit.learner.check_cell's check_my_work, inside a try whose handler
    catches ImportError (the notebook works the same without the kit)."""
    import ast

    if "bpkit-self-check" not in cell.metadata.get("tags", []):
        return False
    tree = ast.parse(cell.source)
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    guarded = [n for t in ast.walk(tree) if isinstance(t, ast.Try)
               and any(isinstance(h.type, ast.Name) and h.type.id == "ImportError" for h in t.handlers)
               for n in t.body if isinstance(n, ast.ImportFrom)]
    return (len(imports) == 1 and imports[0] in guarded and imports[0].module == "bpkit.learner.check_cell"
            and [a.name for a in imports[0].names] == ["check_my_work"])


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_students_see_bilingual_instructions_and_stubs_that_raise(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"[\u3040-\u30ff]", markdown) and "$" in markdown
    stubs = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    stub = 'raise NotImplementedError("Replace this line with your code / この行をあなたのコードに置き換えてください")'
    assert stubs and all(stub in c.source for c in stubs)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_committed_notebooks_have_no_outputs_or_checkpoints():
    for path in SOURCE_NOTEBOOKS + RELEASE_NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in nb.cells if c.cell_type == "code"), path
    assert not list(ROOT.glob("**/.ipynb_checkpoints"))


def test_every_grade_cell_has_a_behaviour_id_a_docstring_and_points():
    for path in SOURCE_NOTEBOOKS:
        ids = []
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                ids.append(meta["grade_id"])
                assert re.fullmatch(r"[a-z][A-Za-z0-9_]+", meta["grade_id"]), meta["grade_id"]
                assert meta["points"] > 0
                english, japanese = cell.source.splitlines()[:2]  # the behaviour, as the tables show it
                assert re.fullmatch(r'"""[^"]+', english) and english.isascii(), cell.source
                assert re.fullmatch(r'[^"]*[\u3040-\u30ff][^"]*"""', japanese), cell.source
                assert not re.search(r"\._[a-z]", cell.source), "tests must use only the public interface"
        assert len(ids) == len(set(ids))
        assert len(ids) >= 6, (f"{path.relative_to(ROOT)} has {len(ids)} grade cells; an assignment has at least 6 "
                               f"(one per behaviour): add them with `bpkit new check` (docs/authoring.md)")


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS + RELEASE_NOTEBOOKS, ids=lambda p: f"{p.parts[-3]}/{p.parent.name}")
def test_no_grade_cell_ends_in_a_value_nbgrader_would_take_as_partial_credit(path):
    """nbgrader reads a grade cell's final expression value as its score."""
    import ast

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            last = ast.parse(cell.source).body[-1]
            ok = isinstance(last, (ast.Assert, ast.For)) or (
                isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
                and getattr(last.value.func, "id", "").startswith("check_"))
            assert ok, (cell.metadata["nbgrader"]["grade_id"], ast.dump(last)[:80])
