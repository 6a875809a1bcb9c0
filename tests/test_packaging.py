"""A normal (non-editable) `pip install` carries everything bpkit needs at
run time, the course included, and a learner with nothing but that install
gets the grader's verdict on their own machine.

Offline: the wheel is built from a copy of the sources with this
environment's setuptools (`--no-build-isolation --no-deps`, nothing is
downloaded), then installed into a fresh virtualenv that borrows the pinned
dependencies from this one (a .pth line) but not bpkit itself.  (Borrowed
dependencies bring no console scripts or data files: the script bpkit runs,
nbgrader's `alembic`, gets the shim pip would have written, and nbconvert's
templates are linked where pip would have put them, share/jupyter/.)

The learner's walk, tested end to end from that install, outside any clone:
`bpkit exercises DIR`, the notebooks filled with every catalogue entry's
code (right and wrong), `bpkit check` on all of them, and their "Check my
work" cells executed with nbclient; both must give, cell by cell, the points
and mistake keys `bpkit grade` gives the same code (one graded batch of the
whole catalogue, shared with tests/test_catalogue.py)."""
import filecmp
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from bpkit.sample import student_cells, write_submission
from conftest import CATALOGUE, ROOT, catalogue_assignment

SOURCES = ["pyproject.toml", "README.md", "bpkit", "reference", "nbgrader_config.py", "source", "release"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", ".ipynb_checkpoints")
COURSE = ["nbgrader_config.py", "source", "release"]  # shipped in the wheel as bpkit/bundle/


def env_without_this_venv(**extra) -> dict:
    """A learner's shell: this repository's virtualenv is not on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if Path(p).resolve() != Path(sys.executable).parent.resolve())
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", **extra)
    return env


def run(*argv, check=True, timeout=120, env=None, **kwargs):
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                          env=env or env_without_this_venv(), **kwargs)
    if check:
        assert proc.returncode == 0, f"{' '.join(map(str, argv))}\n{proc.stdout}{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("setuptools")  # the build backend, from requirements.lock's environment
    base = tmp_path_factory.mktemp("packaging")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:  # a copy, so the build never writes build/ or *.egg-info into the repository
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=IGNORE)
        else:
            shutil.copy2(ROOT / name, src / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "-w", base / "dist", src)
    (path,) = (base / "dist").glob("bpkit-*.whl")
    return {"path": path, "src": src, "base": base}


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh virtualenv with the wheel installed (no network, no clone)."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", root)
    python = root / "bin" / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # The pinned dependencies come from this environment; bpkit itself must not.
    (purelib / "bpkit_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    (root / "bin" / "alembic").write_text(f"#!{python}\nimport sys\nfrom alembic.config import main\nsys.exit(main())\n",
                                          encoding="utf-8")
    (root / "bin" / "alembic").chmod(0o755)
    (root / "share" / "jupyter").mkdir(parents=True)
    (root / "share" / "jupyter" / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel["path"])
    return {"root": root, "python": python, "bpkit": root / "bin" / "bpkit", "purelib": purelib}


def _modules(src: Path) -> set[str]:
    """Every Python file of the bpkit and reference sources (sample class included)."""
    return {p.relative_to(src).as_posix() for top in ("bpkit", "reference") for p in (src / top).rglob("*.py")
            if "__pycache__" not in p.parts}


def _course_files(src: Path) -> set[str]:
    """The course's files as the wheel must hold them: bpkit/bundle/<path in the repository>."""
    found = {"bpkit/bundle/nbgrader_config.py"}
    for top in ("source", "release"):
        found |= {f"bpkit/bundle/{p.relative_to(src).as_posix()}" for p in (src / top).rglob("*")
                  if p.is_file() and p.suffix in (".ipynb", ".py") and "__pycache__" not in p.parts}
    return found


def test_the_wheel_holds_every_module_the_sample_class_and_the_course(wheel):
    with zipfile.ZipFile(wheel["path"]) as whl:
        names = set(whl.namelist())
        entry_points = next(whl.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
        for name in _course_files(wheel["src"]):  # the packaged copy of the course is the repository's, byte for byte
            assert whl.read(name) == (ROOT / name.removeprefix("bpkit/bundle/")).read_bytes(), name
    sample_class = {m for m in _modules(wheel["src"]) if m.startswith("bpkit/sample_class/")}
    assert len(sample_class) >= 8, sample_class
    missing = sorted((_modules(wheel["src"]) | _course_files(wheel["src"])) - names)
    assert not missing, f"a normal install would lack: {missing} (a new folder of source/ or release/ must be " \
                        "listed in pyproject.toml's packages)"
    assert "bpkit = bpkit.cli:main" in entry_points
    assert "bpkit-sandbox = bpkit.isolation.sandbox:SandboxProvisioner" in entry_points


def test_the_sdist_carries_the_course_too(wheel):
    import tarfile

    out = wheel["base"] / "sdist"
    run(sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(out)!r})",
        cwd=wheel["src"])
    (path,) = out.glob("bpkit-*.tar.gz")
    with tarfile.open(path) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    wanted = {n.removeprefix("bpkit/bundle/") for n in _course_files(wheel["src"])}
    assert not wanted - names, sorted(wanted - names)


