"""Every reader of student content behind one gate (issue 20): attacks
graded through the real pipeline (bpkit's batch grading, two workers, the
sandbox, the judge, feedback) in one batch with honest students, then read
back by `bpkit report`, the terminal table and the CSVs.

Classes (the README's threat table): readers that skip the intake (the
report once opened submitted/ itself: a link to the course secret, a FIFO,
/dev/zero as the notebook), output channels the caps missed (display
metadata, errors, display updates, the number of outputs), memory
amplification in the wire codec (aliased blobs, .npy headers that lie), TeX
that costs the main process minutes, report poisoning (kernel text posing as
the judge's diagnosis, a planted heatmap), feedback lost after an
interruption, a submitted html page copied into feedback/, a forged
timestamp.txt.  Each attack is a student here; the honest students keep
exactly their usual results."""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import numpy as np
import pytest

from bpkit.course import Course
from bpkit.grading.records import flagged_students
from bpkit.pipeline import grade_assignment
from bpkit.sample import student_cells, write_submission
from conftest import copy_course
from test_sample_class import EXPECTED

CH4, NB = "ch4_gradients", "losses_and_gradients"
HONEST = ["aoki", "fujita", "goto", "hayashi"]
DUE = datetime(2026, 1, 10, 12, 0, 0)
ENV_SECRET = "BPKIT-REPORT-ENVIRON-SECRET-91d2"
POISON = "POISONED-SENTENCE-7c1"
MAX_OUTPUTS = 300  # outputs kept per notebook in this course (10 000 by default; fewer, so the attack is quick)
PAGE_LIMIT = 25_000_000  # LimitedExecute keeps 20 MB of output per notebook; notes and cut errors on top


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


# ------------------------------------------------------------ the attacks ---

def _aoki(**replaced) -> dict:
    return {**student_cells("aoki"), **replaced}


SOFTMAX = student_cells("aoki")["softmax"]
CEE = student_cells("aoki")["cross_entropy_error"]

METADATA_FLOOD = SOFTMAX + """
from IPython.display import publish_display_data
for _i in range(16):  # 16 x 8 MiB of display metadata (the issue: 40 x 8 MiB made a 320 MB notebook)
    publish_display_data({"text/plain": "."}, metadata={"m": "x" * (8 << 20)})
"""

ERROR_FLOOD = SOFTMAX + """
_ip = get_ipython()
for _i in range(1500):  # 1 500 errors of 100 KiB each (the issue: a 144.5 MB feedback page)
    try:
        raise ValueError("e" * (100 << 10))
    except ValueError:
        _ip.showtraceback()
"""

DISPLAY_UPDATE_FLOOD = SOFTMAX + """
from IPython.display import display, update_display
for _i in range(100):  # one display id shown 100 times, then one 1 MiB update rewrites all of them
    display({"text/plain": "."}, raw=True, display_id="bpkit-flood")
update_display({"text/plain": ".", "application/json": {"u": "u" * (1 << 20)}}, raw=True, display_id="bpkit-flood")
"""

MANY_OUTPUTS = SOFTMAX + """
from IPython.display import publish_display_data
for _i in range(700):  # past the outputs a notebook keeps (300 in this course: MAX_OUTPUTS)
    publish_display_data({"text/plain": "."})
"""

# The probe's send, patched in the kernel: the first reply carrying an array
# names one 4 MiB blob 36 864 times (a header under 1 MB).
WIRE_ALIASING = """
import bpkit.probe as _probe
import numpy as _np

_real_send, _state = _probe.send, {"done": False}


def _aliasing_send(sock, header, blobs=()):
    value = header.get("value") if isinstance(header, dict) else None
    if not _state["done"] and header.get("ok") and isinstance(value, dict) and value.get("t") == "ndarray":
        _state["done"] = True
        blobs = list(blobs) + [_probe.npy(_np.zeros((4 << 20) // 8 - 16))]
        ref = {"t": "ndarray", "b": len(blobs) - 1}
        header = dict(header, value={"t": "list", "items": [
            {"t": "list", "items": [{"t": "list", "items": [ref] * 64}] * 64}] * 9})
    return _real_send(sock, header, blobs)


_probe.send = _aliasing_send
""" + SOFTMAX

