"""Stock `nbgrader autograde` versus `bpkit grade --workers N`, in one run.

Builds a synthetic class (correct, wrong and broken submissions for both
assignments, cycling through the sample class and the mistake catalogue),
copies the course three times, grades one copy with stock nbgrader
(sequential, unsandboxed), one with bpkit as shipped (sandboxed kernels, the
judge decides) and one with `bpkit grade --no-sandbox` (to price the
sandbox), checks that every grade cell got the same score in all three, and
prints wall times, their ratios, the sandbox's cost per notebook, and the
floor: merely executing the same notebooks one after another with nbclient.

    .venv/bin/python benchmarks/grading_speed.py --students 60 --workers 2
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader.api import Gradebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bpkit.sample import SAMPLE_DIR, sample_students, student_cells, write_submission  # noqa: E402

CATALOGUE = ROOT / "tests" / "catalogue"
BIN = Path(sys.executable).parent
ASSIGNMENTS = ["ch4_gradients", "ch5_backprop"]


def synthetic_class(course: Path, n: int) -> None:
    """n students: sample class and catalogue entries in turn; every tenth broken."""
    sources = [(s, SAMPLE_DIR) for s in sample_students()] + [(p.stem, CATALOGUE) for p in sorted(CATALOGUE.glob("*.py"))]
    for i in range(n):
        name, directory = sources[i % len(sources)]
        student = f"s{i:03d}_{name}"
        for assignment in ASSIGNMENTS:
            dest = course / "submitted" / student / assignment
            write_submission(course / "release", assignment, student_cells(name, directory), dest)
            if i % 10 == 9:  # broken: not JSON, or the notebook renamed
                notebook = next(dest.glob("*.ipynb"))
                if i % 20 == 9:
                    notebook.write_text("{ not json", encoding="utf-8")
                else:
                    notebook.rename(dest / "renamed.ipynb")


def make_course(dest: Path, n: int) -> Path:
    dest.mkdir(parents=True)
    for name in ("nbgrader_config.py", "source", "release"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    synthetic_class(dest, n)
    return dest


def run(cmd: list[str], cwd: Path) -> float:
    env = dict(os.environ, PATH=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]))
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def scores(course: Path) -> dict:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {(a, s.student.id, g.name): g.score for a in ASSIGNMENTS
                for s in gb.find_assignment(a).submissions for n in s.notebooks for g in n.grades}


def nbclient_floor(course: Path) -> float:
    """Execute the submitted notebooks that nbgrader could grade, one by one."""
    paths = sorted(p for p in (course / "autograded").rglob("*.ipynb"))
    start = time.perf_counter()
    for graded in paths:
        submitted = course / "submitted" / graded.relative_to(course / "autograded")
        nb = nbformat.read(submitted, as_version=4)
        NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(graded.parent)}}).execute()
    return time.perf_counter() - start


def bpkit_only(course: Path, args) -> int:
    """Grade a large class with bpkit alone; every submission must end up in
    the gradebook with a score for every grade cell (nothing lost)."""
    elapsed = sum(run([str(BIN / "bpkit"), "grade", a, "--workers", str(args.workers), "--no-feedback"], course)
                  for a in ASSIGNMENTS)
    students = sorted(p.name for p in (course / "submitted").iterdir())
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        lost = []
        for a in ASSIGNMENTS:
            cells = sum(len(nb.grade_cells) for nb in gb.find_assignment(a).notebooks)
            graded = {s.student.id: [g.score for n in s.notebooks for g in n.grades]
                      for s in gb.find_assignment(a).submissions}
            lost += [(a, s) for s in students if len(graded.get(s, [])) != cells or None in graded[s]]
    print(f"{len(students)} students x {len(ASSIGNMENTS)} assignments graded in {elapsed:.1f} s "
          f"({elapsed / (len(students) * len(ASSIGNMENTS)):.2f} s per notebook); submissions without a full "
          f"set of scores: {len(lost)}")
    return 1 if lost else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-stock", action="store_true",
                        help="grade only with bpkit and check that every submission has an outcome (large classes)")
    args = parser.parse_args()
    os.environ["PATH"] = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    work = Path(tempfile.mkdtemp(prefix="bpkit-bench-"))
    if args.no_stock:
        return bpkit_only(make_course(work / "ours", args.students), args)
    stock, ours, unsafe = (make_course(work / name, args.students) for name in ("stock", "ours", "unsandboxed"))
    print(f"{args.students} students x {len(ASSIGNMENTS)} assignments in {work}")

    for assignment in ASSIGNMENTS:  # record the assignments first (not timed, same for all)
        for course in (stock, ours, unsafe):
            run([str(BIN / "nbgrader"), "generate_assignment", assignment, "--force",
                 "--CourseDirectory.release_directory=" + str(course / "scratch-release")], course)
    t_stock = sum(run([str(BIN / "nbgrader"), "autograde", assignment], stock) for assignment in ASSIGNMENTS)
    grade = [str(BIN / "bpkit"), "grade", "--workers", str(args.workers), "--no-feedback"]
    t_ours = sum(run(grade + [assignment], ours) for assignment in ASSIGNMENTS)
    t_unsafe = sum(run(grade + [assignment, "--no-sandbox"], unsafe) for assignment in ASSIGNMENTS)
    a, b, c = scores(stock), scores(ours), scores(unsafe)
    graded_by_stock = [k for k, v in a.items() if v is not None]
    mismatched = sorted(k for k in graded_by_stock if not a[k] == b.get(k) == c.get(k))
    print(f"grade cells scored by stock nbgrader: {len(graded_by_stock)}; "
          f"same score in both bpkit runs: {len(graded_by_stock) - len(mismatched)}")
    t_floor = nbclient_floor(stock)
    notebooks = len(list((stock / "autograded").rglob("*.ipynb")))
    print(f"stock nbgrader autograde (sequential):   {t_stock:7.1f} s")
    print(f"bpkit grade --workers {args.workers} (sandboxed):   {t_ours:7.1f} s   ratio {t_ours / t_stock:.2f}")
    print(f"bpkit grade --workers {args.workers} --no-sandbox:  {t_unsafe:7.1f} s   ratio {t_unsafe / t_stock:.2f}")
    print(f"nbclient floor (execute only, 1 process): {t_floor:6.1f} s   ratio {t_floor / t_stock:.2f}")
    per = (t_ours - t_unsafe) / max(notebooks, 1)
    print(f"sandbox + judge cost: {per:.2f} s wall per graded notebook at {args.workers} workers "
          f"(~{per * args.workers:.2f} s of one core), over {notebooks} notebooks")
    if mismatched:
        print(f"MISMATCHED scores: {len(mismatched)}, e.g. {mismatched[:5]}")
        return 1
    print("scores identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