def test_bpkit_installed_non_editable_in_a_fresh_virtualenv_finds_its_sample_class_and_course(venv, tmp_path):
    purelib = venv["purelib"]
    probe = (
        "import bpkit, bpkit.cli, bpkit.demo, reference, pathlib, sys\n"
        "from bpkit.sample import SAMPLE_DIR, sample_students, student_cells\n"
        "from bpkit.learner.bundle import course_root\n"
        f"assert pathlib.Path(bpkit.__file__).is_relative_to({str(purelib)!r}), bpkit.__file__\n"
        f"assert pathlib.Path(reference.__file__).is_relative_to({str(purelib)!r}), reference.__file__\n"
        f"assert course_root() == pathlib.Path({str(purelib)!r}) / 'bpkit' / 'bundle', course_root()\n"
        "students = sample_students()\n"
        "assert len(students) >= 8 and student_cells(students[0]), students\n"
        # what `bpkit demo` does before grading: a copy of the shipped course with every sample submission
        f"dest = bpkit.demo.make_scratch_course(course_root(), pathlib.Path({str(tmp_path / 'demo')!r}))\n"
        "made = sorted(p.name for p in dest.glob('submitted/*'))\n"
        "assert made == students, made\n"
        "print(len(students))\n"
    )
    proc = run(venv["python"], "-c", probe, cwd=tmp_path)
    assert int(proc.stdout) == len(list((ROOT / "bpkit" / "sample_class").glob("*.py")))
    assert run(venv["bpkit"], "--version", cwd=tmp_path).stdout.startswith("bpkit ")


