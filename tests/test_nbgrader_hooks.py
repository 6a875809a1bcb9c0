"""One door for autograding (issue 19): `nbgrader autograde`,
`NbGraderAPI.autograde` (what formgrader's Autograde button calls) and
`nbgrader generate_feedback` on this course do what `bpkit grade` does:
the sandbox, the judge, the same scores, a clean graded notebook, failed
submissions recorded as failed, feedback folders holding only pages; with the
sandbox unavailable they refuse, naming `bpkit grade`; nbgrader's own
converter runs only when the course says so, and never over the judge's
scores.  (tests/test_formgrader_attacks.py clicks the same buttons in a browser.)"""
from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from pathlib import Path

import nbformat
import pytest

import course_facts as facts
from bpkit.course import Course
from bpkit.grading.records import JUDGE_FILE
from bpkit.pipeline import grade_assignment
from bpkit.sample import student_cells, write_submission
from conftest import VENV_BIN, clean_env, copy_course, nbgrader

CH4, NB4 = "ch4_gradients", "losses_and_gradients"
HONEST = ["aoki", "endo"]
#: Written by the escapee's correct softmax cell, on the grading machine if its code runs there.
ESCAPE = Path(f"/tmp/bpkit-issue19-escape-{uuid.uuid4().hex}")

ESCAPEE = f'''
import numpy as np
from IPython.display import HTML, display


def softmax(x):
    c = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - c)
    return e / np.sum(e, axis=-1, keepdims=True)


for _target in ("{ESCAPE}", "../../../escaped-into-the-course.txt"):
    try:
        with open(_target, "w") as _f:
            _f.write("ran outside the sandbox")
    except OSError:
        pass
display(HTML("<b>softmax</b><script>window.PWNED = 'escapee'</script>"))
'''


def submit(root: Path, student: str, cells: dict, renamed: bool = False) -> None:
    folder = root / "submitted" / student / CH4
    write_submission(root / "release", CH4, cells, folder)
    (folder / "timestamp.txt").write_text("2026-01-09 10:00:00.000000 UTC", encoding="utf-8")
    if renamed:
        (folder / f"{NB4}.ipynb").rename(folder / "my_work.ipynb")


def new_course(path: Path) -> Path:
    root = copy_course(path)
    for student in HONEST:
        submit(root, student, student_cells(student))
    submit(root, "escapee", {**student_cells("aoki"), "softmax": ESCAPEE})
    submit(root, "renamer", student_cells("aoki"), renamed=True)
    return root


def scores(root: Path) -> dict:
    """student -> grade id -> (auto score, max score), from the gradebook."""
    course = Course(root)
    found = {}
    with course.gradebook() as gb:
        for submission in gb.assignment_submissions(CH4):
            found[submission.student.id] = {g.name: (g.auto_score, g.max_score)
                                            for nb in submission.notebooks for g in nb.grades}
    return found


