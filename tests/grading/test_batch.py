"""Parallel batch grading: the same scores whatever the number of workers,
re-runs that skip what is done, --force, manual grades kept, and a broken
submission recorded with zero points without stopping the batch."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
from nbgrader.api import Gradebook

from bpkit.grading.batch import MARKER
from bpkit.course import Course
from bpkit.pipeline import grade_assignment
from bpkit.sample import sample_students, student_cells, write_submission
import course_facts as facts
from conftest import copy_course, use_database

ASSIGNMENT = "ch5_backprop"


def class_course(path):
    root = copy_course(path)
    for student in sample_students():
        write_submission(root / "release", ASSIGNMENT, student_cells(student), root / "submitted" / student / ASSIGNMENT)
    return Course(root)


def gradebook_dump(course):
    with Gradebook(course.db_url) as gb:
        return {(s.student.id, g.name): (g.auto_score, g.manual_score, g.needs_manual_grade)
                for s in gb.find_assignment(ASSIGNMENT).submissions for n in s.notebooks for g in n.grades}


def grade(course, **kwargs):
    return grade_assignment(course, ASSIGNMENT, feedback=False, log=lambda m: None, **kwargs)


@pytest.fixture(scope="module")
def graded_twice(tmp_path_factory):
    one = class_course(tmp_path_factory.mktemp("one") / "course")
    two = class_course(tmp_path_factory.mktemp("two") / "course")
    return (one, grade(one, workers=1)), (two, grade(two, workers=2))


def test_one_worker_and_two_workers_give_identical_gradebooks(graded_twice):
    (one, results_one), (two, results_two) = graded_twice
    assert gradebook_dump(one) == gradebook_dump(two)
    assert len(gradebook_dump(one)) == 8 * 13
    assert [(r.student, r.score) for r in results_one] == [(r.student, r.score) for r in results_two]
    assert {r.student: r.score for r in results_two}["fujita"] == 11.0


def test_a_rerun_skips_unchanged_submissions_and_force_regrades_them(graded_twice):
    _, (course, _) = graded_twice
    notebook = next((course.root / "autograded" / "aoki" / ASSIGNMENT).glob("*.ipynb"))
    before = notebook.stat().st_mtime_ns
    again = grade(course, workers=2)
    assert all(r.skipped for r in again) and notebook.stat().st_mtime_ns == before
    forced = grade(course, workers=2, force=True)
    assert not any(r.skipped for r in forced) and notebook.stat().st_mtime_ns != before


def test_a_changed_submission_is_regraded_on_the_next_run(graded_twice):
    _, (course, _) = graded_twice
    write_submission(course.root / "release", ASSIGNMENT, student_cells("aoki"),
                     course.root / "submitted" / "chiba_fixed" / ASSIGNMENT)
    results = {r.student: r for r in grade(course, workers=2)}
    assert not results["chiba_fixed"].skipped and results["chiba_fixed"].score == facts.total(ASSIGNMENT)
    assert results["aoki"].skipped


def test_manual_grades_entered_in_formgrader_are_never_overwritten(graded_twice):
    (course, _), _ = graded_twice
    with Gradebook(course.db_url) as gb:
        grade_row = gb.find_grade("relu_backward_masks_gradient", "backprop_layers", ASSIGNMENT, "fujita")
        grade_row.manual_score = 1.5
        gb.db.commit()
    grade(course, workers=2, force=True)
    with Gradebook(course.db_url) as gb:
        grade_row = gb.find_grade("relu_backward_masks_gradient", "backprop_layers", ASSIGNMENT, "fujita")
        assert grade_row.manual_score == 1.5 and grade_row.score == 1.5
        assert grade_row.auto_score == 0 and grade_row.needs_manual_grade


def test_a_broken_submission_scores_zero_with_a_reason_and_the_batch_goes_on(tmp_path):
    course = class_course(tmp_path / "course")
    broken = course.root / "submitted" / "zz_broken" / ASSIGNMENT
    write_submission(course.root / "release", ASSIGNMENT, {}, broken)
    (broken / "backprop_layers.ipynb").write_bytes(b"\xff\xfe not json")
    renamed = course.root / "submitted" / "zz_renamed" / ASSIGNMENT
    write_submission(course.root / "release", ASSIGNMENT, student_cells("aoki"), renamed)
    (renamed / "backprop_layers.ipynb").rename(renamed / "backprop_layers (1).ipynb")
    (course.root / "submitted" / "zz_empty" / ASSIGNMENT).mkdir(parents=True)
    results = {r.student: r for r in grade(course, workers=2)}
    assert not results["zz_broken"].ok and "UnicodeDecodeError" in results["zz_broken"].error
    assert results["zz_renamed"].error == "expected backprop_layers.ipynb; found backprop_layers (1).ipynb"
    from bpkit.presentation.report import collect  # the report keeps what the command said, whole
    assert collect(course, ASSIGNMENT).not_graded["zz_renamed"] == results["zz_renamed"].error
    assert results["zz_empty"].error == "expected backprop_layers.ipynb; found no notebook at all"
    assert results["aoki"].score == facts.total(ASSIGNMENT) and len(results) == 11
    with Gradebook(course.db_url) as gb:
        submission = gb.find_submission(ASSIGNMENT, "zz_broken")
        assert submission.score == 0 and all(g.auto_score == 0 for n in submission.notebooks for g in n.grades)
    assert not (course.root / "autograded" / "zz_broken" / ASSIGNMENT / MARKER).exists()
    assert os.path.exists(course.root / "autograded" / "aoki" / ASSIGNMENT / MARKER)


def test_a_postgresql_gradebook_gets_the_same_scores_as_sqlite(graded_twice, postgres, tmp_path):
    _, (sqlite_course, _) = graded_twice
    root = class_course(tmp_path / "course").root
    use_database(root, postgres("sample_class"))
    course = Course(root)
    assert course.db_url.startswith("postgresql://")
    results = grade(course, workers=2)
    assert all(r.ok for r in results) and not (root / "gradebook.db").exists()
    postgres = {key: auto for key, (auto, _, _) in gradebook_dump(course).items()}
    sqlite = {key: auto for key, (auto, _, _) in gradebook_dump(sqlite_course).items()}
    assert len(postgres) == 8 * 13
    assert {key: auto for key, auto in postgres.items() if sqlite[key] != auto} == {}
    again = grade(course, workers=2)  # resume works the same against PostgreSQL
    assert all(r.skipped for r in again)


# ------------------------------------------------------ bad submissions ---

CH4, NB4 = "ch4_gradients", "losses_and_gradients.ipynb"


def _gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _edit(root, student, base, change):
    """A submission made from a sample student's cells, then changed by `change(folder, nb)`."""
    import nbformat

    folder = root / "submitted" / student / CH4
    write_submission(root / "release", CH4, student_cells(base), folder)
    nb = nbformat.read(folder / NB4, as_version=4)
    if change(folder, nb) is not False:
        nbformat.write(nb, folder / NB4)


