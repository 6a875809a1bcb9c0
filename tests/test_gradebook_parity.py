"""`bpkit grade` writes the course gradebook exactly as stock `nbgrader
autograde` does (issue #10, class of problem: fields lost between a
worker's scratch gradebook and the course gradebook).  The same
submissions (on time, late, and without a timestamp) are graded by stock
nbgrader in one course copy and by bpkit in another, with a due date and
nbgrader's "zero" late penalty; the gradebooks are compared field by
field."""
from __future__ import annotations

import os
from datetime import datetime

import pytest
from nbgrader.api import Gradebook

from bpkit.course import Course
from bpkit.pipeline import grade_assignment
from bpkit.sample import student_cells, write_submission
from conftest import copy_course, nbgrader

CH4 = "ch4_gradients"
DUE = datetime(2026, 1, 10, 12, 0, 0)
STUDENTS = {"aoki": "2026-01-09 10:00:00.000000 UTC",  # on time
            "fujita": "2026-01-11 09:30:00.000000 UTC",  # late: the "zero" penalty takes all 14 points
            "goto": None}  # no timestamp.txt


def course_copy(path) -> Course:
    root = copy_course(path)
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    course = Course(root)
    course.ensure_in_gradebook(CH4)
    with course.gradebook() as gb:
        gb.update_or_create_assignment(CH4, duedate=DUE)
    for student, stamp in STUDENTS.items():
        folder = root / "submitted" / student / CH4
        write_submission(root / "release", CH4, student_cells(student), folder)
        if stamp:
            (folder / "timestamp.txt").write_text(stamp, encoding="utf-8")
            # as nbgrader's submit and collect leave it: no file written after the time it claims
            # (bpkit.grading.intake.check_timestamp)
            written = datetime.fromisoformat(stamp[:19] + "+00:00").timestamp() - 60
            for path in folder.rglob("*"):
                if path.is_file():
                    os.utime(path, (written, written))
    return course


def dump(course: Course) -> dict:
    """Every field autograde writes, per submission, notebook, grade and comment."""
    out = {}
    with Gradebook(course.db_url) as gb:
        for sub in gb.find_assignment(CH4).submissions:
            s = sub.student.id
            out[s] = {"timestamp": sub.timestamp, "score": sub.score, "max_score": sub.max_score,
                      "late_submission_penalty": sub.late_submission_penalty,
                      "total_seconds_late": sub.total_seconds_late, "extension": sub.extension,
                      "needs_manual_grade": sub.needs_manual_grade}
            for nb in sub.notebooks:
                out[s][nb.name] = {"score": nb.score, "late_submission_penalty": nb.late_submission_penalty,
                                   "needs_manual_grade": nb.needs_manual_grade, "flagged": nb.flagged}
                for g in nb.grades:
                    out[s][nb.name][g.name] = (g.auto_score, g.manual_score, g.extra_credit,
                                               g.needs_manual_grade, g.score)
                for c in nb.comments:
                    out[s][nb.name]["comment " + c.name] = (c.auto_comment, c.manual_comment)
    return out


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    stock = course_copy(tmp_path_factory.mktemp("stock") / "course")
    # nbgrader's own converter, as the course's config lets it run for comparisons (bpkit.nbgrader_hooks)
    proc = nbgrader("autograde", CH4, "--BpkitAutograde.stock_nbgrader=True", cwd=stock.root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ours = course_copy(tmp_path_factory.mktemp("bpkit") / "course")
    results = grade_assignment(ours, CH4, workers=2, feedback=False, log=lambda m: None)
    assert all(r.ok for r in results), [r.error for r in results]
    return dump(stock), dump(ours)


def test_is_a_late_submission_penalised_as_stock_nbgrader_penalises_it(both):
    stock, ours = both
    # nbgrader keeps the score and records the penalty beside it (export subtracts it)
    assert stock["fujita"]["late_submission_penalty"] == 14  # the premise
    assert ours["fujita"]["late_submission_penalty"] == 14 and ours["fujita"]["losses_and_gradients"][
        "late_submission_penalty"] == 14
    assert ours["aoki"]["late_submission_penalty"] == 0 and ours["aoki"]["score"] == 14


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_does_bpkit_write_every_gradebook_field_as_stock_nbgrader_does(both, student):
    stock, ours = both
    assert ours[student] == stock[student]
