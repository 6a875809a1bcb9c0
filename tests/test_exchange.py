"""The real workflow through nbgrader's filesystem exchange, as on a
JupyterHub: the instructor releases, two students fetch, fill in and submit
from their own homes, the instructor collects and grades with `bpkit grade`
and releases feedback, and each student fetches exactly their own feedback.

Every step is the plain `nbgrader` command (or `bpkit grade`) in its own
process.  nbgrader names a submission after the OS user
(`nbgrader.utils.get_username`), except that the OS user `jovyan` of the
Jupyter docker-stacks images -- the usual JupyterHub single-user server --
takes the name from JUPYTERHUB_USER.  Everything here runs as one OS user,
so a student's process is started as that case: its OS user name reads as
`jovyan` (nothing else is patched) and JUPYTERHUB_USER names the student,
with a home of its own (nbgrader's submission cache lives there)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import course_facts as facts
from bpkit.sample import student_cells
from conftest import VENV_BIN, clean_env, copy_course, nbgrader

COURSE_ID = "dlfs-backprop"
ASSIGNMENT = "ch5_backprop"
NOTEBOOK = "backprop_layers.ipynb"
# student -> (sample student whose answers they hand in, score expected out of 18)
STUDENTS = {"alice": ("aoki", facts.expected_score("aoki", ASSIGNMENT)),
            "bob": ("fujita", facts.expected_score("fujita", ASSIGNMENT))}

# The student's `nbgrader` command, in a single-user server whose OS user is jovyan.
AS_JUPYTERHUB_USER = (
    "import sys, nbgrader.utils\n"
    "nbgrader.utils.get_osusername = lambda: 'jovyan'\n"
    "from nbgrader.apps.nbgraderapp import main\n"
    "sys.argv[0] = 'nbgrader'\n"
    "sys.exit(main())\n"
)


def as_student(name: str, home: Path, *args, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER"))}
    env.update(HOME=str(home), JUPYTERHUB_USER=name, USER="jovyan", LOGNAME="jovyan",
               PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "")]))
    proc = subprocess.run([sys.executable, "-c", AS_JUPYTERHUB_USER, *args], cwd=home, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 or not check, f"{name}: nbgrader {' '.join(args)}\n{proc.stdout}{proc.stderr}"
    return proc


def instructor(*args, course: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = nbgrader(*args, cwd=course)
    assert proc.returncode == 0 or not check, f"nbgrader {' '.join(args)}\n{proc.stdout}{proc.stderr}"
    return proc


def fill_in(notebook: Path, cells: dict) -> None:
    """What the student types: their code in each solution cell, in the fetched notebook itself."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cells.get(meta.get("grade_id")) is not None:
            cell.source = cells[meta["grade_id"]].rstrip("\n")
    nbformat.write(nb, notebook)


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    base = tmp_path_factory.mktemp("exchange")
    exchange = base / "exchange"
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)  # as nbgrader's docs set it up: every user may write
    course = copy_course(base / "instructor" / "course")
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    homes = {}
    for name in STUDENTS:
        homes[name] = base / "home" / name
        (homes[name] / ".jupyter").mkdir(parents=True)
        # What a JupyterHub admin puts in each student's server (e.g. /etc/jupyter/nbgrader_config.py).
        (homes[name] / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n", encoding="utf-8")

    instructor("generate_assignment", ASSIGNMENT, "--force", course=course)
    instructor("release_assignment", ASSIGNMENT, course=course)
    listed = {}
    for name, (sample, _) in STUDENTS.items():
        proc = as_student(name, homes[name], "list")
        listed[name] = proc.stdout + proc.stderr
        as_student(name, homes[name], "fetch_assignment", ASSIGNMENT)
        fill_in(homes[name] / ASSIGNMENT / NOTEBOOK, student_cells(sample))
        as_student(name, homes[name], "submit", ASSIGNMENT)
    instructor("collect", ASSIGNMENT, course=course)
    graded = subprocess.run([str(VENV_BIN / "bpkit"), "grade", ASSIGNMENT], cwd=course, env=clean_env(),
                            capture_output=True, text=True, timeout=900)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    # Checked by the feedback tests, so the steps before are reported on their own.
    released = instructor("release_feedback", ASSIGNMENT, course=course, check=False)
    fetched = {name: as_student(name, homes[name], "fetch_feedback", ASSIGNMENT, check=False) for name in STUDENTS}
    return {"course": course, "exchange": exchange, "homes": homes, "graded": graded.stdout, "listed": listed,
            "released": released, "fetched": fetched}


def _ok(proc):
    assert proc.returncode == 0, f"{' '.join(proc.args[-2:])}\n{proc.stdout}{proc.stderr}"


def test_each_student_fetches_the_released_folder_with_its_common_package(workflow):
    for name, home in workflow["homes"].items():
        assert f"{COURSE_ID} {ASSIGNMENT}" in workflow["listed"][name]
        assert (home / ASSIGNMENT / NOTEBOOK).is_file()
        assert (home / ASSIGNMENT / "common" / "functions.py").is_file()


def test_collect_files_each_submission_under_the_students_hub_name(workflow):
    submitted = workflow["course"] / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == sorted(STUDENTS)
    for name in STUDENTS:
        assert (submitted / name / ASSIGNMENT / NOTEBOOK).is_file()
        assert (submitted / name / ASSIGNMENT / "common").is_dir()


def test_bpkit_grade_scores_the_collected_submissions(workflow):
    import csv

    with open(workflow["course"] / "grades.csv", newline="") as f:
        scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f) if r["assignment"] == ASSIGNMENT}
    assert scores == {name: score for name, (_, score) in STUDENTS.items()}, workflow["graded"]


def test_each_student_receives_only_their_own_feedback_with_their_score(workflow):
    _ok(workflow["released"])
    for proc in workflow["fetched"].values():
        _ok(proc)
    course = workflow["course"]
    pages = {name: (course / "feedback" / name / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_bytes()
             for name in STUDENTS}
    assert len(set(pages.values())) == len(STUDENTS)
    for name, home in workflow["homes"].items():
        received = sorted(p for p in (home / ASSIGNMENT / "feedback").rglob("*") if p.is_file())
        assert [p.name for p in received] == [NOTEBOOK.replace(".ipynb", ".html")], received
        page = received[0].read_bytes()
        assert page == pages[name], f"{name} received another student's feedback"
        score = STUDENTS[name][1]
        text = page.decode("utf-8")
        assert f"{score:g} / {facts.total(ASSIGNMENT):g}" in text, text[:3000]


def test_the_exchange_holds_feedback_only_under_unguessable_names(workflow):
    _ok(workflow["released"])
    outbound = workflow["exchange"] / COURSE_ID / "feedback"
    names = sorted(p.name for p in outbound.iterdir())
    assert len(names) == len(STUDENTS)
    for name in names:
        assert name.endswith(".html") and not any(student in name for student in STUDENTS), names
