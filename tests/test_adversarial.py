"""Tamper-proof grading (issue 4): adversarial submissions graded through the
real pipeline (bpkit's batch grading with nbgrader, the bubblewrap sandbox
and the judge), in one batch with honest students.

Each tests/adversarial/<name>.py is one student's submission, written like
the sample class (``# based on: aoki`` plus replaced cells), that attacks the
grading in the way its ``# threat:`` line says.  ``# expect: <cell> <key>``
lines list the cells it must lose and the reason each must show; every other
cell keeps its points.  ``# flagged: <cells>`` lists the cells that passed in
the notebook but not with the judge (integrity findings)."""
from __future__ import annotations

import hashlib
import http.server
import re
import sqlite3
import threading
from pathlib import Path

import nbformat
import pytest

from bpkit.course import Course
from bpkit.grading import flagged_students, grade_assignment
from bpkit.report import collect
from bpkit.sample import student_cells, write_submission
from conftest import copy_course
from test_sample_class import EXPECTED

ADVERSARIAL = Path(__file__).with_name("adversarial")
ENTRIES = sorted(p.stem for p in ADVERSARIAL.glob("*.py"))
HONEST = ["aoki", "fujita", "goto"]
ASSIGNMENTS = {"ch4_gradients": "losses_and_gradients", "ch5_backprop": "backprop_layers"}
PORT = 48231  # the "answer server" network.py tries to reach

_EXPECT = re.compile(r"^# expect: (\S+) (\S+)\s*$", re.MULTILINE)
_FLAGGED = re.compile(r"^# flagged: (.+)$", re.MULTILINE)
_THREAT = re.compile(r"^# threat: (.+)$", re.MULTILINE)
_OWN_CELLS = re.compile(r"^# %% (\S+)", re.MULTILINE)


def text_of(entry: str) -> str:
    return (ADVERSARIAL / f"{entry}.py").read_text(encoding="utf-8")


def expectations(entry: str) -> dict[str, str]:
    return dict(_EXPECT.findall(text_of(entry)))


def flagged_cells(entry: str) -> set[str]:
    return {cell for line in _FLAGGED.findall(text_of(entry)) for cell in line.split()}


