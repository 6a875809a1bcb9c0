"""Same code, same score (issue 21): no student id and no course secret can
change a verdict or a mistake key.

Hidden inputs differ per student (bpkit.judging.secret.student_salt), so that
no table of answers can pass; what varies must never decide.  Every catalogue
entry (tests/catalogue/, including pairs of mistakes in one function) and
every sample student is run against every check of the cells it writes under
SALTS salts -- HMAC(course secret, student id) for several secrets and ids,
as the judge draws them, plus no salt (an instructor validating source/) --
and each check must give one outcome, (passed, mistake keys), for all of them.

The checks run in-process here (the judge runs the very same functions);
test_the_judge_agrees_with_the_in_process_verdicts runs them through the
judge's socket and codec, and test_the_issues_notebook_scores_the_same_for_six_student_ids
grades the issue's notebook through the sandboxed pipeline.
"""
from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from bpkit.checks import registry
from bpkit.checks.core import CheckFailure, collecting_notes, seeded
from bpkit.judging.secret import student_salt
from bpkit.sample import SAMPLE_DIR, sample_students, student_cells
import course_facts as facts
from conftest import ROOT
from test_rounding import cells_of, graded_checks, namespace

CATALOGUE = Path(__file__).with_name("catalogue")
ENTRIES = [(p.stem, CATALOGUE) for p in sorted(CATALOGUE.glob("*.py"))] + [(s, SAMPLE_DIR) for s in sample_students()]
#: The notebook whose given code and cells each check module's checks run on (from the grade cells of source/).
ASSIGNMENT = {module: facts.module_assignment(module) for module in registry.MODULES}
SECRETS = [bytes([i]) * 32 for i in range(5)]
STUDENTS = ["alice", "bob", "s0001", "s0002", "s0003", "学生", "o'brien", "x" * 40, "1", "jovyan"]
SALTS = [b""] + [student_salt(secret, student) for secret in SECRETS for student in STUDENTS]
_KEY = re.compile(r"^\[([\w.]+)\]$", re.MULTILINE)


def outcome(check: str, obj, salt: bytes) -> tuple[bool, tuple[str, ...]]:
    """(passed, mistake keys) of one check on the student's object."""
    notes: list = []
    try:
        with seeded(salt), collecting_notes(notes):
            registry.get(check).function(obj)
    except CheckFailure as exc:
        return False, tuple(_KEY.findall(str(exc)))
    except Exception as exc:  # noqa: BLE001 -- a check that crashes is an outcome too (and must not vary)
        return False, (f"error:{type(exc).__name__}",)
    return True, ()


@lru_cache(maxsize=None)
def distinct_codes() -> dict[tuple[str, str], list[str]]:
    """(check, source of the cell defining the student's object) -> the
    entries with that code.  Each entry replaces whole cells of the book's
    code, and each graded object is defined in one cell using only that
    cell and the notebook's given code, so the same cell gives the same
    outcomes: each is run once."""
    found: dict[tuple[str, str], list[str]] = {}
    for entry, directory in ENTRIES:
        cells = cells_of(entry, directory)  # an entry based on the solution has its cells too
        for module, check, obj_name in graded_checks():
            source = cells.get(obj_name)
            if source is not None:
                found.setdefault((check, source), []).append(f"{directory.name}/{entry}")
    return found


def student_object(entries: list[str], check: str, obj_name: str):
    """The object the check grades, from the entry's cells run in order on
    the notebook's given code (common/ importable, as in the notebook)."""
    directory, entry = entries[0].split("/")
    folder = CATALOGUE if directory == CATALOGUE.name else SAMPLE_DIR
    assignment = ASSIGNMENT[registry.get(check).module]
    sys.path.insert(0, str(ROOT / "source" / assignment))
    try:
        return namespace(entry, folder, assignment).get(obj_name)
    finally:
        sys.path.remove(str(ROOT / "source" / assignment))
        for name in [m for m in sys.modules if m == "common" or m.startswith("common.")]:
            sys.modules.pop(name)


def _compiles(source: str) -> bool:
    try:
        compile(source, "<cell>", "exec")
    except SyntaxError:
        return False
    return True


def _cases():
    """(check, object name, cell source, entries) for every distinct code a
    check grades; a cell that does not compile defines nothing to grade
    (its cells fail with the NameError, bpkit.grading.root_cause)."""
    by_check = {check: obj for _, check, obj in graded_checks()}
    return [(check, by_check[check], source, entries) for (check, source), entries in distinct_codes().items()
            if _compiles(source)]


CASES = _cases()


