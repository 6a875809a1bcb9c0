"""bpkit.presentation.feedback: when a student's feedback counts as done
(the rest, pages written by workers and only generated pages installed, is
graded through the real pipeline in tests/test_adversarial_gate.py)."""
from __future__ import annotations

import json
from types import SimpleNamespace

from bpkit.grading.batch import MARKER
from bpkit.presentation.feedback import FEEDBACK_FILE, feedback_done, mark_feedback_done


def course_at(tmp_path):
    return SimpleNamespace(autograded=lambda student, assignment: tmp_path / student / assignment)


def test_is_feedback_done_only_for_the_files_last_graded(tmp_path):
    course = course_at(tmp_path)
    folder = tmp_path / "aoki" / "a1"
    folder.mkdir(parents=True)
    assert not feedback_done(course, "a1", "aoki")  # never graded
    (folder / MARKER).write_text(json.dumps({"hash": "h1"}))
    assert not feedback_done(course, "a1", "aoki")  # graded, pages not written (Ctrl-C, --no-feedback)
    mark_feedback_done(course, "a1", "aoki")
    assert feedback_done(course, "a1", "aoki")
    (folder / MARKER).write_text(json.dumps({"hash": "h2"}))  # regraded from other files
    assert not feedback_done(course, "a1", "aoki")
    (folder / FEEDBACK_FILE).write_text("{ broken")
    assert not feedback_done(course, "a1", "aoki")