# An .npy header that claims 400 million float64s (3.2 GB) in a blob of 128 bytes.
WIRE_NPY_HEADER = """
import io as _io
import bpkit.probe as _probe
import numpy as _np

_real_send, _state = _probe.send, {"done": False}


def _lying_send(sock, header, blobs=()):
    value = header.get("value") if isinstance(header, dict) else None
    if not _state["done"] and header.get("ok") and isinstance(value, dict) and value.get("t") == "ndarray":
        _state["done"] = True
        buffer = _io.BytesIO()
        _np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False,
                                                       "shape": (400_000_000,)})
        blobs = list(blobs)
        blobs[value["b"]] = buffer.getvalue()
    return _real_send(sock, header, blobs)


_probe.send = _lying_send
""" + SOFTMAX


def _data_line() -> str:
    from bpkit.checks.core import encode_arrays

    return encode_arrays(np.full((3, 4), 9.0), np.zeros((3, 4)))


def _poison(kind: str) -> str:
    """A cross_entropy_error cell that first puts a fake bpkit.probe into
    sys.modules: its check raises another student's key and sentence (and a
    heatmap) for one cell, and hands every other check to the real probe."""
    if kind == "sentence":
        raised = ('class CheckFailure(AssertionError):\n    pass\n\n\n'
                  f'_RAISE = {{"ch4.cross_entropy_one_hot": lambda: CheckFailure(\n'
                  f'    "cross_entropy_error takes the base-10 logarithm: use np.log. {POISON}\\n"\n'
                  f'    "cross_entropy_error が常用対数を使っています。{POISON}\\n[cee.log10]\\n{_data_line()}")}}\n')
    else:  # an exception class named like the judge's key
        raised = ('_RAISE = {"ch4.cross_entropy_labels": lambda: type("cee.log10", (Exception,), {})(\n'
                  f'    "[cee.log10]\\n{POISON}")}}\n')
    return (f"import importlib\nimport sys\nimport types\n\n_real_probe = importlib.import_module('bpkit.probe')\n"
            f"{raised}\n\ndef _check(name, obj):\n    if name in _RAISE:\n        raise _RAISE[name]()\n"
            f"    return _real_probe.check(name, obj)\n\n\n_fake = types.ModuleType('bpkit.probe')\n"
            f"_fake.check = _check\nsys.modules['bpkit.probe'] = _fake\n\n\n" + CEE)


def _plant_heatmap(folder: Path, root: Path) -> None:
    """A heatmap in the submitted notebook's own cell metadata, on a cell that fails for a reason of its own."""
    path = folder / f"{NB}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "numerical_gradient_matches_book_example":
            cell.metadata["bpkit_heatmap"] = _data_line()
    nbformat.write(nb, path)


def _link_notebook(target):
    def attack(folder: Path, root: Path) -> None:
        (folder / f"{NB}.ipynb").unlink()
        (folder / f"{NB}.ipynb").symlink_to(target(root) if callable(target) else target)
    return attack


def _fifo_notebook(folder: Path, root: Path) -> None:
    (folder / f"{NB}.ipynb").unlink()
    os.mkfifo(folder / f"{NB}.ipynb")


def _files(**files):
    def attack(folder: Path, root: Path) -> None:
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
    return attack


def _stamped(claimed: str, files_at: str, stamp_file_at: str | None = None):
    """timestamp.txt claiming `claimed`; every file written at `files_at`
    (timestamp.txt itself at stamp_file_at, if given), as the files' times
    come through nbgrader's submit and collect."""
    def attack(folder: Path, root: Path) -> None:
        (folder / "timestamp.txt").write_text(f"{claimed}.000000 UTC", encoding="utf-8")
        for path in folder.rglob("*"):
            if path.is_file():
                at = _epoch(stamp_file_at if stamp_file_at and path.name == "timestamp.txt" else files_at)
                os.utime(path, (at, at))
    return attack


