"""The fairness table: for each check, how many salts (student ids and course
secrets) were tried and how many distinct (passed, mistake keys) outcomes
each catalogue entry and sample student got (1 means the same code got the
same verdict and key for every student).  The same runs as
tests/test_invariance.py, printed.

    .venv/bin/python benchmarks/fairness_table.py
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_invariance as invariance  # noqa: E402


def main() -> None:
    rows: dict[str, list[int]] = defaultdict(list)
    entries: dict[str, int] = defaultdict(int)
    for check, obj_name, source, names in invariance.CASES:
        obj = invariance.student_object(names, check, obj_name)
        rows[check].append(len({invariance.outcome(check, obj, salt) for salt in invariance.SALTS}))
        entries[check] += len(names)
    print("| check | salts | distinct codes (entries) | distinct outcomes per code (max) |")
    print("|---|---|---|---|")
    for check in sorted(rows, key=list(invariance.registry.checks()).index):
        print(f"| `{check}` | {len(invariance.SALTS)} | {len(rows[check])} ({entries[check]}) | {max(rows[check])} |")


if __name__ == "__main__":
    main()
