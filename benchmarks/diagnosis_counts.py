"""How well the diagnosis names the mistakes of a set of catalogue entries:
for each entry (default: the ``fresh_*`` entries of issue 23) every grade
cell's check runs in-process, as tests/test_invariance.py runs it, under a
few salts, and each cell's outcome is compared with the entry's
``# expect: <cell> <key> [<key> ...]`` lines.

Per lost cell (a cell the entry expects to fail):
- named: it fails with exactly the expected keys (two mistakes: both);
- vague: it fails with a generic key (wrong_values, raised, ...) or names
  only some of the expected keys;
- wrong advice: it names a key the entry does not expect.
Per entry: false fail (a cell not expected to fail fails), false pass (an
expected cell passes).  Prints one line per entry, then the counts.

    .venv/bin/python benchmarks/diagnosis_counts.py [GLOB] [--messages]
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bpkit.checks import registry  # noqa: E402
from bpkit.checks.core import CheckFailure, collecting_notes, seeded  # noqa: E402

CATALOGUE = ROOT / "tests" / "catalogue"
_EXPECT = re.compile(r"^# expect: (\S+) (\S+(?: \S+)*)\s*$", re.MULTILINE)
_KEY = re.compile(r"^\[([\w.]+)\]$", re.MULTILINE)
VAGUE = {"wrong_values", "raised", "wrong_shape", "returned_none", "wrong_type", "not_finite", "error"}
SALTS = [b"", b"course-x/student-1"]
ASSIGNMENT = {"ch4": "ch4_gradients", "ch5": "ch5_backprop", "twolayer": "ch5_two_layer_net"}


def expectations(path: Path) -> dict[str, tuple[str, ...]]:
    return {cell: tuple(keys.split()) for cell, keys in _EXPECT.findall(path.read_text(encoding="utf-8"))}


def run(check: str, obj, salt: bytes) -> tuple[bool, tuple[str, ...], str]:
    notes: list = []
    try:
        with seeded(salt), collecting_notes(notes):
            registry.get(check).function(obj)
    except CheckFailure as exc:
        return False, tuple(_KEY.findall(str(exc))), str(exc)
    except Exception as exc:  # noqa: BLE001 -- a crashing check is an outcome too
        return False, (f"error:{type(exc).__name__}",), repr(exc)
    return True, (), ""


def outcomes(entry: str) -> dict[str, tuple[bool, tuple[str, ...], str]]:
    """grade id -> (passed, keys, message) for the cells whose object the entry writes."""
    from test_invariance import student_object
    from bpkit.sample import student_cells

    written = {k for k, v in student_cells(entry, CATALOGUE).items() if v is not None}
    found = {}
    for cell in registry.grade_cells(ROOT):
        if not set(cell.objects) & written:
            continue
        results = []
        for check in cell.checks:
            obj = student_object([f"catalogue/{entry}"], check, cell.objects[0])
            seen = {run(check, obj, salt)[:2] for salt in SALTS}
            passed, keys, message = run(check, obj, b"")
            if len(seen) > 1:
                keys = keys + ("VARIES",)
            results.append((passed, keys, message))
        failing = [r for r in results if not r[0]]
        found[cell.grade_id] = failing[0] if failing else (True, (), "")
    return found


def main() -> None:
    pattern = next((a for a in sys.argv[1:] if not a.startswith("--")), "fresh_*")
    show = "--messages" in sys.argv
    counts = dict(named=0, vague=0, wrong_advice=0, false_fail=0, false_pass=0, lost=0)
    for path in sorted(CATALOGUE.glob(f"{pattern}.py")):
        expected = expectations(path)
        got = outcomes(path.stem)
        verdicts = []
        for cell, (passed, keys, message) in got.items():
            want = expected.get(cell)
            if want is None:
                if not passed:
                    counts["false_fail"] += 1
                    verdicts.append(f"FALSE FAIL {cell} {' '.join(keys)}")
                continue
            counts["lost"] += 1
            if passed:
                counts["false_pass"] += 1
                verdicts.append(f"FALSE PASS {cell}")
            elif set(keys) - set(want) - VAGUE:
                counts["wrong_advice"] += 1
                verdicts.append(f"WRONG {cell} {' '.join(keys)} (expected {' '.join(want)})")
            elif tuple(keys) == want:
                counts["named"] += 1
                verdicts.append(f"named {cell} {' '.join(keys)}")
            else:
                counts["vague"] += 1
                verdicts.append(f"vague {cell} {' '.join(keys)} (expected {' '.join(want)})")
            if show and not passed:
                verdicts.append("    " + message.replace("\n", "\n    "))
        if not expected and not any(v.startswith("FALSE") for v in verdicts):
            verdicts.append("passes, as expected")
        print(f"{path.stem}:\n  " + "\n  ".join(verdicts))
    print()
    print(" ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
