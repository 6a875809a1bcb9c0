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

import course_facts as facts
from bpkit.course import Course
from bpkit.grading.records import flagged_students
from bpkit.pipeline import grade_assignment
from bpkit.presentation.report import collect
from bpkit.sample import student_cells, write_submission
from conftest import copy_course
from test_sample_class import EXPECTED

ADVERSARIAL = Path(__file__).with_name("adversarial")
ENTRIES = sorted(p.stem for p in ADVERSARIAL.glob("*.py"))
HONEST = ["aoki", "fujita", "goto"]
ASSIGNMENTS = {"ch4_gradients": "losses_and_gradients", "ch5_backprop": "backprop_layers"}
PORT = 28231  # the "answer server" network.py tries to reach

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
            flagged[assignment] = flagged_students(graded)
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
    assert "stopped part-way" in text and "途中で停止" in text
    assert facts.score_text(result.score, "ch5_backprop") in text


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
    assert ("patch_grader_in_place", "sigmoid_forward_computes_the_logistic_function") in judged
    assert results.reasons["kill_interpreter"]["softmax_with_loss_backward_gives_y_minus_t_over_N"] == "sandbox"


# ------------------------------- issue 10: resources and paths of the sandbox ---

BAIT = "/tmp/bpkit-adversarial-bait.sock"  # the host socket socket_symlink_swap.py points its sockets at


class _Bait:
    connections = 0


