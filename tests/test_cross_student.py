"""Students graded one after another by the same worker (issue 13): the
worker's warm sandbox forks every kernel from one nursery, and nothing one
kernel does may reach the next.  tests/cross_student/a_leave_behind.py
plants what it can; b_find_leftovers.py, graded later in the same worker,
looks for it and would lose points if it found anything; aoki, in between,
must keep exactly the sample class's scores."""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from bpkit.course import Course
from bpkit.pipeline import grade_assignment
from bpkit.sample import student_cells, write_submission
from conftest import copy_course

FIXTURES = Path(__file__).with_name("cross_student")
ASSIGNMENT, NOTEBOOK = "ch4_gradients", "losses_and_gradients"
STUDENTS = ["a_leave_behind", "aoki", "b_find_leftovers"]  # graded in this order


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("cross") / "course")
    for student in STUDENTS:
        cells = student_cells(student, FIXTURES) if (FIXTURES / f"{student}.py").is_file() else student_cells(student)
        write_submission(root / "release", ASSIGNMENT, cells, root / "submitted" / student / ASSIGNMENT)
    course = Course(root)
    results = grade_assignment(course, ASSIGNMENT, students=STUDENTS, workers=1, log=lambda m: None)
    return root, {r.student: r for r in results}


def printed(root: Path, student: str, prefix: str):
    nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")
    line = next(l for l in text.splitlines() if l.startswith(prefix))
    return ast.literal_eval(line[len(prefix):].strip())


def test_every_student_of_the_worker_keeps_full_marks(graded):
    _, results = graded
    for student in STUDENTS:
        assert results[student].ok, results[student].error
        assert results[student].failed == [], (student, results[student].reasons)


def test_a_later_kernel_finds_nothing_an_earlier_one_left(graded):
    root, _ = graded
    assert printed(root, "b_find_leftovers", "LEFTOVERS:") == []
    assert printed(root, "b_find_leftovers", "WARM:") is True  # forked by the worker's nursery, not a cold sandbox


def test_the_earlier_kernel_could_plant_only_in_its_own_namespaces(graded):
    root, _ = graded
    planted = printed(root, "a_leave_behind", "PLANTED:")
    for own in ("/tmp file", "home file", "beside the notebook", "abstract socket", "environment", "numpy patched"):
        assert planted[own] == "done", (own, planted)  # it did plant, in its own private copies
    for refused in ("kernels folder", "kernels folder parent", "unshare", "mount", "proc"):
        assert planted[refused] != "done", (refused, planted)
    # alone in its PID namespace with its init, which a signal from inside cannot end
    assert planted["processes"] == [1, 2] and planted["init survived"], planted
