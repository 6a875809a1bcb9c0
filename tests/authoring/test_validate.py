"""`bpkit release` validates the course through the real judge before it
writes release/ (bpkit/authoring/validate.py): an author's mistake is refused
there, with a message naming the notebook, the grade cell and the fix, and
nothing is released.  The cells planted with a mistake are picked from
source/ and the registry (tests/course_facts.py), never typed in."""
from __future__ import annotations

import subprocess

import nbformat

import course_facts as facts
from conftest import VENV_BIN, clean_env, copy_course, copy_kit


def bpkit(*args, cwd, env=None):
    return subprocess.run([str(VENV_BIN / "bpkit"), *args], cwd=cwd, env=env or clean_env(),
                          capture_output=True, text=True, timeout=900)


def edit_cell(course, assignment: str, grade_id: str, edit) -> None:
    """Replace the source of source/<assignment>'s cell `grade_id` by edit(source)."""
    (path,) = (course / "source" / assignment).glob("*.ipynb")
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    new = edit(cell.source)
    assert new != cell.source
    cell.source = new
    nbformat.write(nb, path)


def released(course, assignment: str) -> bytes:
    (path,) = (course / "release" / assignment).glob("*.ipynb")
    return path.read_bytes()


def where(cell) -> str:
    return f"source/{cell.assignment}/{cell.notebook}.ipynb, grade cell `{cell.grade_id}`"


def test_release_refuses_a_grade_cell_calling_an_unregistered_check_naming_the_cell_and_the_fix(tmp_path):
    course = copy_course(tmp_path / "course")
    cell = facts.grade_cells()[0]
    (name,) = cell.checks
    typo = name + "x"
    edit_cell(course, cell.assignment, cell.grade_id, lambda s: s.replace(f'"{name}"', f'"{typo}"'))
    before = released(course, cell.assignment)
    for args in ((), ("--no-validate",)):  # told before anything runs, with or without the judge
        proc = bpkit("release", *args, cwd=course)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "refused, nothing was released" in proc.stderr
        assert f"{where(cell)}: the grade cell calls check({typo!r}), which no module of bpkit/checks/ defines: " \
               f"did you mean {name!r}?" in proc.stderr
        assert f"`bpkit new check {typo}`" in proc.stderr
        assert released(course, cell.assignment) == before
        assert "released" not in proc.stdout


def test_release_refuses_a_solution_that_fails_its_grade_cells_through_the_judge(tmp_path):
    """The author forgot to write one object's solution (it is the stub):
    every grade cell of that object is named, no other cell is."""
    course = copy_course(tmp_path / "course")
    assignment = facts.ASSIGNMENTS[0]
    obj = facts.grade_cells(assignment)[0].objects[0]
    lost = [c for c in facts.grade_cells(assignment) if obj in c.objects]
    edit_cell(course, assignment, obj, _stubbed)
    before = released(course, assignment)
    proc = bpkit("release", assignment, "--workers", "1", cwd=course)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    for cell in lost:
        assert f"{where(cell)}: the solution in source/ does not pass this cell ([not_implemented]" in proc.stderr
    others = [c for c in facts.grade_cells(assignment) if c not in lost]
    assert others and not any(f"grade cell `{c.grade_id}`" in proc.stderr for c in others)
    assert released(course, assignment) == before


def _stubbed(source: str) -> str:
    """A solution cell whose every function body raises NotImplementedError (an author who left the stub)."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name != "__init__":
            node.body = [ast.parse("raise NotImplementedError").body[0]]
    return ast.unparse(tree)


PLANTED = '''

def check_planted_unsendable(obj) -> None:
    """An author error: the judge cannot send a set to the student's code."""
    call("obj({1, 2})", obj, {1, 2})


def check_planted_raises(obj) -> None:
    """An author error: the check itself raises inside the grader."""
    {}["no such key"]


def check_planted_passes_the_stub(obj) -> None:
    """An author error: the check never calls the student's code."""