@pytest.fixture(scope="module", autouse=True)
def bait_socket():
    """A host Unix socket, listening while the module's batch is graded (one
    run at a time on this machine: the path is fixed, so the lock)."""
    import fcntl
    import os
    import socket

    with open(BAIT + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.lexists(BAIT):
            os.unlink(BAIT)
        server = socket.socket(socket.AF_UNIX)
        server.bind(BAIT)
        server.listen(16)

        def serve():
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                _Bait.connections += 1
                conn.close()

        threading.Thread(target=serve, daemon=True).start()
        try:
            yield
        finally:
            try:
                server.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            server.close()
            os.unlink(BAIT)


def test_every_threat_of_issue_10_item_6_has_an_adversarial_submission():
    threats = " ".join(_THREAT.search(text_of(e)).group(1) for e in ENTRIES)
    for words in ["sandbox resources outside its caps", "symlinks in place of the kernel's sockets"]:
        assert words in threats, words


def test_no_memory_outside_the_sandboxs_caps(attacked):
    import ast
    printed = outputs_of(attacked["root"], "dev_tmpfs_fill", "ch4_gradients")
    line = next(l for l in printed.splitlines() if l.startswith("FILLED:"))
    filled = ast.literal_eval(line[len("FILLED:"):].strip())
    assert filled["/dev"][0] == 0 and filled["/dev/shm"][0] == 0, line
    assert filled["memfd"] == [0, "EPERM"] and filled["shmget"] == [0, "EPERM"], line


def test_symlinks_planted_for_the_kernels_sockets_lead_the_grader_nowhere(attacked):
    printed = outputs_of(attacked["root"], "socket_symlink_swap", "ch5_backprop")
    line = next(l for l in printed.splitlines() if l.startswith("SWAPPED:"))
    swapped, dropped = line.split()[1], line.split()[3]
    assert swapped == "5" and int(dropped) >= 3, line  # the attack was made
    assert _Bait.connections == 0


# ----------------------- issue 10, item 8: student strings escaped where they land ---

INJECTION_PAGES = [("html_output_injection", "ch4_gradients"), ("markdown_script", "ch5_backprop")]
HOSTILE_NAME = "hostile_exception_names"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
PWNED = ("return [window.PWNED === undefined ? null : String(window.PWNED), "
         "document.documentElement.getAttribute('data-pwned')];")


@pytest.fixture(scope="module")
def chromium():
    from browser import chromium_driver

    driver = chromium_driver()
    yield driver
    driver.quit()


def feedback_page(root: Path, student: str, assignment: str) -> Path:
    return root / "feedback" / student / assignment / f"{ASSIGNMENTS[assignment]}.html"


def assert_no_script_ran(driver, page: Path) -> None:
    """Load page, click every link and button a student planted, and check
    that no script set the marker and no alert opened."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    driver.get(page.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    for element_id in ("bpkit-js-link", "bpkit-md-html-link", "bpkit-md-button"):
        found = driver.find_elements(By.ID, element_id)
        if found:
            driver.execute_script("arguments[0].click()", found[0])
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 (an alert would be a script that ran)
    assert driver.execute_script(PWNED) == [None, None]


@pytest.mark.parametrize("entry, assignment", INJECTION_PAGES)
def test_is_a_students_script_inert_in_the_feedback_page(attacked, chromium, entry, assignment):
    page = feedback_page(attacked["root"], entry, assignment)
    text = page.read_text(encoding="utf-8")
    assert 'http-equiv="Content-Security-Policy"' in text
    scripts = re.findall(r"<script\b[^>]*>", text)
    assert not scripts, scripts  # not even MathJax: math is MathML (bpkit.mathml)
    assert_no_script_ran(chromium, page)
    # the student's harmless content is still there, as is the feedback
    assert "Your results / 採点結果" in text
    if entry == "html_output_injection":
        assert "<b>bold is fine</b>" in text
    else:
        # the whole cell is shown as text (bpkit.preprocessors.SanitizeGraded, issue 19): every payload is there
        # as escaped text only, \href's javascript: URL included, and no link or tag carries it
        assert "My notes" in text and "shown as text" in text
        from html.parser import HTMLParser

        urls = []

        class Attributes(HTMLParser):
            def handle_starttag(self, tag, attrs):
                urls.extend(value for _, value in attrs if value and re.match(r"\s*javascript:", value, re.I))

        Attributes().feed(text)
        assert urls == []


def test_are_hostile_exception_names_and_messages_inert_in_the_feedback_page(attacked, chromium):
    page = feedback_page(attacked["root"], HOSTILE_NAME, "ch4_gradients")
    assert page.stat().st_size < 3_000_000  # the 8 MB [data] line was cut, never decoded whole
    text = page.read_text(encoding="utf-8")
    assert "[data]" not in text.split("bpkit-summary", 1)[1].split("</table>", 1)[0]
    assert "&lt;script&gt;window.PWNED=1&lt;/script&gt;" in text
    assert_no_script_ran(chromium, page)


def test_is_an_error_message_cut_before_it_is_stored(attacked):
    path = attacked["root"] / "autograded" / HOSTILE_NAME / "ch4_gradients" / "losses_and_gradients.ipynb"
    assert path.stat().st_size < 3_000_000
    errors = [o for c in nbformat.read(path, as_version=4).cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors and all(len(o["evalue"]) <= 100_100 and len(o["ename"]) <= 200 for o in errors)


def test_do_hostile_names_reach_the_terminal_as_plain_text_without_control_characters(attacked):
    import io

    from rich.console import Console

    from bpkit.presentation.console import print_results

    for assignment in ASSIGNMENTS:
        results = [r for (s, a), r in attacked["results"].items() if a == assignment]
        console = Console(file=io.StringIO(), width=400, force_terminal=True, color_system=None)
        print_results(assignment, results, console, attacked["flagged"][assignment])  # `[/]` once crashed here
        out = console.file.getvalue()
        assert not CONTROL.search(out.replace("\n", "")), repr(CONTROL.search(out.replace("\n", "")))
        if assignment == "ch4_gradients":
            assert HOSTILE_NAME in out and "[/]" in out and "\\x1b[2J" in out


def csv_cells(path: Path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return [cell for row in csv.reader(f) for cell in row]


def test_does_no_csv_cell_start_a_formula(attacked, tmp_path):
    from bpkit.presentation.export import export_csv
    from bpkit.presentation.report import write_report

    course = attacked["course"]
    written = [export_csv(course, tmp_path / "grades.csv")]
    for assignment in ASSIGNMENTS:
        index = write_report(course, assignment, tmp_path / assignment)
        written += [index.with_name("grades.csv"), index.with_name("behaviours.csv")]
    for path in written:
        for cell in csv_cells(path):
            is_number = re.fullmatch(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?", cell)
            assert is_number or not cell.startswith(FORMULA_START), (path.name, cell)
    behaviours = csv_cells(tmp_path / "ch4_gradients" / "behaviours.csv")
    assert "'=HYPERLINK(\"http://example.invalid\",\"x\")" in behaviours and "'+SUM(1,2)" in behaviours


def test_is_the_class_report_inert_with_hostile_names(attacked, chromium, tmp_path):
    from bpkit.presentation.report import write_report

    index = write_report(attacked["course"], "ch4_gradients", tmp_path / "report")
    text = index.read_text(encoding="utf-8")
    assert 'http-equiv="Content-Security-Policy"' in text and "<script" not in text
    assert "&lt;script&gt;window.PWNED=1&lt;/script&gt;" in text and HOSTILE_NAME in text
    assert "code pattern worth a look (not proof)" in text
    assert_no_script_ran(chromium, index)


def test_are_tampering_patterns_hints_for_the_instructor_and_never_for_honest_students(attacked):
    for assignment in ASSIGNMENTS:
        for student in HONEST:
            assert student not in attacked["flagged"][assignment]
    hints = {entry: [f for f in attacked["flagged"][assignment_of(entry)].get(entry, []) if "worth a look" in f]
             for entry in ("patch_grader_sys_modules", "patch_numpy", "read_secrets", HOSTILE_NAME)}
    assert all(hints.values()), hints
    assert any("sys.modules" in f for f in hints[HOSTILE_NAME])


# ------------------------------------------------ issue 10: items 1, 2, 9 ---

def test_every_judge_threat_of_issue_10_has_an_adversarial_submission():
    threats = " ".join(_THREAT.search(text_of(e)).group(1) for e in ENTRIES)
    for words in ["harvesting hidden cases", "changing the grader's inputs in place", "doing nothing"]:
        assert words in threats, words


def test_harvesting_learns_nothing_and_is_an_integrity_finding(attacked):
    printed = outputs_of(attacked["root"], "harvest_hidden_cases", "ch4_gradients")
    line = next(l for l in printed.splitlines() if l.startswith("HARVEST:"))
    # pass/fail only came back; no array, message or expected value reached the notebook
    assert "array" not in line and "message" not in line and "expected" not in line, line
    assert "'ch5.affine_backward_dW', {'passed': False}" in line, line
    assert "('init'" not in line and "('forward'" not in line, line  # the foreign check never ran
    findings = attacked["flagged"]["ch4_gradients"]["harvest_hidden_cases"]
    assert any("'ch5.affine_backward_dW': not a check of this assignment, refused" in f for f in findings)
    assert any("'ch4.softmax_batch': asked for a second time, refused" in f for f in findings)


def test_a_lazy_submission_earns_no_point_through_the_real_pipeline(attacked):
    for entry, assignment in (("lazy_ch4", "ch4_gradients"), ("lazy_ch5", "ch5_backprop")):
        result = attacked["results"][(entry, assignment)]
        assert result.ok and result.score == 0, (entry, result.cells)
