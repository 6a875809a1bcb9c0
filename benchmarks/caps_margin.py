"""How far correct-but-slow code stays from the judge's cost caps.

Runs the checks of slow but correct catalogue entries (and the book's code,
for comparison) through the judge's socket, as a sandboxed kernel would be
served, and prints for each check: the most calls of f one call made and the
cap on them (bpkit.judging.judge.callback_budget), and the seconds the whole
check took against the judge's budget (2 x the answer timeout, 60 s by
default).  The caps are about cost; correct code should use a small fraction.

    .venv/bin/python benchmarks/caps_margin.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bpkit.judging.judge import CALL_TIMEOUT, Judge, callback_budget  # noqa: E402
from bpkit.probe import ask_judge  # noqa: E402

ENTRIES = ["aoki", "alt_numgrad_quadratic", "alt_numgrad_f_on_copies", "alt_affine_python_loops",
           "alt_cee_python_loops", "alt_softmax_loops"]


def counting(function):
    """numerical_gradient counting the calls of f in each call: (wrapped, record)."""
    record = {"calls": 0, "size": 0}

    def wrapped(f, x, *rest):
        calls = [0]

        def counted(*args):
            calls[0] += 1
            return f(*args)
        try:
            return function(counted, x, *rest)
        finally:
            if calls[0] > record["calls"]:
                record["calls"], record["size"] = calls[0], int(np.size(x))
    return wrapped, record


def main() -> None:
    import test_invariance as invariance

    budget = 2 * CALL_TIMEOUT
    print(f"{'entry':26} {'check':38} {'calls of f (max per call) / cap':>34} {'seconds / budget':>18}")
    for entry in ENTRIES:
        folder = "sample_class" if entry == "aoki" else "catalogue"
        for module, check, obj_name in invariance.graded_checks():
            if entry != "aoki" and f"# %% {obj_name}\n" not in (
                    invariance.CATALOGUE / f"{entry}.py").read_text(encoding="utf-8"):
                continue  # only the cells the entry writes itself
            obj = invariance.student_object([f"{folder}/{entry}"], check, obj_name)
            record = None
            if obj_name == "numerical_gradient":
                obj, record = counting(obj)
            with tempfile.TemporaryDirectory() as tmp, Judge(Path(tmp), timeout=CALL_TIMEOUT) as judge:
                start = time.perf_counter()
                passed = ask_judge(judge.path, check, obj).get("passed")
                seconds = time.perf_counter() - start
            calls = (f"{record['calls']} / {callback_budget(record['size'])} ({record['size']} elements)"
                     if record and record["calls"] else "-")
            print(f"{entry:26} {check:38} {calls:>34} {seconds:8.3f} / {budget:g} s"
                  + ("" if passed else "   FAILED"))


if __name__ == "__main__":
    main()
