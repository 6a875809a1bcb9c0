"""No verdict rests on rounding noise (issue 11), and none on the hidden
inputs a student happens to get (issue 10: inputs differ per student).

Every catalogue entry and sample student is run in-process against every
check of the cells it writes: once as written, then with everything its code
hands back (answers, stored gradients) and everything it is handed by a
check's own function (f's values) changed in the last few bits, as another
CPU or libm would.  The verdict and the mistake key must not change; nor
may they change with the salt of the hidden inputs."""
from __future__ import annotations

import linecache
import re
from functools import lru_cache
from pathlib import Path

import nbformat
import numpy as np
import pytest

from bpkit.checks import registry
from bpkit.checks.core import CheckFailure, seeded
from bpkit.sample import SAMPLE_DIR, SOLUTION, sample_students, solution_cells, student_cells
from conftest import ROOT

CATALOGUE = Path(__file__).with_name("catalogue")
ENTRIES = [(p.stem, CATALOGUE) for p in sorted(CATALOGUE.glob("*.py"))] + [(s, SAMPLE_DIR) for s in sample_students()]
_CHECK = re.compile(r"""\bcheck\(\s*["']([\w.]+)["']\s*,\s*(\w+)\s*\)""")
#: Assignments whose solution cells use code given beside the notebook (common/): their
#: checks run on a namespace of the given code and that assignment's cells only.
GIVEN = {"twolayer": "ch5_two_layer_net"}
_KEY = re.compile(r"^\[([\w.]+)\]$", re.MULTILINE)
SALTS = [b"", b"course-x/student-1", b"course-y/student-2"]


@lru_cache(maxsize=None)
def graded_checks() -> list[tuple[str, str, str]]:
    """(check module, check name, name of the student's object) for every hidden grade cell."""
    found = []
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.metadata.get("nbgrader", {}).get("grade"):
                found += [(registry.get(name).module, name, obj) for name, obj in _CHECK.findall(cell.source)]
    return found


@lru_cache(maxsize=None)
def given(assignment: str) -> tuple[dict, frozenset]:
    """The names the notebook's locked code cells before the first solution
    define (its imports from common/), and the ids of its solution cells."""
    import sys

    (path,) = (ROOT / "source" / assignment).glob("*.ipynb")
    cells = nbformat.read(path, as_version=4).cells
    solutions = frozenset(c.metadata["nbgrader"]["grade_id"] for c in cells
                          if c.metadata.get("nbgrader", {}).get("solution"))
    names: dict = {}
    for m in [m for m in sys.modules if m == "common" or m.startswith("common.")]:
        sys.modules.pop(m)
    sys.path.insert(0, str(path.parent))
    try:
        for cell in cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                break
            if cell.cell_type == "code" and meta.get("locked"):
                exec(compile(cell.source, f"{assignment}:{meta['grade_id']}", "exec"), names)
    finally:
        sys.path.remove(str(path.parent))
        for m in [m for m in sys.modules if m == "common" or m.startswith("common.")]:
            sys.modules.pop(m)
    return names, solutions


def cells_of(entry: str, directory: Path) -> dict:
    """The entry's cells; for one based on the solution (``# based on:
    solution``, e.g. every entry based on aoki) the instructor's solution
    first for every cell it does not write, as its submission has them."""
    own = student_cells(entry, directory)
    if getattr(own, "fallback", None) != SOLUTION:
        return dict(own)
    cells = {grade_id: code for path in sorted((ROOT / "source").iterdir()) if path.is_dir()
             for grade_id, code in solution_cells(ROOT / "source", path.name).items() if grade_id not in own}
    cells.update(own)
    return cells


def namespace(entry: str, directory: Path, assignment: str | None = None) -> dict:
    """The student's objects, from executing their cells in notebook order
    (a cell that raises is left out, as a failed cell defines nothing);
    with an assignment: the given code and that assignment's cells only."""
    names: dict = {"np": np} if assignment is None else dict(given(assignment)[0])
    for grade_id, source in cells_of(entry, directory).items():
        if source is None or grade_id.endswith("+markdown"):
            continue
        if assignment is not None and grade_id not in given(assignment)[1]:
            continue
        filename = f"<{entry}:{grade_id}>"
        # as IPython does for a cell: tracebacks (and the checks' hints) can quote the student's line
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            exec(compile(source, filename, "exec"), names)
        except Exception:
            pass
    return names


def _nudge(value):
    """value changed in its last bits (a few ulps), as another CPU might
    compute it: the same value is always changed the same way (a machine is
    deterministic; it is the machines that differ)."""
    if isinstance(value, (float, np.floating)) or (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
        arr = np.asarray(value, dtype=np.float64)
        rng = np.random.default_rng(list(np.frombuffer(arr.tobytes(), dtype=np.uint32)[:64]) or [0])
        nudged = arr + rng.integers(-4, 5, size=arr.shape) * np.spacing(arr)
        return float(nudged) if np.ndim(value) == 0 and not isinstance(value, np.ndarray) else nudged
    if isinstance(value, tuple):
        return tuple(_nudge(v) for v in value)
    return value


def nudged(obj):
    """obj whose every result, stored gradient and callback value is nudged."""
    if isinstance(obj, type):
        class Nudged:
            def __init__(self, *args, **kwargs):  # TwoLayerNet(input_size=...) passes keywords
                self._inner = obj(*args, **kwargs)

            def __dir__(self):
                return dir(self._inner)

            def __getattr__(self, name):
                value = getattr(self._inner, name)
                return nudged(value) if callable(value) else _nudge(value)
        return Nudged

    def call(*args):
        args = [(lambda f: (lambda *a: _nudge(f(*a))))(a) if callable(a) else a for a in args]
        return _nudge(obj(*args))
    return call


def verdict(check: str, obj, salt: bytes) -> str | None:
    function = registry.get(check).function
    try:
        with seeded(salt):
            function(obj)
    except CheckFailure as exc:
        keys = _KEY.findall(str(exc))
        return keys[0] if keys else "failed"
    except Exception as exc:  # noqa: BLE001 -- recorded, and then compared like any verdict
        return f"error:{type(exc).__name__}"
    return None


@pytest.mark.parametrize("entry,directory", ENTRIES, ids=[e for e, _ in ENTRIES])
def test_no_verdict_changes_with_the_last_bits_or_the_hidden_inputs(entry, directory):
    names = namespace(entry, directory)
    for chapter, check, obj_name in graded_checks():
        obj = (namespace(entry, directory, GIVEN[chapter]) if chapter in GIVEN else names).get(obj_name)
        if obj is None:
            continue
        verdicts = {verdict(check, obj, salt) for salt in SALTS}
        verdicts |= {verdict(check, nudged(obj), salt) for salt in SALTS}
        assert len(verdicts) == 1, (entry, check, verdicts)
        assert not any(v and v.startswith("error:") for v in verdicts), (entry, check, verdicts)


def test_every_registered_check_is_run_on_some_entry():
    """The loop above skips a check whose object an entry does not define:
    every registered check must be called by a grade cell and run on at
    least one entry (a sample student based on the solution runs them all)."""
    run = set()
    for entry, directory in [(s, SAMPLE_DIR) for s in sample_students()]:
        names = namespace(entry, directory)
        for chapter, check, obj_name in graded_checks():
            if (namespace(entry, directory, GIVEN[chapter]) if chapter in GIVEN else names).get(obj_name) is not None:
                run.add(check)
    missing = sorted(set(registry.checks()) - run)
    assert not missing, (f"no grade cell calls, or no sample student defines the object of, {missing}: add the grade "
                         f"cell (`bpkit new check`) and the solution in source/")
