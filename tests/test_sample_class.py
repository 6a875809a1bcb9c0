"""End to end: `bpkit demo` grades the bundled sample class through the real
nbgrader pipeline (run by its full path, without an activated virtualenv, in
a fresh course copy that has no gradebook yet), and every student gets
exactly the expected score in every grade cell, with the expected reason."""
import csv

import nbformat
import pytest
from nbgrader.api import Gradebook

from bpkit.grading.records import failure_reason
from bpkit.sample import sample_students

from course_facts import ASSIGNMENTS, cells, expected_score, notebook, sample_expected, score_text, total

CH4, CH5, NET = "ch4_gradients", "ch5_backprop", "ch5_two_layer_net"

# student -> assignment -> {grade cell that loses all its points: reason}.
# Every cell not listed must get full points; the reason is the key of the
# diagnosis a hidden check gave (or the exception's name).  Each mistake
# costs points in exactly one cell.  Derived (tests/course_facts.py): the
# cells of an object a student left as the stub, and each student's own
# mistakes (aoki: the book's code, in-place Relu and overflowing sigmoid
# included; baba: correct alternatives; chiba: nothing; doi: half done; endo,
# fujita, goto, hayashi: the mistakes of bpkit/sample_class/).  A behaviour
# added later is answered by the instructor's solution for every student
# based on it (``# based on: solution``), and stays a stub for chiba.
EXPECTED = {student: {a: sample_expected(student, a) for a in ASSIGNMENTS} for student in sample_students()}


def test_the_sample_class_has_at_least_eight_students_all_with_expectations():
    assert sorted(EXPECTED) == sample_students() and len(EXPECTED) >= 8


def graded_cells(course, student, assignment):
    """grade_id -> (score, max_score, reason if it lost points)."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, student)
        scores = {g.name: (g.score, g.max_score) for nb in submission.notebooks for g in nb.grades}
    reasons = {}
    for path in (course / "autograded" / student / assignment).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in scores and scores[grade_id][0] < scores[grade_id][1]:
                reasons[grade_id] = failure_reason(cell)
    return scores, reasons


@pytest.mark.parametrize("student", sorted(EXPECTED))
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_student_gets_exactly_the_expected_score_in_every_cell(demo_course, student, assignment):
    scores, reasons = graded_cells(demo_course["path"], student, assignment)
    assert sorted(scores) == sorted(cells(assignment))
    expected_failures = EXPECTED[student][assignment]
    for cell, (score, top) in scores.items():
        if cell in expected_failures:
            assert score == 0, f"{student}/{cell} should lose its {top} points"
        else:
            assert score == top, f"{student}/{cell}: {score}/{top}, reason {reasons.get(cell)}"
    assert reasons == expected_failures


def test_the_demo_prints_a_table_exports_csv_and_writes_feedback(demo_course):
    course, out = demo_course["path"], demo_course["stdout"]
    for assignment in ASSIGNMENTS:
        assert f"{assignment}: {len(EXPECTED)} submissions" in out
        assert score_text(total(assignment), assignment) in out
    assert "full marks" in out
    with open(course / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(ASSIGNMENTS) * len(EXPECTED)
    assert {r["student_id"] for r in rows} == set(EXPECTED)
    exported = {(r["student_id"], r["assignment"]): float(r["score"]) for r in rows}
    assert exported == {(s, a): expected_score(s, a) for s in EXPECTED for a in ASSIGNMENTS}
    for student in EXPECTED:
        for assignment in ASSIGNMENTS:
            assert (course / "feedback" / student / assignment / f"{notebook(assignment)}.html").is_file()


def test_the_book_style_in_place_relu_keeps_its_points_and_is_told_why_it_can_bite(demo_course):
    (path,) = (demo_course["path"] / "autograded" / "aoki" / CH5).glob("*.ipynb")
    (cell,) = [c for c in nbformat.read(path, as_version=4).cells
               if c.metadata.get("nbgrader", {}).get("grade_id") == "relu_backward_masks_gradient"]
    text = "".join(o.get("text", "") for o in cell.outputs)
    assert text.count("[relu.inplace_dout]") == 1 and "減点なし" in text


def test_the_demo_grades_in_the_sandbox_with_the_judge_and_says_so(demo_course):
    assert "bubblewrap sandbox" in demo_course["stdout"]
    for student in EXPECTED:
        for assignment in ASSIGNMENTS:
            folder = demo_course["path"] / "autograded" / student / assignment
            judged = (folder / ".bpkit-judge.json").read_text(encoding="utf-8")
            assert '"findings": []' in judged


def test_the_demo_leaves_the_repository_untouched(demo_course):
    assert demo_course["git_before"] == demo_course["git_after"]