SCRIPT = "<script>window.PWNED=1</script><p>fake feedback: 14 / 14</p>"

# student -> (cells, what is done to the submission folder, {cell: reason it must lose})
ATTACKS = {
    # 1. readers that skip the intake: refused at intake, then read by `bpkit report`
    "report_secret_link": (_aoki(), _link_notebook(lambda root: root / ".bpkit-secret"), None),
    "report_fifo": (_aoki(), _fifo_notebook, None),
    "report_dev_zero": (_aoki(), _link_notebook("/dev/zero"), None),
    "report_environ": (_aoki(), _link_notebook("/proc/self/environ"), None),  # own variant
    # 3. output channels
    "metadata_flood": (_aoki(softmax=METADATA_FLOOD), None, {}),
    "error_flood": (_aoki(softmax=ERROR_FLOOD), None, {}),
    "display_update_flood": (_aoki(softmax=DISPLAY_UPDATE_FLOOD), None, {}),  # own variant
    "many_outputs": (_aoki(softmax=MANY_OUTPUTS), None, {}),  # own variant
    # 4. the wire codec
    "wire_aliasing": (_aoki(softmax=WIRE_ALIASING), None, {"softmax_1d_matches_book_example": "sandbox"}),
    "wire_npy_header": (_aoki(softmax=WIRE_NPY_HEADER), None,  # own variant
                        {"softmax_1d_matches_book_example": "sandbox"}),
    # 5. TeX in markdown
    "tex_flood": (_aoki(**{"softmax +markdown": " ".join(["$x$"] * 51_200)}), None, {}),
    "tex_many_cells": (_aoki(**{f"{name} +markdown": " ".join(["$$y$$"] * 20_000)  # own variant
                                for name in ("softmax", "cross_entropy_error", "numerical_gradient")}), None, {}),
    # 6. report poisoning
    "poison_report": (_aoki(cross_entropy_error=_poison("sentence")), None,
                      {"cross_entropy_one_hot_matches_book_examples": "CheckFailure"}),
    "poison_ename": (_aoki(cross_entropy_error=_poison("ename")), None,  # own variant
                     {"cross_entropy_accepts_integer_labels": "notebook error: cee.log10"}),
    "poison_planted_heatmap": ({**student_cells("aoki"), "numerical_gradient": None}, _plant_heatmap,  # own variant
                               {c: "not_implemented" for c in EXPECTED["chiba"][CH4] if c.startswith("numerical")}),
    # 8. html in feedback/, forged timestamps
    "preview_html": (_aoki(), _files(**{"Feedback preview.html": SCRIPT}), {}),
    "page_named_like_feedback": (_aoki(), _files(**{f"{NB}.html": SCRIPT, "pages/notes.html": SCRIPT,  # own
                                                    "notes.HTM": SCRIPT}), {}),
    "forged_timestamp": (_aoki(), _stamped("2026-01-09 10:00:00", "2026-01-12 10:00:00"), {}),
    "forged_timestamp_touched": (_aoki(), _stamped("2026-01-09 10:00:00", "2026-01-09 09:00:00",  # own variant
                                                   stamp_file_at="2026-01-12 10:00:00"), {}),
    "honest_late": (_aoki(), _stamped("2026-01-11 09:30:00", "2026-01-11 09:29:00"), {}),  # own: honest, late
}
REFUSED = {"report_secret_link": "is a symbolic link", "report_fifo": "FIFO", "report_dev_zero": "is a symbolic link",
           "report_environ": "is a symbolic link"}


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("gate") / "course")
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write('\nc.Execute.timeout = 60\nc.LateSubmissionPlugin.penalty_method = "zero"\n'
                "c.BpkitWorker.memory_bytes = 2560 << 20\n"
                f"c.LimitedExecute.max_outputs = {MAX_OUTPUTS}\n")
    course = Course(root)
    course.ensure_in_gradebook(CH4)
    with course.gradebook() as gb:
        gb.update_or_create_assignment(CH4, duedate=DUE)
    (root / ".bpkit-secret").write_text(secrets.token_hex(32) + "\n")
    os.chmod(root / ".bpkit-secret", 0o600)
    for student in HONEST:
        write_submission(root / "release", CH4, student_cells(student), root / "submitted" / student / CH4)
    _stamped("2026-01-09 10:00:00", "2026-01-09 09:59:00")(root / "submitted" / "aoki" / CH4, root)
    for student, (cells, attack, _) in ATTACKS.items():
        folder = root / "submitted" / student / CH4
        write_submission(root / "release", CH4, cells, folder)
        if attack:
            attack(folder, root)
    results = {r.student: r for r in grade_assignment(course, CH4, workers=2, log=lambda m: None)}
    # own variant: a submission that arrives after grading (never graded), its notebook a FIFO
    write_submission(root / "release", CH4, student_cells("aoki"), root / "submitted" / "arrived_late" / CH4)
    _fifo_notebook(root / "submitted" / "arrived_late" / CH4, root)
    return {"root": root, "course": course, "results": results}


