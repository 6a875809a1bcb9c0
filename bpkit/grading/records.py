"""What grading leaves behind, read back: the judge's file next to each
graded notebook, per-cell scores and the reason each lost cell lost its
points.  Every reader of graded results (the command line, the report, the
demo) goes through this module."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from bpkit.course import Course
from bpkit.escaping import clip, terminal_text
from bpkit.integrity import suspicious_cells

__all__ = ["StudentResult", "JUDGE_FILE", "read_judge_file", "failure_summary", "failure_reason", "judge_failures",
           "judge_findings", "read_scores", "flagged_students", "MAX_SCANNED"]

#: Written next to a graded notebook: the judge's verdict per grade cell and any integrity findings.
JUDGE_FILE = ".bpkit-judge.json"


def read_judge_file(folder: Path) -> dict:
    """The JUDGE_FILE of a graded submission folder ({} if there is none)."""
    try:
        return json.loads((folder / JUDGE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@dataclass
class StudentResult:
    """The outcome of grading one student's submission of one assignment."""

    student: str
    ok: bool
    score: float = 0.0
    max_score: float = 0.0
    cells: dict[str, tuple[float, float]] = field(default_factory=dict)  # grade_id -> (score, max)
    reasons: dict[str, str] = field(default_factory=dict)  # failed grade_id -> short reason
    error: str = ""
    skipped: bool = False  # already graded from the same files
    note: str = ""  # graded, but with a caveat (e.g. the kernel stopped part-way)

    @property
    def failed(self) -> list[str]:
        return [name for name, (score, top) in self.cells.items() if score < top]


_EXPLAINED = {
    "DeadKernelError": "the notebook's kernel died while running it (os._exit, a crash, or too much memory)",
    "CellTimeoutError": "a cell ran longer than the time limit (Execute.timeout in nbgrader_config.py)",
}


_EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$", re.MULTILINE)


def failure_summary(result: dict) -> str:
    """The most specific exception nbgrader logged (e.g. NotJSONError: ...),
    rather than its closing "see the above traceback"."""
    # the end of the log holds the error; cut before the regex runs (it may quote student output)
    text = clip((result.get("log") or "")[-200_000:] + "\n" + (result.get("error") or "")[-50_000:], 250_000)
    found = [m for m in _EXCEPTION_LINE.finditer(text) if "see the the above traceback" not in m.group(2)]
    if found:
        name, message = found[-1].groups()
        name = name.rsplit(".", 1)[-1]
        if name in _EXPLAINED:
            return f"{name}: {_EXPLAINED[name]}"
        return f"{name}: {message[:120]}"
    lines = text.strip().splitlines()
    return lines[-1] if lines else "unknown error"


# a line of its own, so a message's "[data] ..." line (or a student's "[x] text") is not a key
_MISTAKE_KEY = re.compile(r"^\[([\w.]{1,100})\][ \t]*$", re.MULTILINE)


MAX_SCANNED = 20_000  # characters of an error message searched for a [key]


def failure_reason(cell) -> str:
    """A short reason for a failed grade cell: the key a check gave its
    failure (e.g. ``affine.dW_transposed``), else the exception's name (a
    student can name a class anything: control characters become visible
    escapes, at most 100 characters; see bpkit.escaping)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            if out.get("ename") == "NotImplementedError":
                return "not_implemented"
            key = _MISTAKE_KEY.search(clip(out.get("evalue") or "", MAX_SCANNED))
            return key.group(1) if key else (terminal_text(out.get("ename") or "error", 100) or "error")
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "wrote to stderr"
    return "failed"


def judge_failures(judged: dict) -> dict[str, tuple[str, str]]:
    """grade_id -> (key, message) of each cell the judge failed, from a
    submission's judge file (read_judge_file).  A cell that
    failed in the notebook before even reaching its check is left out (the
    notebook's own error explains it better)."""
    found = {}
    for cells in judged.get("cells", {}).values():
        for grade_id, verdict in cells.items():
            message = clip(verdict.get("message") or "", MAX_SCANNED)
            key = _MISTAKE_KEY.search(message)
            if not verdict.get("passed") and key and (
                    verdict.get("checked") or verdict.get("in_notebook") or key.group(1) != "not_checked"):
                found[grade_id] = (key.group(1), message)
    return found


def judge_findings(judged: dict) -> list[tuple[str, str]]:
    """(grade_id, evidence) of each cell that passed in the notebook but not
    with the judge, and ("(grader)", evidence) of each request the judge
    refused, from a submission's judge file."""
    return [(f["cell"], f["judge"] if f.get("in_notebook") is None and f["cell"] == "(grader)"
             else f"passed in the notebook, not with the judge: {f['judge']}")
            for f in judged.get("findings", [])]


def read_scores(course: Course, assignment: str, student: str) -> StudentResult:
    with course.gradebook() as gb:
        submission = gb.find_submission(assignment, student)
        result = StudentResult(student, True, float(submission.score), float(submission.max_score))
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                result.cells[grade.name] = (float(grade.score), float(grade.max_score))
    failed = set(result.failed)
    folder = course.root / "autograded" / student / assignment
    for path in sorted(folder.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in failed:
                result.reasons[grade_id] = failure_reason(cell)
    # the judge's own diagnosis wins over what the (student-run) notebook shows
    judged = judge_failures(read_judge_file(folder))
    result.reasons.update({k: key for k, (key, _) in judged.items() if k in failed})
    for grade_id in failed - set(result.reasons):
        result.reasons[grade_id] = "cell deleted"  # the student removed the graded cell
    return result


def flagged_students(course: Course, assignment: str, results: list[StudentResult]) -> dict[str, list[str]]:
    """Integrity findings per student: cells that passed in the notebook but
    not with the judge (with what the judge saw), then code patterns (see
    bpkit.presentation.report.suspicious_cells)."""
    flagged = {}
    for r in results:
        if r.ok:
            folder = course.root / "autograded" / r.student / assignment
            for cell, why in judge_findings(read_judge_file(folder)):
                flagged.setdefault(r.student, []).append(f"{cell}: {why}")
            for path in sorted(folder.glob("*.ipynb")):
                nb = nbformat.read(path, as_version=4)
                findings = [f"{cell}: {why}" for cell, why in suspicious_cells(nb)]
                if findings:
                    flagged.setdefault(r.student, []).extend(findings)
    return flagged