__all__ = list(__all__) + ["check_planted_unsendable", "check_planted_raises", "check_planted_passes_the_stub"]
'''


def test_release_refuses_unsendable_arguments_raising_checks_and_checks_passing_the_stub(tmp_path):
    """Three checks an author could write, planted in a copy of the kit and
    called by three grade cells of one assignment: each refusal names its
    cell and says what to fix; the cells left alone are not mentioned."""
    course, env = copy_kit(tmp_path / "course")
    assignment = facts.ASSIGNMENTS[-1]
    cells = facts.grade_cells(assignment)[:3]
    module = cells[0].checks[0].split(".")[0]
    with open(course / "bpkit" / "checks" / f"{module}.py", "a", encoding="utf-8") as f:
        f.write(PLANTED)
    planted = ["planted_unsendable", "planted_raises", "planted_passes_the_stub"]
    for cell, behaviour in zip(cells, planted):
        (name,) = cell.checks
        edit_cell(course, assignment, cell.grade_id, lambda s, n=name, b=behaviour: s.replace(
            f'"{n}"', f'"{module}.{b}"'))
    proc = bpkit("release", assignment, "--workers", "1", cwd=course, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = {cell.grade_id: line for line in proc.stderr.splitlines() for cell in cells if where(cell) in line}
    assert set(said) == {c.grade_id for c in cells}, proc.stderr
    unsendable, raises, passes = (said[c.grade_id] for c in cells)
    assert "passes the student's code a set, which the judge cannot send" in unsendable
    assert "what crosses: numbers, strings, None, NumPy arrays" in unsendable and "dicts of them" in unsendable
    assert f"check {module}.planted_raises raised KeyError" in raises
    assert f"at bpkit/checks/{module}.py:" in raises and "never raise" in raises
    assert "this cell passes with the stub as released" in passes and "docs/authoring.md" in passes
    others = facts.grade_cells(assignment)[3:]
    assert not any(f"grade cell `{c.grade_id}`" in proc.stderr for c in others), proc.stderr


def test_release_without_the_sandbox_refuses_to_validate_and_says_how_to_release_anyway(tmp_path):
    import os
    from pathlib import Path

    course = copy_course(tmp_path / "course")
    bin_dir = tmp_path / "bin"  # the tools nbgrader needs, but no bwrap
    bin_dir.mkdir()
    for tool in ("sh", "cp", "git"):
        if (Path("/usr/bin") / tool).exists():
            os.symlink(Path("/usr/bin") / tool, bin_dir / tool)
    env = {**clean_env(), "PATH": str(bin_dir)}
    assignment = facts.ASSIGNMENTS[0]
    (path,) = (course / "release" / assignment).glob("*.ipynb")
    path.unlink()
    proc = bpkit("release", assignment, cwd=course, env=env)
    assert proc.returncode == 2 and "cannot grade safely" in proc.stderr and "--no-validate" in proc.stderr
    assert not path.exists()
    proc = bpkit("release", assignment, "--no-validate", cwd=course, env=env)
    assert proc.returncode == 0 and "--no-validate" in proc.stderr and path.is_file(), proc.stderr


def test_release_refuses_a_todo_left_by_bpkit_new_naming_each_place_and_whether_students_would_read_it(tmp_path):
    course, env = copy_kit(tmp_path / "course")
    cell = facts.grade_cells()[0]
    (path,) = (course / "source" / cell.assignment).glob("*.ipynb")
    nb = nbformat.read(path, as_version=4)
    grade = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell.grade_id)
    grade.source += "\n# TODO(author): the book's example"
    markdown = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and i > 0)
    nb.cells[markdown].source += "\n\nTODO(author): 日本語の説明"
    solution = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")
                    and "### END SOLUTION" in c.source)
    solution.source = solution.source.replace("### END SOLUTION", "# TODO(author): a tidier solution\n"
                                              "    ### END SOLUTION", 1)
    nbformat.write(nb, path)
    (check,) = cell.checks
    module = course / "bpkit" / "checks" / f"{check.split('.')[0]}.py"
    lines = module.read_text(encoding="utf-8").count("\n")
    with module.open("a", encoding="utf-8") as f:
        f.write("# TODO(author): one English sentence naming the mistake\n")
    before = released(course, cell.assignment)
    for args in (("--no-validate",), ()):  # told before anything runs, with or without the judge
        proc = bpkit("release", cell.assignment, *args, cwd=course, env=env)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        said = [line for line in proc.stderr.splitlines() if "TODO(author)" in line]
        assert len(said) == 4, proc.stderr
        notebook = f"source/{cell.assignment}/{cell.notebook}.ipynb"
        read = "(students would read it in the released notebook)"
        (graded,) = [line for line in said if f"{where(cell)}: " in line]
        assert read in graded and "the book's example" in graded, graded
        (text,) = [line for line in said if f"{notebook}: markdown cell {markdown + 1}: " in line]
        assert read in text and "日本語の説明" in text, text
        (hidden,) = [line for line in said if "a tidier solution" in line]
        assert read not in hidden and f"{notebook}: code cell " in hidden, hidden  # the solution is not released
        (checks,) = [line for line in said if f"bpkit/checks/{module.name}, which its grade cells call" in line]
        assert f"line {lines + 1}: # TODO(author): one English sentence" in checks, checks
        assert released(course, cell.assignment) == before
        assert "released" not in proc.stdout