def test_does_the_batch_grade_every_attack_and_keep_the_honest_students_results(gate):
    results = gate["results"]
    assert set(results) == set(HONEST) | set(ATTACKS)
    for student in HONEST:
        assert results[student].ok, results[student].error
        assert {c: results[student].reasons.get(c) for c in results[student].failed} == EXPECTED[student][CH4]


@pytest.mark.parametrize("student", sorted(s for s, (_, _, expected) in ATTACKS.items() if expected is not None))
def test_does_an_attack_lose_exactly_the_cells_it_attacks(gate, student):
    result = gate["results"][student]
    assert result.ok, result.error
    assert {c: result.reasons.get(c) for c in result.failed} == ATTACKS[student][2]


# ------------------------------------------- 1. readers that skip the intake ---

@contextmanager
def at_most(seconds: int):
    """Fail instead of hanging (a reader that opens a FIFO in submitted/ waits for ever)."""
    def stop(signum, frame):
        raise TimeoutError(f"still reading after {seconds} s: it opened something in submitted/")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def collect_results(gate):
    from bpkit.presentation.report import collect

    with at_most(120):
        return collect(gate["course"], CH4)


@pytest.fixture(scope="module")
def report(gate, tmp_path_factory):
    """`bpkit report` in a process of its own, with a memory cap and a time
    limit (it once hung on a FIFO and grew to 2.7 GB on /dev/zero)."""
    out = tmp_path_factory.mktemp("report")

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    env = dict(os.environ, BPKIT_TEST_SECRET=ENV_SECRET)
    try:
        done = subprocess.run([sys.executable, "-m", "bpkit.cli", "--course", str(gate["root"]), "report", CH4,
                               "--out", str(out)], capture_output=True, text=True, timeout=120, env=env,
                              preexec_fn=cap)
    except subprocess.TimeoutExpired:
        pytest.fail("bpkit report hung (it read a FIFO in submitted/)")
    return {"out": out, "done": done}


def test_does_the_report_finish_within_its_memory_without_reading_submitted(report):
    assert report["done"].returncode == 0, report["done"].stderr[-3000:]
    size = sum(p.stat().st_size for p in report["out"].rglob("*") if p.is_file())
    assert size < 20_000_000, size


def test_does_no_report_file_quote_the_secret_or_the_environment(gate, report):
    secret = (gate["root"] / ".bpkit-secret").read_text().strip()
    for path in report["out"].rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            assert secret[:16] not in text and ENV_SECRET not in text, path


def test_does_the_report_give_the_reason_the_intake_recorded(gate, report):
    summary = (report["out"] / "index.html").read_text(encoding="utf-8")
    for student, words in REFUSED.items():
        assert student in summary
    not_graded = collect_results(gate).not_graded
    for student, words in REFUSED.items():
        assert words in not_graded[student], (student, not_graded[student])
    assert "not graded yet" in not_graded["arrived_late"]


# --------------------------------------------------------- 3. output caps ---

def graded(gate, student) -> Path:
    return gate["root"] / "autograded" / student / CH4 / f"{NB}.ipynb"


def page(gate, student) -> Path:
    return gate["root"] / "feedback" / student / CH4 / f"{NB}.html"


