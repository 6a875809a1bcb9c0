"""Shared fixtures: paths of the course, and one demo run of the sample class
(graded through the real CLI and nbgrader) reused by the end-to-end tests."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def clean_env() -> dict:
    """The environment of a user who has not activated the virtualenv: the
    venv's bin/ is not on PATH, so bpkit must find alembic and python itself."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if Path(p).resolve() != VENV_BIN.resolve())
    env.pop("VIRTUAL_ENV", None)
    return env


def git_status() -> str:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        return ""
    status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    # nbgrader's own outputs are git-ignored, so look for them explicitly.
    made = [name for name in ("gradebook.db", "submitted", "feedback", "grades.csv")
            if (ROOT / name).exists()]
    made += [p.name for p in (ROOT / "autograded").iterdir() if p.name != ".gitkeep"]
    return status + "\n".join(made)


@pytest.fixture(scope="session")
def demo_course(tmp_path_factory):
    """Run `bpkit demo` by its full path, once, and return the scratch course."""
    workdir = tmp_path_factory.mktemp("demo") / "course"
    before = git_status()
    proc = subprocess.run([str(VENV_BIN / "bpkit"), "demo", "--workdir", str(workdir)],
                          cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {"path": workdir, "stdout": proc.stdout, "stderr": proc.stderr,
            "git_before": before, "git_after": git_status()}


COURSE_FILES = ["nbgrader_config.py", "source", "release"]
CATALOGUE = Path(__file__).with_name("catalogue")


def catalogue_assignment(entry: str) -> str:
    """The assignment a catalogue entry writes cells of."""
    import re

    import nbformat

    own = set(re.findall(r"^# %% (\S+)", (CATALOGUE / f"{entry}.py").read_text(encoding="utf-8"), re.MULTILINE))
    found = []
    for path in sorted((ROOT / "release").glob("*/*.ipynb")):
        ids = {c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(path, as_version=4).cells
               if c.metadata.get("nbgrader", {}).get("solution")}
        if own & ids:
            found.append(path.parent.name)
    (assignment,) = found
    return assignment


@pytest.fixture(scope="session")
def catalogue_graded(tmp_path_factory):
    """Every catalogue entry submitted for the assignment it touches and
    graded once, in one batch per assignment (sandboxed, the judge decides):
    (course root, student -> StudentResult).  Shared by the catalogue's own
    tests and the learner's one-verdict test (tests/test_packaging.py)."""
    from bpkit.course import Course
    from bpkit.pipeline import grade_assignment
    from bpkit.sample import student_cells, write_submission

    root = copy_course(tmp_path_factory.mktemp("catalogue") / "course")
    entries = sorted(p.stem for p in CATALOGUE.glob("*.py"))
    assignments = sorted({catalogue_assignment(e) for e in entries})
    for entry in entries:
        write_submission(root / "release", catalogue_assignment(entry), student_cells(entry, CATALOGUE),
                         root / "submitted" / entry / catalogue_assignment(entry))
    course = Course(root)
    results = {}
    for assignment in assignments:
        for r in grade_assignment(course, assignment, feedback=False, workers=2, log=lambda m: None):
            results[r.student] = r
    return root, results


def copy_course(dest: Path) -> Path:
    """A copy of the course as an instructor clones it (no gradebook), so
    tests never write into the repository."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def copy_kit(dest: Path) -> tuple[Path, dict]:
    """A copy of the course *and* the kit's code an author edits (bpkit/,
    reference/, README.md, ARCHITECTURE.md, tests/catalogue/), and the environment that runs
    the copy's code (PYTHONPATH first), for tests that change checks or the
    reference as an author would, never in the repository."""
    copy_course(dest)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.egg-info")
    for name in ("bpkit", "reference", "tests/catalogue"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("README.md", "ARCHITECTURE.md"):
        shutil.copy2(ROOT / name, dest / name)
    env = clean_env()
    env["PYTHONPATH"] = str(dest)
    return dest, env


def nbgrader(*args, cwd: Path) -> subprocess.CompletedProcess:
    """Run the plain `nbgrader` command of this environment."""
    env = dict(os.environ, PATH=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    return subprocess.run([str(VENV_BIN / "nbgrader"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server (Debian's binaries, a Unix socket, no
    TCP port) for the whole test session; postgres(name) creates a database
    and returns its gradebook URL."""
    import glob
    import pwd
    import tempfile

    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    assert bindirs, "PostgreSQL is not installed: run `bash setup.sh` (it installs Debian's postgresql)"
    bindir = Path(bindirs[-1])
    # not under pytest's tmp dirs: those are private to root, the server runs as postgres
    home = Path(tempfile.mkdtemp(prefix="bpkit-pg-"))
    as_user = []
    if os.geteuid() == 0:  # the server refuses to run as root
        os.chown(home, pwd.getpwnam("postgres").pw_uid, -1)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = home / "data", "5499"

    def pg(*args):
        subprocess.run([*as_user, *args], check=True, capture_output=True, text=True, timeout=120)

    def new_database(name: str) -> str:
        pg(str(bindir / "createdb"), "-h", str(home), "-p", port, "-U", "postgres", name)
        return f"postgresql://postgres@/{name}?host={home}&port={port}"

    pg(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    pg(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w", "start",
       "-o", f"-k {home} -c listen_addresses='' -p {port}")
    try:
        yield new_database
    finally:
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(home, ignore_errors=True)


def use_database(root: Path, url: str) -> None:
    """Point a course copy's gradebook at url."""
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(f'\nc.CourseDirectory.db_url = "{url}"\n')
