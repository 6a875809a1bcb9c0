"""Parallel batch grading: the same scores whatever the number of workers,
re-runs that skip what is done, --force, manual grades kept, and a broken
submission recorded with zero points without stopping the batch."""
import os

import pytest
from nbgrader.api import Gradebook

from bpkit.batch import MARKER
from bpkit.course import Course
from bpkit.grading import grade_assignment
from bpkit.sample import sample_students, student_cells, write_submission
from conftest import copy_course

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
    assert not results["chiba_fixed"].skipped and results["chiba_fixed"].score == 18.0
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
    assert results["zz_empty"].error == "expected backprop_layers.ipynb; found no notebook at all"
    assert results["aoki"].score == 18.0 and len(results) == 11
    with Gradebook(course.db_url) as gb:
        submission = gb.find_submission(ASSIGNMENT, "zz_broken")
        assert submission.score == 0 and all(g.auto_score == 0 for n in submission.notebooks for g in n.grades)
    assert not (course.root / "autograded" / "zz_broken" / ASSIGNMENT / MARKER).exists()
    assert os.path.exists(course.root / "autograded" / "aoki" / ASSIGNMENT / MARKER)


def test_a_postgresql_gradebook_gets_the_same_scores_as_sqlite(graded_twice, postgres_url, tmp_path):
    _, (sqlite_course, _) = graded_twice
    root = class_course(tmp_path / "course").root
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(f'\nc.CourseDirectory.db_url = "{postgres_url}"\n')
    course = Course(root)
    assert course.db_url.startswith("postgresql://")
    results = grade(course, workers=2)
    assert all(r.ok for r in results) and not (root / "gradebook.db").exists()
    postgres = {key: auto for key, (auto, _, _) in gradebook_dump(course).items()}
    sqlite = {key: auto for key, (auto, _, _) in gradebook_dump(sqlite_course).items()}
    assert len(postgres) == 8 * 13 and all(sqlite[key] == auto for key, auto in postgres.items())
    again = grade(course, workers=2)  # resume works the same against PostgreSQL
    assert all(r.skipped for r in again)