@pytest.mark.parametrize("student", ["metadata_flood", "error_flood", "display_update_flood", "many_outputs"])
def test_is_every_output_channel_counted_before_it_is_stored(gate, student):
    assert graded(gate, student).stat().st_size < PAGE_LIMIT, graded(gate, student).stat().st_size
    assert page(gate, student).stat().st_size < PAGE_LIMIT, page(gate, student).stat().st_size
    nb = nbformat.read(graded(gate, student), as_version=4)
    assert sum(len(c.get("outputs", [])) for c in nb.cells) <= MAX_OUTPUTS + 2 * len(nb.cells)


# ------------------------------------------------------- 4. the wire codec ---

@pytest.mark.parametrize("student", ["wire_aliasing", "wire_npy_header"])
def test_does_an_amplifying_reply_fail_its_cell_as_not_plain_data_never_as_the_students_memory_error(gate, student):
    record = json.loads((gate["root"] / "autograded" / student / CH4 / ".bpkit-judge.json").read_text())
    message = record["cells"][NB]["softmax_1d_matches_book_example"]["message"]
    assert "[sandbox]" in message and "not plain data" in message, message
    assert "MemoryError" not in message


# ----------------------------------------------------------------- 5. TeX ---

@pytest.mark.parametrize("student", ["tex_flood", "tex_many_cells"])
def test_is_the_tex_of_a_page_converted_within_its_budget(gate, student):
    from bpkit.mathml import MAX_FORMULAS

    text = page(gate, student).read_text(encoding="utf-8")
    assert "Your results / 採点結果" in text
    assert 0 < text.count("<math") <= MAX_FORMULAS


# ------------------------------------------------------ 6. report poisoning ---

def test_does_only_the_judge_supply_a_mistake_key_and_what_the_student_was_told(gate, tmp_path):
    from bpkit.presentation.report import write_report

    results = collect_results(gate)
    assert results.students_with("cee.log10") == ["hayashi"]
    assert POISON not in results.messages["cee.log10"]
    judge = json.loads((gate["root"] / "autograded" / "hayashi" / CH4 / ".bpkit-judge.json").read_text())
    told = judge["cells"][NB]["cross_entropy_one_hot_matches_book_examples"]["message"]
    assert results.messages["cee.log10"].splitlines()[0] == told.splitlines()[0]
    with at_most(120):
        index = write_report(gate["course"], CH4, tmp_path / "report")
    with open(index.with_name("behaviours.csv"), newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["diagnosis"] == "cee.log10"]
    assert [r["student_id"] for r in rows] == ["hayashi"]


@pytest.mark.parametrize("student", ["poison_report", "poison_ename"])
def test_is_kernel_text_posing_as_a_diagnosis_flagged_for_the_instructor(gate, student):
    flagged = flagged_students(list(gate["results"].values()))
    assert any("posing as the grader's diagnosis" in f for f in flagged.get(student, [])), flagged.get(student)
    assert not any("posing" in f for s in HONEST for f in flagged.get(s, []))


def test_does_the_terminal_show_no_stolen_key_for_the_attacker(gate):
    from rich.console import Console

    from bpkit.presentation.console import print_results

    console = Console(file=io.StringIO(), width=400, color_system=None)
    print_results(CH4, list(gate["results"].values()), console)
    rows = [line for line in console.file.getvalue().splitlines() if "cee.log10" in line and "│" in line]
    assert rows and all("hayashi" in line or "notebook error: cee.log10" in line for line in rows), rows


@pytest.mark.parametrize("student, cell", [("poison_report", "cross_entropy_one_hot_matches_book_examples"),
                                           ("poison_planted_heatmap", "numerical_gradient_matches_book_example")])
def test_does_a_heatmap_the_notebook_brought_never_reach_the_feedback(gate, student, cell):
    nb = nbformat.read(graded(gate, student), as_version=4)
    (graded_cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell]
    assert "bpkit_heatmap" not in graded_cell.metadata
    assert all("[data]" not in str(o.get("evalue", "")) for o in graded_cell.get("outputs", []))
    summary = page(gate, student).read_text(encoding="utf-8").split("bpkit-summary", 1)[1].split("</table>", 1)[0]
    assert "bpkit-heatmap" not in summary


