"""How much compute the hidden checks add to grading one notebook.

Runs every check of a notebook (the calls its hidden test cells make) on the
sample students' code and reports the median over repeats.  Target: at most
0.2 s per notebook.

    .venv/bin/python benchmarks/checks_time.py
"""
from __future__ import annotations

import contextlib
import io
import statistics
import sys
import time
from pathlib import Path

import nbformat
import numpy as np

from bpkit.checks import registry
from bpkit.checks.core import CheckFailure
from bpkit.sample import student_cells

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.2
#: notebook -> (start of a check's behaviour -> the student's object it takes)
NOTEBOOKS = {
    "ch4_gradients": {"softmax": "softmax", "cross_entropy": "cross_entropy_error",
                      "numerical_gradient": "numerical_gradient"},
    "ch5_backprop": {"mul": "MulLayer", "add": "AddLayer", "relu": "Relu", "sigmoid": "Sigmoid",
                     "affine": "Affine", "softmax_with_loss": "SoftmaxWithLoss"},
}


def namespace(student: str, notebook: str) -> dict:
    """The student's cells of one notebook, executed as the notebook would
    (chapter 5 gets the given common/ functions)."""
    sys.path.insert(0, str(ROOT / "source" / "ch5_backprop"))
    from common.functions import cross_entropy_error, sigmoid, softmax  # noqa: F401
    (path,) = (ROOT / "release" / notebook).glob("*.ipynb")
    ids = {c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(path, as_version=4).cells
           if c.metadata.get("nbgrader", {}).get("solution")}
    ns = {"np": np, "sigmoid": sigmoid, "softmax": softmax, "cross_entropy_error": cross_entropy_error}
    for grade_id, code in student_cells(student).items():
        if code and grade_id in ids:
            try:
                exec(code, ns)
            except SyntaxError:
                pass
    return ns


def run_all(names, table, ns) -> float:
    start = time.perf_counter()
    for name in names:
        key = max((k for k in table if name.split(".", 1)[1].startswith(k)), key=len)
        try:
            registry.get(name).function(ns.get(table[key]))
        except (CheckFailure, TypeError):
            pass
    return time.perf_counter() - start


def main(repeats: int = 7) -> int:
    worst = 0.0
    print(f"{'notebook':<16}{'student':<10}{'median s':>10}{'max s':>10}")
    for notebook, table in NOTEBOOKS.items():
        names = [name for cell in registry.grade_cells(ROOT, notebook) for name in cell.checks]
        for student in ("aoki", "baba", "endo", "fujita", "goto"):
            ns = namespace(student, notebook)
            with contextlib.redirect_stdout(io.StringIO()):  # students' prints, in-place notes
                times = [run_all(names, table, ns) for _ in range(repeats)]
            worst = max(worst, statistics.median(times))
            print(f"{notebook:<16}{student:<10}{statistics.median(times):>10.4f}{max(times):>10.4f}")
    # Each notebook's kernel also imports the checks once (NumPy is already loaded there).
    import subprocess
    probe = ("import time, numpy; t = time.perf_counter(); from bpkit.checks import registry; registry.checks(); "
             "print(time.perf_counter() - t)")
    imports = statistics.median(float(subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                                     text=True, check=True).stdout) for _ in range(3))
    print(f"importing the checks in a fresh kernel: {imports:.4f} s")
    worst += imports
    verdict = "met" if worst <= TARGET else "NOT met"
    print(f"worst notebook, checks + import: {worst:.4f} s (target <= {TARGET} s): {verdict}")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