def _append(grade_id, code):
    def change(folder, nb):
        for cell in nb.cells:
            if _gid(cell) == grade_id:
                cell.source += "\n" + code
    return change


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bad_class(request, tmp_path_factory):
    import json

    import nbformat

    root = copy_course(tmp_path_factory.mktemp("bad") / "course")
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write("\nc.Execute.timeout = 5\n")
    if request.param == "postgresql":
        use_database(root, request.getfixturevalue("postgres")("bad_class"))
    _edit(root, "v3", "aoki", lambda d, nb: nbformat.write(nbformat.convert(nb, 3), d / NB4) and False)
    _edit(root, "extra_notebook", "aoki", lambda d, nb: nbformat.write(nb, d / "scratch.ipynb"))
    _edit(root, "deleted_cell", "aoki",
          lambda d, nb: setattr(nb, "cells", [c for c in nb.cells if _gid(c) != "softmax_batch_normalises_each_row"]))

    def reorder(d, nb):
        i = next(k for k, c in enumerate(nb.cells) if _gid(c) == "softmax_1d_matches_book_example")
        nb.cells.append(nb.cells.pop(i))
    _edit(root, "reordered_cells", "aoki", reorder)

    def duplicate(d, nb):
        for name in ("softmax_1d_matches_book_example", "softmax"):
            i = next(k for k, c in enumerate(nb.cells) if _gid(c) == name)
            copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[i])))
            copy.id = f"copy-{name}".replace("_", "-")
            nb.cells.insert(i, copy)
    _edit(root, "duplicated_cells", "aoki", duplicate)

    def weaken(d, nb):  # the student "fixes" a failing test by editing it
        for cell in nb.cells:
            if _gid(cell) == "softmax_no_overflow_for_large_scores":
                cell.source = '"""softmax stays finite for scores around 1000."""\npass'
    _edit(root, "edited_test_cell", "endo", weaken)

    def inflate(d, nb):
        for cell in nb.cells:
            if _gid(cell) == "softmax_1d_matches_book_example":
                cell.metadata.nbgrader["points"] = 100
    _edit(root, "edited_points", "aoki", inflate)
    _edit(root, "kernel_dies", "aoki", _append("cross_entropy_error", "import os; os._exit(1)"))
    _edit(root, "never_returns", "aoki", _append("cross_entropy_error", "while True:\n    pass"))
    _edit(root, "floods_output", "aoki", _append("softmax", "print('x' * 20_000_000)"))
    _edit(root, "yamada taro", "aoki", lambda d, nb: None)
    _edit(root, "山田花子", "aoki", lambda d, nb: None)
    course = Course(root)
    return course, {r.student: r for r in grade_assignment(course, CH4, workers=2, log=lambda m: None)}