# ----------------------------------------------- 8. feedback/ holds our pages ---

@pytest.mark.parametrize("student", ["preview_html", "page_named_like_feedback"])
def test_does_feedback_hold_only_the_generated_pages(gate, student):
    folder = gate["root"] / "feedback" / student / CH4
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert files == [f"{NB}.html"], files
    text = (folder / f"{NB}.html").read_text(encoding="utf-8")
    assert "Your results / 採点結果" in text and "<script" not in text and "PWNED" not in text


def _late_penalty(gate, student) -> tuple[float, float]:
    with gate["course"].gradebook() as gb:
        submission = gb.find_submission(CH4, student)
        return float(submission.late_submission_penalty), float(submission.total_seconds_late)


@pytest.mark.parametrize("student", ["forged_timestamp", "forged_timestamp_touched"])
def test_does_a_forged_timestamp_get_the_late_penalty_and_a_flag(gate, student):
    penalty, late = _late_penalty(gate, student)
    assert penalty == 14 and late == 0, (penalty, late)  # late by its files; recorded with timestamp.txt's time
    assert student in gate["course"].api.get_autograded_students(CH4)  # so formgrader lists it as graded
    findings = flagged_students(list(gate["results"].values())).get(student, [])
    assert any(f.startswith("(submission time): timestamp.txt says 2026-01-09 10:00:00 UTC") for f in findings), findings
    kept = gate["root"] / "feedback" / student / CH4 / "timestamp.txt"  # as submitted: fetch_feedback matches it
    assert kept.read_text(encoding="utf-8") == "2026-01-09 10:00:00.000000 UTC"


def test_are_honest_timestamps_trusted_on_time_or_late(gate):
    assert _late_penalty(gate, "aoki") == (0.0, 0.0)
    assert _late_penalty(gate, "honest_late")[0] == 14  # late is late
    flagged = flagged_students(list(gate["results"].values()))
    assert "aoki" not in flagged and "honest_late" not in flagged


# ------------------------------------------ 7. feedback after an interruption ---

@pytest.fixture
def small_course(tmp_path):
    root = copy_course(tmp_path / "course")
    for student in ("aoki", "fujita", "goto"):
        write_submission(root / "release", CH4, student_cells(student), root / "submitted" / student / CH4)
    return Course(root)


def _pages(course) -> set[str]:
    return {p.parent.parent.name for p in (course.root / "feedback").glob(f"*/{CH4}/{NB}.html")}


def test_does_the_same_command_after_a_ctrl_c_in_the_feedback_stage_write_every_page(small_course, monkeypatch,
                                                                                     tmp_path):
    from nbgrader.apps.api import NbGraderAPI

    flag = tmp_path / "interrupt-once"
    flag.touch()
    real = NbGraderAPI.generate_feedback

    def interrupted(self, *args, **kwargs):  # Ctrl-C, once, wherever feedback is written (forked workers too)
        try:
            flag.unlink()
        except FileNotFoundError:
            return real(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(NbGraderAPI, "generate_feedback", interrupted)
    with pytest.raises(KeyboardInterrupt):
        grade_assignment(small_course, CH4, workers=1, log=lambda m: None)
    assert not flag.exists()  # the interruption happened
    again = grade_assignment(small_course, CH4, workers=1, log=lambda m: None)
    assert all(r.ok and r.skipped for r in again)  # nothing regraded, no --force
    assert _pages(small_course) == {"aoki", "fujita", "goto"}


def test_does_a_run_after_no_feedback_write_the_pages_without_force(small_course):
    first = grade_assignment(small_course, CH4, workers=2, feedback=False, log=lambda m: None)
    assert all(r.ok for r in first) and _pages(small_course) == set()
    again = grade_assignment(small_course, CH4, workers=2, log=lambda m: None)
    assert all(r.skipped for r in again) and _pages(small_course) == {"aoki", "fujita", "goto"}