def assignment_of(entry: str) -> str:
    own = set(_OWN_CELLS.findall(text_of(entry)))
    ch4 = {"softmax", "cross_entropy_error", "numerical_gradient"}
    return "ch4_gradients" if own & ch4 else "ch5_backprop"


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file an attacker must not change: the course's own
    files and every submission."""
    files = [root / "nbgrader_config.py", *[p for top in ("source", "release", "submitted")
                                            for p in (root / top).rglob("*") if p.is_file()]]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


class _AnswerServer(http.server.BaseHTTPRequestHandler):
    """Serves a correct MulLayer: if the sandbox let network.py reach it,
    that student would get full marks."""
    hits: list[str] = []

    def do_GET(self):
        _AnswerServer.hits.append(self.path)
        body = (b"class MulLayer:\n    def forward(self, x, y):\n        self.x, self.y = x, y\n"
                b"        return x * y\n    def backward(self, dout):\n        return dout * self.y, dout * self.x\n")
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """Every adversarial submission and three honest students, graded in one
    batch per assignment with two workers (and feedback)."""
    root = copy_course(tmp_path_factory.mktemp("adversarial") / "course")
    # Short cell timeouts, so the endless loops cost seconds rather than minutes.
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write("\nc.Execute.timeout = 10\n")
    for entry in ENTRIES:
        assignment = assignment_of(entry)
        write_submission(root / "release", assignment, student_cells(entry, ADVERSARIAL),
                         root / "submitted" / entry / assignment)
    for student in HONEST:
        for assignment in ASSIGNMENTS:
            write_submission(root / "release", assignment, student_cells(student),
                             root / "submitted" / student / assignment)
    before = snapshot(root)
    server = http.server.HTTPServer(("127.0.0.1", PORT), _AnswerServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    course = Course(root)
    results, flagged = {}, {}
    try:
        for assignment in ASSIGNMENTS:
            graded = grade_assignment(course, assignment, workers=2, log=lambda m: None)
            results.update({(r.student, assignment): r for r in graded})
            flagged[assignment] = flagged_students(course, assignment, graded)
    finally:
        server.shutdown()
    return {"root": root, "course": course, "results": results, "flagged": flagged,
            "before": before, "after": snapshot(root)}


def outputs_of(root: Path, student: str, assignment: str) -> str:
    path = root / "autograded" / student / assignment / f"{ASSIGNMENTS[assignment]}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                     if o.get("output_type") == "stream")


def test_every_threat_of_the_issue_has_an_adversarial_submission():
    threats = " ".join(_THREAT.search(text_of(e)).group(1) for e in ENTRIES)
    for words in ["names in the notebook namespace shadowed", "NumPy and numpy.testing patched",
                  "objects that fake comparisons", "before it is imported (sys.modules)",
                  "after it was imported", "import hooks", "importing the reference solution",
                  "writing outside", "hard-coding the visible examples", "killing the interpreter",
                  "infinite loops", "memory bombs", "floods of output", "network access"]:
        assert words in threats, words
    assert all(expectations(e) or e in ("output_flood", "process_bomb") for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES)
def test_an_attack_loses_exactly_the_points_of_the_part_it_attacks(attacked, entry):
    assignment = assignment_of(entry)
    result = attacked["results"][(entry, assignment)]
    assert result.ok, result.error  # graded, and the batch went on
    expected = expectations(entry)
    assert {cell: result.reasons.get(cell) for cell in result.failed} == expected
    assert result.score == result.max_score - sum(result.cells[c][1] for c in expected)


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_cell_that_passed_only_in_the_notebook_is_an_integrity_finding_with_evidence(attacked, entry):
    findings = attacked["flagged"][assignment_of(entry)].get(entry, [])
    judged = [f for f in findings if "not with the judge" in f]
    assert {f.split(":")[0] for f in judged} == flagged_cells(entry)
    for finding in judged:  # what the judge saw
        assert "did not" in finding or "stopped" in finding or "never reached" in finding, finding


@pytest.mark.parametrize("student", HONEST)
def test_honest_students_in_the_same_batch_get_exactly_their_usual_scores(attacked, student):
    for assignment in ASSIGNMENTS:
        result = attacked["results"][(student, assignment)]
        assert result.ok, result.error
        assert {c: result.reasons.get(c) for c in result.failed} == EXPECTED[student][assignment]
        assert student not in attacked["flagged"][assignment]


def test_no_attack_changed_the_course_or_any_submission(attacked):
    assert attacked["after"] == attacked["before"]


def test_the_gradebook_is_intact_and_holds_every_submission(attacked):
    root = attacked["root"]
    db = sqlite3.connect(root / "gradebook.db")
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    assert db.execute("select count(*) from grade where manual_score is not null").fetchone() == (0,)
    students = {s for s, _ in attacked["results"]}
    assert students == set(ENTRIES) | set(HONEST)
    for assignment in ASSIGNMENTS:
        rows = db.execute("select student_id from submitted_assignment join assignment "
                          "on assignment.id = assignment_id where assignment.name = ?", (assignment,)).fetchall()
        assert {r[0] for r in rows} == {e for e in ENTRIES if assignment_of(e) == assignment} | set(HONEST)


def test_the_sandbox_hides_the_reference_the_course_and_other_students(attacked):
    printed = outputs_of(attacked["root"], "read_secrets", "ch4_gradients")
    assert "FOUND: []" in printed, printed[:2000]


def test_the_sandbox_refuses_every_write_outside_the_submissions_scratch_area(attacked):
    printed = outputs_of(attacked["root"], "write_outside", "ch4_gradients")
    line = next(l for l in printed.splitlines() if l.startswith("WROTE:"))
    assert "WRITTEN" not in line and "'numpy': 'OSError'" in line and "'judge socket': 'OSError'" in line, line


def test_the_sandbox_has_no_network(attacked):
    printed = outputs_of(attacked["root"], "network", "ch5_backprop")
    line = next(l for l in printed.splitlines() if l.startswith("NETWORK:"))
    assert "CONNECTED" not in line and "DOWNLOADED" not in line, line
    assert _AnswerServer.hits == []


def test_no_submission_can_start_another_process(attacked):
    printed = outputs_of(attacked["root"], "process_bomb", "ch5_backprop")
    counts = {line for line in printed.splitlines() if line.startswith("FORKED:")}
    assert counts == {"FORKED: 0"}, counts


def test_a_flood_of_output_is_cut_and_costs_nothing(attacked):
    path = attacked["root"] / "autograded" / "output_flood" / "ch4_gradients" / "losses_and_gradients.ipynb"
    assert path.stat().st_size < 3_000_000
    printed = outputs_of(attacked["root"], "output_flood", "ch4_gradients")
    assert "characters cut" in printed and "the rest was dropped" in printed


def test_a_kernel_killed_part_way_keeps_the_cells_checked_before_and_says_so(attacked):
    result = attacked["results"][("kill_interpreter", "ch5_backprop")]
    assert "Kernel died" in result.note or "DeadKernelError" in result.note, result.note
    page = (attacked["root"] / "feedback" / "kill_interpreter" / "ch5_backprop" / "backprop_layers.html")
    text = page.read_text(encoding="utf-8")
    assert "stopped part-way" in text and "途中で停止" in text and f"{result.score:g} / 18" in text


def test_feedback_explains_a_judged_failure_without_hidden_code_or_the_reference(attacked):
    page = (attacked["root"] / "feedback" / "patch_grader_sys_modules" / "ch4_gradients" /
            "losses_and_gradients.html").read_text(encoding="utf-8")
    assert "never reached the grader" in page and "採点プログラムに届きませんでした" in page
    for secret in ("BEGIN HIDDEN TESTS", 'check("ch4.', "bpkit.checks", "import reference", "from reference",
                   "reference.functions", "reference.gradient"):
        assert secret not in page, secret


def test_the_class_report_lists_the_judges_findings(attacked):
    results = collect(attacked["course"], "ch5_backprop")
    judged = {(s, c) for s, c, why in results.integrity if "not with the judge" in why}
    assert ("patch_grader_in_place", "sigmoid_forward_matches_reference") in judged
    assert results.reasons["kill_interpreter"]["softmax_with_loss_backward_matches_reference"] == "sandbox"