def test_demo_from_a_plain_install_without_bubblewrap_says_what_is_missing_in_one_line(venv, tmp_path):
    env = env_without_this_venv(PATH=str(venv["root"] / "bin"))  # no /usr/bin: no bwrap
    proc = run(venv["bpkit"], "demo", "--workdir", tmp_path / "demo", check=False, env=env, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "bubblewrap (bwrap) is not installed" in line and "apt-get install bubblewrap" in line
    assert "setup.sh" not in line and "--no-sandbox" in line and "Traceback" not in proc.stderr


def test_demo_from_a_plain_install_grades_the_shipped_sample_class_anywhere(venv, tmp_path):
    proc = run(venv["bpkit"], "demo", "--workdir", tmp_path / "demo", cwd=tmp_path, timeout=600)
    assert "Class report:" in proc.stdout and "aoki" in proc.stdout
    scores = (tmp_path / "demo" / "grades.csv").read_text(encoding="utf-8")
    assert "aoki" in scores and (tmp_path / "demo" / "reports" / "ch5_backprop" / "index.html").is_file()
    assert (tmp_path / "demo" / "feedback" / "fujita" / "ch5_backprop" / "backprop_layers.html").is_file()
    assert "could not be generated" not in proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def learner(venv, tmp_path_factory):
    """The learner's walk from the wheel: exercises written, filled with every
    catalogue entry, then `bpkit check` on all of them and their check cells
    executed, side by side (two processes)."""
    base = tmp_path_factory.mktemp("learner")
    env = env_without_this_venv(BPKIT_HOME=str(base / "seed"))
    proc = run(venv["bpkit"], "exercises", base / "exercises", cwd=base, env=env)
    notebooks = {}
    for entry in sorted(p.stem for p in CATALOGUE.glob("*.py")):
        assignment = catalogue_assignment(entry)
        write_submission(base / "exercises", assignment, student_cells(entry, CATALOGUE), base / "work" / entry)
        (notebooks[entry],) = (base / "work" / entry).glob("*.ipynb")
    with open(base / "check.out", "w") as check_out, open(base / "cells.out", "w") as cells_out:
        check = subprocess.Popen([str(venv["bpkit"]), "check", "--plain", "--no-page", "--json", str(base / "check.json"),
                                  *map(str, notebooks.values())], cwd=base, env=env, stdout=check_out,
                                 stderr=subprocess.STDOUT)
        cells = subprocess.Popen([str(venv["python"]), str(ROOT / "tests" / "run_check_cells.py"),
                                  *map(str, notebooks.values())], cwd=base, env=env, stdout=cells_out,
                                 stderr=subprocess.PIPE, text=True)
        # A hang guard only, tied to the walk's size: about 0.7 s a notebook idle, ~4 min in all with both
        # cores kept busy (it overran a fixed 1200 s while leaked kernel clients woke ~80 times a second each).
        hang = 60 * len(notebooks)
        _, cells_err = cells.communicate(timeout=hang)
        check.wait(timeout=hang)
    checked = {Path(r["notebook"]): r for r in json.loads((base / "check.json").read_text(encoding="utf-8"))}
    assert cells.returncode == 0, cells_err
    shown = json.loads((base / "cells.out").read_text(encoding="utf-8"))
    return {"base": base, "exercises_output": proc.stdout, "notebooks": notebooks, "check_returncode": check.returncode,
            "check": {entry: checked[path] for entry, path in notebooks.items()},
            "cells": {entry: shown[str(path)] for entry, path in notebooks.items()}}


def test_exercises_from_the_wheel_are_release_and_hold_no_solution(learner):
    exercises = learner["base"] / "exercises"
    copied = sorted(p.relative_to(exercises) for p in exercises.rglob("*") if p.is_file())
    released = sorted(p.relative_to(ROOT / "release") for p in (ROOT / "release").rglob("*") if p.is_file()
                      and "__pycache__" not in p.parts)
    assert copied == released
    for name in copied:
        assert filecmp.cmp(exercises / name, ROOT / "release" / name, shallow=False), name
        text = (exercises / name).read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "bpkit.probe" not in text
    assert "bpkit check" in learner["exercises_output"]


def test_check_from_the_wheel_names_the_mistake_and_writes_the_page_beside_the_notebook(venv, learner):
    notebook = learner["notebooks"]["affine_dW_transposed"]
    proc = run(venv["bpkit"], "check", notebook, check=False, cwd=learner["base"],
               env=env_without_this_venv(BPKIT_HOME=str(learner["base"] / "seed"), COLUMNS="120"))
    assert proc.returncode == 1 and "[affine.dW_transposed]" in proc.stdout and "転置" in proc.stdout, proc.stdout
    page = notebook.with_name(f"{notebook.stem}-feedback.html").read_text(encoding="utf-8")
    assert "affine.dW_transposed" in page and "bpkit-heatmap" in page and "<script" not in page


def _grade_view(result) -> dict:
    """grade id -> (points, mistake key or None) as `bpkit grade` gave them."""
    return {gid: (score, None if score >= top else result.reasons.get(gid)) for gid, (score, top) in result.cells.items()}


def _learner_view(behaviours) -> dict:
    return {b["grade_id"]: (b["score"], None if b["passed"] else b["key"]) for b in behaviours}


def test_check_and_the_check_cells_give_every_catalogue_entry_the_points_and_keys_grading_gives(
        learner, catalogue_graded):
    _, graded = catalogue_graded
    differ = {}
    for entry in learner["notebooks"]:
        grade = _grade_view(graded[entry])
        check = _learner_view(learner["check"][entry]["behaviours"])
        cells = _learner_view(learner["cells"][entry]["verdicts"])
        if not (grade == check == cells):
            differ[entry] = {gid: (grade.get(gid), check.get(gid), cells.get(gid))
                             for gid in sorted(set(grade) | set(check) | set(cells))
                             if not grade.get(gid) == check.get(gid) == cells.get(gid)}
    assert not differ, json.dumps(differ, indent=1)
    # the catalogue has right and wrong code, and the wrong is named
    assert any(v[1] for r in graded.values() for v in _grade_view(r).values())
    assert any(graded[e].score == graded[e].max_score for e in learner["notebooks"])
    assert learner["check_returncode"] == 1  # some entry loses a point


def test_check_cells_write_nothing_to_stderr_raise_nothing_and_draw_heatmaps(learner):
    for entry, shown in learner["cells"].items():
        assert shown["cells"] >= 2 and not shown["stderr"] and not shown["errors"], (entry, shown)
    assert learner["cells"]["affine_dW_transposed"]["images"] == 1
    assert sum(s["images"] for s in learner["cells"].values()) >= 20