def test_every_entry_and_every_check_is_covered():
    assert len(SALTS) >= 50
    checks = {check for check, _, _, _ in CASES}
    assert checks == set(registry.checks())
    covered = {e for (_, source), entries in distinct_codes().items() for e in entries if _compiles(source)}
    written = {f"{d.name}/{e}" for e, d in ENTRIES
               if any(v is not None and _compiles(v) for v in student_cells(e, d).values())}
    assert written <= covered
    pairs = [e for e, _ in ENTRIES if e.startswith("pair_")]
    assert len(pairs) >= 12  # pairs of mistakes in one function


@pytest.mark.parametrize("check,obj_name,source,entries", CASES,
                         ids=[f"{c}-{e[0].split('/')[1]}" for c, _, _, e in CASES])
def test_no_student_id_or_secret_changes_a_verdict_or_a_key(check, obj_name, source, entries):
    obj = student_object(entries, check, obj_name)
    assert obj is not None, (entries[0], obj_name)
    outcomes = {outcome(check, obj, salt) for salt in SALTS}
    assert len(outcomes) == 1, (check, entries, outcomes)
    assert not any(k.startswith("error:") for _, keys in outcomes for k in keys), outcomes


def test_the_issues_case_cannot_vary_any_more():
    """Cross-entropy divided by N*C with no 1e-7 scored 9, 9, 9, 9, 10, 9 of
    14 under six student ids; now every id loses exactly the one-hot cell
    (mean over classes) and the zero-probability cell (no 1e-7)."""
    import numpy as np

    def cross_entropy_error(y, t):
        if y.ndim == 1:
            t = t.reshape(1, t.size)
            y = y.reshape(1, y.size)
        if t.size != y.size:
            t = np.eye(y.shape[1])[t]
        return -np.mean(t * np.log(y))

    secret = bytes(range(32))
    seen = set()
    for student in ["s1", "s2", "s3", "s4", "s5", "s6"]:
        salt = student_salt(secret, student)
        seen.add(tuple(outcome(check, cross_entropy_error, salt) for check in registry.checks()
                       if check.startswith("ch4.cross_entropy")))
    assert seen == {((False, ("cee.mean_over_classes",)), (True, ()), (True, ()),
                     (False, ("cee.no_delta",)), (True, ()))}


def test_the_judge_agrees_with_the_in_process_verdicts(tmp_path):
    """Every distinct code of the invariance test, once through the judge:
    its socket, codec and proxies (the student's side served here, as a
    sandboxed kernel serves it) give the in-process outcome, each case under
    another of the salts."""
    from bpkit.judging.judge import Judge
    from bpkit.probe import ask_judge

    disagree = []
    for i, (check, obj_name, source, entries) in enumerate(CASES):
        obj = student_object(entries, check, obj_name)
        salt = SALTS[i % len(SALTS)]
        folder = tmp_path / str(i)
        folder.mkdir()
        with Judge(folder, timeout=10.0, salt=salt) as judge, collecting_notes([]):
            told = ask_judge(judge.path, check, obj)
            (mine,) = judge.verdicts[check]
        judged = (mine.passed, tuple(_KEY.findall(mine.message)))
        if judged != outcome(check, obj, salt) or told.get("passed") is not mine.passed:
            disagree.append((check, entries[0], judged, outcome(check, obj, salt)))
    assert not disagree
    assert len(CASES) > 400


def test_the_issues_notebook_scores_the_same_for_six_student_ids(tmp_path):
    """The issue's notebook (cross-entropy divided by N*C, no 1e-7) handed in
    under six student ids, graded through the real pipeline (sandbox, judge,
    a course secret): the same score and the same reasons for all six."""
    from bpkit.course import Course
    from bpkit.pipeline import grade_assignment
    from bpkit.sample import write_submission
    from conftest import copy_course

    root = copy_course(tmp_path / "course")
    cells = student_cells("pair_cee_mean_over_classes_no_delta", CATALOGUE)
    students = ["s1", "s2", "s3", "s4", "s5", "s6"]
    for student in students:
        write_submission(root / "release", "ch4_gradients", cells, root / "submitted" / student / "ch4_gradients")
    results = grade_assignment(Course(root), "ch4_gradients", feedback=False, workers=2, log=lambda m: None)
    assert (root / ".bpkit-secret").is_file()  # inputs drawn per student from the course secret
    assert len(results) == 6 and all(r.ok for r in results)
    seen = {(r.score, tuple(sorted((c, r.reasons.get(c)) for c in r.failed))) for r in results}
    expected = {"cross_entropy_finite_for_zero_probability": "cee.no_delta",
                "cross_entropy_one_hot_matches_book_examples": "cee.mean_over_classes"}
    lost = sum(results[0].cells[c][1] for c in expected)
    assert seen == {(results[0].max_score - lost, tuple(sorted(expected.items())))}
