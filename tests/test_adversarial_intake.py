"""Hostile submission folders (issue #10), graded through the real pipeline
(bpkit's batch grading, two workers, the sandbox and the judge) in one batch
with honest students.

Classes of problem: links (to the reference, source/, the gradebook,
another student's notebook, /proc/self/environ, /proc/self/mem, /dev/zero;
as a file, a helper module, a subfolder, the student folder), hard links,
FIFOs, and a student folder named like a glob.  Each attacker is refused
with a clear reason (zero in the gradebook, a failure page as feedback),
nothing a link points to appears in any graded or feedback file, the
honest students keep exactly their usual results and the batch finishes."""
from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from bpkit.course import Course
from bpkit.pipeline import grade_assignment
from bpkit.sample import student_cells, write_submission
from conftest import ROOT, copy_course
from test_sample_class import EXPECTED

CH4, NB = "ch4_gradients", "losses_and_gradients.ipynb"
HONEST = ["aoki", "fujita", "goto"]
ENV_SECRET = "BPKIT-ENVIRON-SECRET-7f3a"
PRINT = "\nimport pathlib\nfor _p in sorted(pathlib.Path('.').rglob('*')):\n" \
        "    if _p.is_file() and _p.suffix != '.ipynb':\n        print(_p, _p.read_bytes()[:3000])"


def _with_print(cells: dict) -> dict:
    """aoki's answers, plus a softmax cell that prints every other file it finds."""
    return {**cells, "softmax": cells["softmax"] + PRINT}


def _link(name, target):
    return lambda folder, root: (folder / name).symlink_to(target)


def _replace_notebook_by_link(folder, root):
    (folder / NB).unlink()
    (folder / NB).symlink_to(root / "submitted" / "fujita" / CH4 / NB)


def _fifo_notebook(folder, root):
    (folder / NB).unlink()
    os.mkfifo(folder / NB)


LINKED_MODULE = {"softmax": "from linked_functions import softmax",
                 "cross_entropy_error": "from linked_functions import cross_entropy_error",
                 "numerical_gradient": "from linked_gradient import numerical_gradient"}

# student -> (what to do to aoki's submission folder, words the reason must contain)
ATTACKS = {
    "link_to_reference": (_link("notes.txt", ROOT / "reference" / "functions.py"), "notes.txt is a symbolic link"),
    "link_to_source": (_link("source.txt", ROOT / "source" / CH4 / NB), "source.txt is a symbolic link"),
    "link_to_gradebook": (lambda f, r: (f / "gb.bin").symlink_to(r / "gradebook.db"), "gb.bin is a symbolic link"),
    "link_to_environ": (_link("env.txt", "/proc/self/environ"), "env.txt is a symbolic link"),
    "link_to_proc_mem": (_link("mem.bin", "/proc/self/mem"), "mem.bin is a symbolic link"),
    "link_to_dev_zero": (_link("zero.bin", "/dev/zero"), "zero.bin is a symbolic link"),
    "link_to_other_student": (_replace_notebook_by_link, f"{NB} is a symbolic link"),
    "linked_module": (lambda f, r: [(f / "linked_functions.py").symlink_to(ROOT / "reference" / "functions.py"),
                                    (f / "linked_gradient.py").symlink_to(ROOT / "reference" / "gradient.py")],
                      "is a symbolic link"),
    "linked_subfolder": (_link("common", ROOT / "reference"), "common is a symbolic link"),
    "hard_link": (lambda f, r: os.link(r / "source" / CH4 / NB, f / "copy.ipynb"), "hard link"),
    "fifo_notebook": (_fifo_notebook, "FIFO"),
}
SECRETS = [ENV_SECRET, "Activation and loss functions (book chapters 3-4)", "SQLite format 3",
           "BEGIN HIDDEN TESTS", "check(\"ch4."]