@pytest.mark.parametrize("student, lost", [
    ("v3", {}),
    ("extra_notebook", {}),
    ("deleted_cell", {"softmax_batch_normalises_each_row": "cell deleted"}),
    ("reordered_cells", {}),
    ("duplicated_cells", {}),
    ("edited_test_cell", {"softmax_no_overflow_for_large_scores": "softmax.overflow",
                              "cross_entropy_one_hot_matches_book_examples": "cee.labels_only",
                              "numerical_gradient_matches_book_example": "numgrad.forward_difference"}),
    ("edited_points", {}),
    ("never_returns", {}),
    ("floods_output", {}),
    ("yamada taro", {}),
    ("山田花子", {}),
])
def test_a_damaged_submission_gets_the_score_its_code_deserves(bad_class, student, lost):
    course, results = bad_class
    result = results[student]
    assert result.ok, result.error
    full = facts.total(CH4)
    assert (result.score, result.max_score) == (full - sum(facts.points(CH4)[cell] for cell in lost), full)
    assert {cell: result.reasons[cell] for cell in result.failed} == lost
    assert any((course.root / "feedback" / student / CH4).glob("*.html"))


def test_a_kernel_that_dies_keeps_the_cells_the_judge_checked_before_and_the_batch_goes_on(bad_class):
    course, results = bad_class
    result = results["kernel_dies"]  # os._exit in the cross-entropy cell, after the three softmax cells
    assert result.ok and "kernel died" in result.note
    assert result.failed == [c for c in result.cells if not c.startswith("softmax")]
    kept = sum(points for cell, points in facts.points(CH4).items() if cell.startswith("softmax"))
    assert set(result.reasons.values()) == {"not_run"} and result.score == kept
    page = (course.root / "feedback" / "kernel_dies" / CH4 / "losses_and_gradients.html").read_text(encoding="utf-8")
    assert "kernel died" in page and "途中で停止" in page and facts.score_text(kept, CH4) in page
    with Gradebook(course.db_url) as gb:
        assert gb.find_submission(CH4, "kernel_dies").score == 3
    assert len(results) == 12 and all(r.ok for r in results.values())


def test_a_flood_of_output_is_cut_in_the_graded_notebook(bad_class):
    course, _ = bad_class
    graded = course.root / "autograded" / "floods_output" / CH4 / NB4
    assert graded.stat().st_size < 2_000_000


_GRADE_AND_LIST_TMP = """
import json, os, sys, tempfile
from bpkit.course import Course
from bpkit.pipeline import grade_assignment
for sandbox in (True, False):
    results = grade_assignment(Course(sys.argv[1]), sys.argv[2], workers=1, force=True, sandbox=sandbox,
                               log=lambda m: None)
    assert results[0].ok, results[0].error
print(json.dumps(sorted(os.listdir(tempfile.gettempdir()))))
"""


def test_grading_leaves_nothing_behind_in_the_temporary_directory(tmp_path):
    """Graded in a process of its own with a private TMPDIR (short: kernel
    sockets live there), so another process grading at the same time on this
    machine cannot put its scratch into what this test counts."""
    course = copy_course(tmp_path / "course")
    write_submission(course / "release", ASSIGNMENT, student_cells("fujita"),
                     course / "submitted" / "fujita" / ASSIGNMENT)
    private = tempfile.mkdtemp(prefix="bt-", dir="/tmp")
    try:
        done = subprocess.run([sys.executable, "-c", _GRADE_AND_LIST_TMP, str(course), ASSIGNMENT],
                              env={**os.environ, "TMPDIR": private}, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        left = json.loads(done.stdout.strip().splitlines()[-1])
        assert left == [], f"left in TMPDIR after grading: {left}"
    finally:
        shutil.rmtree(private, ignore_errors=True)