def escaped(root: Path) -> list[str]:
    return [str(p) for p in (ESCAPE, root / "escaped-into-the-course.txt", root.parent / "escaped-into-the-course.txt")
            if p.exists()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The class graded by `bpkit grade`'s own function."""
    root = new_course(tmp_path_factory.mktemp("bpkit") / "course")
    results = grade_assignment(Course(root), CH4, workers=2, feedback=False, log=lambda m: None)
    assert [r.student for r in results if not r.ok] == ["renamer"]
    return scores(root)


@pytest.fixture(scope="module")
def by_nbgrader(tmp_path_factory):
    """The same class graded by the plain `nbgrader autograde` command."""
    root = new_course(tmp_path_factory.mktemp("nbgrader") / "course")
    proc = nbgrader("autograde", CH4, cwd=root)
    return {"root": root, "proc": proc, "escaped": escaped(root)}


def test_does_nbgrader_autograde_give_bpkit_grades_scores(by_nbgrader, reference):
    assert scores(by_nbgrader["root"]) == reference
    assert sum(s for s, _ in reference["aoki"].values()) == sum(m for _, m in reference["aoki"].values())
    assert sum(s for s, _ in reference["renamer"].values()) == 0


def test_does_nbgrader_autograde_run_student_code_only_in_the_sandbox_and_judge_it(by_nbgrader):
    root = by_nbgrader["root"]
    assert by_nbgrader["escaped"] == [] and not ESCAPE.exists()
    for student in HONEST + ["escapee"]:
        record = json.loads((root / "autograded" / student / CH4 / JUDGE_FILE).read_text(encoding="utf-8"))
        assert record["cells"][NB4], student  # the judge decided every graded cell


def test_does_nbgrader_autograde_say_which_submission_failed_and_exit_1(by_nbgrader):
    proc = by_nbgrader["proc"]
    assert proc.returncode == 1
    log = proc.stdout + proc.stderr
    assert "renamer/ch4_gradients could not be graded" in log and "my_work.ipynb" in log
    assert "as `bpkit grade` does" in log


def test_is_the_graded_notebook_of_nbgrader_autograde_clean(by_nbgrader):
    nb = nbformat.read(by_nbgrader["root"] / "autograded" / "escapee" / CH4 / f"{NB4}.ipynb", as_version=4)
    text = json.dumps([cell.get("outputs") for cell in nb.cells])
    assert "<b>softmax</b>" in text and "<script>" not in text and "&lt;script&gt;" in text


def test_does_formgrader_list_a_failed_submission_as_graded_with_zero(by_nbgrader):
    api = Course(by_nbgrader["root"]).api
    listed = {s["student"]: s for s in api.get_submissions(CH4)}
    assert listed["renamer"]["autograded"] is True and listed["renamer"]["score"] == 0.0
    assert listed["aoki"]["autograded"] is True and listed["aoki"]["score"] == facts.total(CH4)


def test_does_generate_feedback_leave_only_the_pages(by_nbgrader):
    root = by_nbgrader["root"]
    proc = nbgrader("generate_feedback", CH4, cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    folders = sorted((root / "feedback").glob(f"*/{CH4}"))
    assert [f.parent.name for f in folders] == sorted(HONEST + ["escapee", "renamer"])
    # the submission that could not be graded gets bpkit grade's bilingual page saying why
    failure = (root / "feedback" / "renamer" / CH4 / f"{NB4}.html").read_text(encoding="utf-8")
    assert "my_work.ipynb" in failure and "提出" in failure
    for folder in folders:
        names = {p.name for p in folder.iterdir()}
        assert f"{NB4}.html" in names and names <= {f"{NB4}.html", "timestamp.txt", "submission_secret.txt"}, names


def test_does_the_api_formgrader_calls_grade_one_student_as_bpkit_does(tmp_path, reference):
    root = new_course(tmp_path / "course")
    outcome = Course(root).api.autograde(CH4, "escapee")  # formgrader's Autograde button, per student
    assert outcome["success"], outcome
    assert escaped(root) == [] and (root / "autograded" / "escapee" / CH4 / JUDGE_FILE).is_file()
    assert scores(root) == {"escapee": reference["escapee"]}


def test_does_stock_nbgrader_run_only_when_asked_and_never_over_the_judges_scores(tmp_path, reference):
    root = new_course(tmp_path / "course")
    Course(root).ensure_in_gradebook(CH4)  # stock nbgrader needs the assignment in the gradebook first
    stock = nbgrader("autograde", CH4, "--student=escapee", "--BpkitAutograde.stock_nbgrader=True", cwd=root)
    # the premise: nbgrader's own autograde runs the student's code on this machine, as the instructor
    assert stock.returncode == 0, stock.stdout + stock.stderr
    assert escaped(root), "stock nbgrader should have let the escapee write outside"
    ESCAPE.unlink(missing_ok=True)
    for path in escaped(root):
        os.unlink(path)
    assert nbgrader("autograde", CH4, "--student=aoki", cwd=root).returncode == 0  # judged
    judged = scores(root)["aoki"]
    again = nbgrader("autograde", CH4, "--student=aoki", "--force", "--BpkitAutograde.stock_nbgrader=True", cwd=root)
    assert "would replace the judge's scores of aoki/ch4_gradients" in again.stdout + again.stderr
    assert scores(root)["aoki"] == judged == reference["aoki"]


def test_does_nbgrader_autograde_refuse_without_the_sandbox_naming_bpkit_grade(tmp_path):
    root = new_course(tmp_path / "course")
    bin_dir = tmp_path / "bin"  # the tools grading needs, but no bwrap
    bin_dir.mkdir()
    for tool in ("sh", "cp", "git"):
        if (Path("/usr/bin") / tool).exists():
            os.symlink(Path("/usr/bin") / tool, bin_dir / tool)
    env = dict(clean_env(), PATH=str(bin_dir))
    import subprocess

    proc = subprocess.run([str(VENV_BIN / "nbgrader"), "autograde", CH4], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "sandbox" in log and f"bpkit grade {CH4}" in log, log
    assert not list((root / "autograded").glob("*/*")) and escaped(root) == []


def test_do_grading_workers_start_afresh_from_a_server_event_loop_or_thread():
    from bpkit.grading.batch import pool_context

    assert pool_context() is None  # a plain command forks its workers

    async def in_loop():
        return pool_context()

    assert asyncio.run(in_loop()).get_start_method() == "spawn"
    found = []
    worker = threading.Thread(target=lambda: found.append(pool_context()))
    worker.start()
    worker.join()
    assert found[0].get_start_method() == "spawn"


def test_does_routing_happen_once_however_often_nbgrader_reads_the_config(tmp_path):
    from nbgrader.converters import Autograde, GenerateFeedback

    from bpkit.nbgrader_hooks import route_through_bpkit

    Course(copy_course(tmp_path / "course"))  # reads nbgrader_config.py, which routes
    starts = (Autograde.start, GenerateFeedback.start)
    for _ in range(3):
        route_through_bpkit()
        Course(tmp_path / "course")
    assert (Autograde.start, GenerateFeedback.start) == starts
    assert Autograde.start.__qualname__.startswith("route_through_bpkit")
