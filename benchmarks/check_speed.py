"""How long a learner waits: `bpkit check NOTEBOOK` and the "Check my work" cells.

Writes the exercises as `bpkit exercises` does into a scratch folder, fills
every notebook with two sample students' answers (aoki: the book's code, full
marks; fujita: the usual mistakes), then

- runs `bpkit check NOTEBOOK` as a learner would, a new command per notebook
  (Python start, imports, kernel, the hidden checks, the feedback page), and
  again with --no-page;
- executes each notebook with nbclient (a new kernel, every cell in order)
  and reads how long each "Check my work" cell took (the first one in a
  kernel pays for importing the kit; one with a wrong array draws a heatmap).

Prints wall seconds per notebook, minimum / median / maximum over --repeat
runs.  The target of issue 22: a few seconds per notebook on a 2-core machine.

    .venv/bin/python benchmarks/check_speed.py --repeat 3
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from bpkit.learner.bundle import course_root, write_exercises
from bpkit.learner.self_judge import SEED_ENV
from bpkit.preprocessors.self_check_cells import is_self_check
from bpkit.sample import student_cells, write_submission

STUDENTS = ("aoki", "fujita")
BPKIT = Path(sys.executable).with_name("bpkit")


def _stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def cell_seconds(path: Path) -> tuple[float, list[float]]:
    """(seconds for the whole notebook, seconds of each check cell) with nbclient."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3",
                   extra_arguments=["--IPKernelApp.log_level=ERROR"],
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    total = time.perf_counter() - start
    found = []
    for cell in nb.cells:
        timing = cell.metadata.get("execution", {})
        if is_self_check(cell) and "shell.execute_reply" in timing and "check_my_work(" in cell.source \
                and "import" not in cell.source:
            found.append((_stamp(timing["shell.execute_reply"]) - _stamp(timing["iopub.execute_input"])).total_seconds())
    return total, found


def summary(values: list[float]) -> str:
    return f"{min(values):6.2f} / {statistics.median(values):6.2f} / {max(values):6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bpkit-check-speed-") as name:
        measure(Path(name), args.repeat)


def measure(scratch: Path, repeat: int) -> None:
    env = {**os.environ, SEED_ENV: str(scratch / "seed")}
    write_exercises(scratch / "exercises", course_root())
    notebooks = []
    for student in STUDENTS:
        for assignment in sorted(p.name for p in (scratch / "exercises").iterdir()):
            dest = scratch / student / assignment
            write_submission(scratch / "exercises", assignment, student_cells(student), dest)
            notebooks += sorted(dest.glob("*.ipynb"))
    print(f"{len(notebooks)} notebooks ({', '.join(STUDENTS)} x every assignment), {repeat} runs; "
          f"{os.cpu_count()} cores\n")
    print(f"{'notebook':44} {'check, page (s)':>22} {'--no-page (s)':>22} {'nbclient (s)':>22} "
          f"{'check cell (s)':>22}")
    for path in notebooks:
        label = f"{path.parent.parent.name}/{path.parent.name}"
        with_page, no_page, executed, cells = [], [], [], []
        for _ in range(repeat):
            for options, into in (([], with_page), (["--no-page"], no_page)):
                start = time.perf_counter()
                subprocess.run([str(BPKIT), "check", *options, str(path)], env=env, capture_output=True, timeout=600)
                into.append(time.perf_counter() - start)
            total, each = cell_seconds(path)
            executed.append(total)
            cells += each
        print(f"{label:44} {summary(with_page):>22} {summary(no_page):>22} {summary(executed):>22} "
              f"{summary(cells):>22}")
    print("\nmin / median / max.  `check`: a new `bpkit check` command per notebook, as a learner runs it.\n"
          "`nbclient`: the whole notebook in a new kernel, its check cells included; `check cell`: one\n"
          "\"Check my work\" cell (the first in a kernel imports the kit; a failing array draws a heatmap).")


if __name__ == "__main__":
    main()