@pytest.fixture(scope="module")
def intake_batch(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("intake") / "course")
    Course(root).ensure_in_gradebook(CH4)  # so that a link to gradebook.db points at a real file
    for student in HONEST:
        write_submission(root / "release", CH4, student_cells(student), root / "submitted" / student / CH4)
    for student, (attack, _) in ATTACKS.items():
        folder = root / "submitted" / student / CH4
        cells = LINKED_MODULE if student == "linked_module" else _with_print(student_cells("aoki"))
        write_submission(root / "release", CH4, cells, folder)
        attack(folder, root)
    (root / "submitted" / "linked_student").symlink_to(root / "submitted" / "aoki")
    write_submission(root / "release", CH4, _with_print(student_cells("aoki")), root / "submitted" / "*" / CH4)
    os.environ["BPKIT_TEST_SECRET"] = ENV_SECRET  # what /proc/self/environ would show
    outcome = {}

    def run():
        outcome["results"] = grade_assignment(Course(root), CH4, workers=2, log=lambda m: None)
    thread = threading.Thread(target=run, daemon=True)
    try:
        thread.start()
        thread.join(600)
    finally:
        os.environ.pop("BPKIT_TEST_SECRET", None)
    assert not thread.is_alive(), "the batch hung"
    return root, {r.student: r for r in outcome["results"]}


def test_does_the_batch_finish_with_every_submission_accounted_for(intake_batch):
    _, results = intake_batch
    assert set(results) == set(HONEST) | set(ATTACKS) | {"linked_student", "*"}


@pytest.mark.parametrize("student", HONEST)
def test_do_honest_students_in_the_same_batch_keep_exactly_their_usual_results(intake_batch, student):
    _, results = intake_batch
    result = results[student]
    assert result.ok, result.error
    assert {c: result.reasons.get(c) for c in result.failed} == EXPECTED[student][CH4]


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_is_a_submission_with_a_link_or_special_file_refused_with_its_reason(intake_batch, student):
    root, results = intake_batch
    result = results[student]
    assert not result.ok and ATTACKS[student][1] in result.error, result.error
    assert not list((root / "autograded" / student / CH4).glob("*.ipynb"))
    page = (root / "feedback" / student / CH4 / "losses_and_gradients.html").read_text(encoding="utf-8")
    assert "could not be graded" in page and ATTACKS[student][1].replace("'", "&#x27;") in page
    db = sqlite3.connect(root / "gradebook.db")
    score = db.execute("select sum(coalesce(auto_score, 0)) from grade join submitted_notebook sn on "
                       "sn.id = grade.notebook_id join submitted_assignment sa on sa.id = sn.assignment_id "
                       "where sa.student_id = ?", (student,)).fetchone()[0]
    assert score == 0


def test_is_a_student_folder_that_is_a_link_refused(intake_batch):
    _, results = intake_batch
    assert "The student folder 'linked_student' is a symbolic link" in results["linked_student"].error


def test_is_a_student_folder_named_like_a_glob_refused_and_never_given_to_nbgrader(intake_batch):
    root, results = intake_batch
    assert "cannot be used as an nbgrader id" in results["*"].error
    assert not (root / "autograded" / "*").exists() and not (root / "feedback" / "*").exists()
    db = sqlite3.connect(root / "gradebook.db")
    assert db.execute("select count(*) from student where id = '*'").fetchone() == (0,)
    for student in HONEST:  # nbgrader would have removed every other student's graded files
        assert (root / "autograded" / student / CH4 / NB).is_file()


def test_does_nothing_a_link_points_to_appear_in_any_graded_or_feedback_file(intake_batch):
    root, _ = intake_batch
    for top in ("autograded", "feedback"):
        for path in (root / top).rglob("*"):
            if path.is_file() and not path.is_symlink():
                text = path.read_bytes().decode("utf-8", "replace")
                for secret in SECRETS[:3]:
                    assert secret not in text, (path, secret)
                if top == "feedback":
                    for secret in SECRETS[3:]:
                        assert secret not in text, (path, secret)


def test_is_the_batchs_scratch_folder_removed(intake_batch):
    import tempfile

    assert not [p for p in Path(tempfile.gettempdir()).glob("bpkit-batch-*") if (p / "submitted" / "*").exists()]
