"""What grading leaves behind, and its one reader.

A graded submission is nbgrader's graded notebooks and gradebook rows plus
JUDGE_FILE, the judge's verdicts (a JudgeRecord).  read_results reads all of
it back once per batch, one gradebook session for the whole class, into a
StudentResult per student: per-cell scores, the reason each lost cell lost
its points (the judge's diagnosis first), an example message per reason and
the integrity findings.  The command line, the demo and the class report all
read through it."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import is_grade, is_solution

from bpkit.course import Course, id_problem
from bpkit.escaping import clip, terminal_text
from bpkit.integrity import suspicious_cells

__all__ = ["StudentResult", "CellVerdict", "Finding", "AuthorError", "JudgeRecord", "JUDGE_FILE", "NOT_GRADED_FILE", "failure_summary",
           "record_not_graded", "recorded_not_graded", "INTAKE_FILE", "record_intake_notes", "intake_notes",
           "failure_reason", "judge_failures", "judge_findings", "read_results", "flagged_students", "MAX_SCANNED",
           "mistake_key", "course_errors"]

#: Written next to a graded notebook: the judge's verdict per grade cell and any integrity findings.
JUDGE_FILE = ".bpkit-judge.json"


# -------------------------------------------------------- the judge file ---

@dataclass
class CellVerdict:
    """The judge's verdict on one grade cell."""

    passed: bool
    checked: bool = False  # a check of the cell reached the judge
    message: str = ""  # the diagnosis (English, Japanese, then a [key] line) when not passed
    notes: str = ""  # remarks that cost no points
    in_notebook: float | None = None  # nbgrader's in-notebook score (None: the notebook stopped before it)
    # a cell that failed in the notebook before its check reached the judge: the reason and message the
    # grading side gave it (bpkit.grading.verdicts.annotate), never a [key] read from the kernel's text
    cause: str = ""
    cause_message: str = ""
    # the course's mistake, not the student's (an unknown check, something the judge cannot send, a check
    # that raised inside the grader): the author's message; the cell keeps its points (AuthorError)
    course_error: str = ""


@dataclass
class AuthorError:
    """A course configuration error met while grading one grade cell: the
    check named by the instructor's cell is unknown, asked the judge to send
    what cannot cross, or raised inside the grader.  Never the student's
    mistake and never an integrity finding: the cell keeps its points
    (bpkit.grading.verdicts.apply_verdicts) and the instructor sees it first."""

    notebook: str
    cell: str
    message: str  # for the course's author: what is wrong and the fix


@dataclass
class Finding:
    """An integrity finding: a cell that passed in the notebook but not with
    the judge, or ("(grader)") a request the judge refused."""

    notebook: str
    cell: str
    judge: str  # what the judge saw
    in_notebook: float | None = None
    kind: str = "judge"  # "judge": the judge's verdict differs; "imitation": kernel text posing as a diagnosis


@dataclass
class JudgeRecord:
    """JUDGE_FILE of one graded submission."""

    cells: dict[str, dict[str, CellVerdict]] = field(default_factory=dict)  # notebook -> grade id -> verdict
    findings: list[Finding] = field(default_factory=list)
    stopped: str = ""  # why the kernel stopped part-way ("" if it ran to the end): scored by the judge alone
    course_errors: list[AuthorError] = field(default_factory=list)  # the course's mistakes, not the student's

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / JUDGE_FILE).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def read(cls, folder: Path) -> "JudgeRecord":
        """The record in `folder` (an empty one if there is none, or it is
        not one: fields of the wrong type are dropped)."""
        try:
            raw = json.loads((folder / JUDGE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        record = cls(stopped=str(raw.get("stopped") or ""))
        for notebook, cells in _mapping(raw.get("cells")).items():
            for grade_id, verdict in _mapping(cells).items():
                if isinstance(verdict, dict):
                    record.cells.setdefault(str(notebook), {})[str(grade_id)] = CellVerdict(
                        bool(verdict.get("passed")), bool(verdict.get("checked")), str(verdict.get("message") or ""),
                        str(verdict.get("notes") or ""), _number(verdict.get("in_notebook")),
                        str(verdict.get("cause") or ""), str(verdict.get("cause_message") or ""),
                        clip(str(verdict.get("course_error") or ""), MAX_SCANNED))
        for finding in raw.get("findings") if isinstance(raw.get("findings"), list) else []:
            if isinstance(finding, dict):
                record.findings.append(Finding(str(finding.get("notebook") or ""), str(finding.get("cell") or ""),
                                               str(finding.get("judge") or ""), _number(finding.get("in_notebook")),
                                               str(finding.get("kind") or "judge")))
        for error in raw.get("course_errors") if isinstance(raw.get("course_errors"), list) else []:
            if isinstance(error, dict):
                record.course_errors.append(AuthorError(str(error.get("notebook") or ""), str(error.get("cell") or ""),
                                                        clip(str(error.get("message") or ""), MAX_SCANNED)))
        return record


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# -------------------------------------------------------------- reasons ---

_EXPLAINED = {
    "DeadKernelError": "the notebook's kernel died while running it (os._exit, a crash, or too much memory)",
    "CellTimeoutError": "a cell ran longer than the time limit (Execute.timeout in nbgrader_config.py)",
}
_EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$", re.MULTILINE)


def failure_summary(outcome: dict) -> str:
    """The most specific exception nbgrader logged while autograding (e.g.
    NotJSONError: ...), rather than its closing "see the above traceback"."""
    # the end of the log holds the error; cut before the regex runs (it may quote student output)
    text = clip((outcome.get("log") or "")[-200_000:] + "\n" + (outcome.get("error") or "")[-50_000:], 250_000)
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


def mistake_key(message: str) -> str | None:
    """The [key] line of a check's message, if it has one."""
    found = _MISTAKE_KEY.search(clip(message or "", MAX_SCANNED))
    return found.group(1) if found else None


def failure_reason(cell) -> str:
    """A short reason for a failed grade cell: the key a check gave its
    failure (e.g. ``affine.dW_transposed``), else the exception's name (a
    student can name a class anything: control characters become visible
    escapes, at most 100 characters; see bpkit.escaping)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            if out.get("ename") == "NotImplementedError":
                return "not_implemented"
            return mistake_key(out.get("evalue") or "") or terminal_text(out.get("ename") or "error", 100) or "error"
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "wrote to stderr"
    return "failed"


def judge_failures(record: JudgeRecord) -> dict[str, tuple[str, str]]:
    """grade_id -> (key, message) of each cell the judge failed.  A cell
    that failed in the notebook before even reaching its check is left out
    (the notebook's own error explains it better)."""
    found = {}
    for cells in record.cells.values():
        for grade_id, verdict in cells.items():
            key = mistake_key(verdict.message)
            if not verdict.passed and key and (verdict.checked or verdict.in_notebook or key != "not_checked"):
                found[grade_id] = (key, clip(verdict.message, MAX_SCANNED))
    return found


def judge_findings(record: JudgeRecord) -> list[tuple[str, str]]:
    """(grade_id, evidence) of each cell that passed in the notebook but not
    with the judge, and ("(grader)", evidence) of each request the judge
    refused."""
    return [(f.cell, f.judge if f.kind != "judge" or (f.in_notebook is None and f.cell == "(grader)")
             else f"passed in the notebook, not with the judge: {f.judge}") for f in record.findings]


# ---------------------------------------------------------------- results ---

@dataclass
class StudentResult:
    """The outcome of grading one student's submission of one assignment."""

    student: str
    ok: bool
    score: float = 0.0
    max_score: float = 0.0
    cells: dict[str, tuple[float, float]] = field(default_factory=dict)  # grade_id -> (score, max)
    reasons: dict[str, str] = field(default_factory=dict)  # failed grade_id -> short reason
    messages: dict[str, str] = field(default_factory=dict)  # reason -> the first lines of its message
    findings: list[tuple[str, str]] = field(default_factory=list)  # (cell, evidence): the judge's, then code patterns
    error: str = ""  # why it was not graded
    skipped: bool = False  # already graded from the same files
    stopped: str = ""  # graded, but its kernel stopped part-way (why): scored by the judge alone
    course_errors: list[tuple[str, str]] = field(default_factory=list)  # (cell, the author's message): not theirs

    @property
    def failed(self) -> list[str]:
        return [name for name, (score, top) in self.cells.items() if score < top]

    @property
    def note(self) -> str:
        """The caveat of a graded submission, in one line."""
        return f"{self.stopped}; cells checked before it stopped keep their points" if self.stopped else ""


def _first_lines(message: str) -> str:
    return "\n".join(clip(message, 2_000).splitlines()[:2])


def _read_notebooks(result: StudentResult, folder: Path, notebooks: list[str], judged: set[str]) -> None:
    """Code-pattern findings from the graded notebooks, and the reasons and
    messages of failed cells the judge has no verdict on (--no-sandbox: the
    in-notebook checks decided).  A judged cell's reason and message come
    from the judge's record only: text raised in the kernel is the
    student's output, never parsed for a [key]."""
    failed = set(result.failed) - judged
    for name in notebooks:
        path = folder / f"{name}.ipynb"
        if not path.is_file():
            continue
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if is_grade(cell) and not is_solution(cell) and grade_id in failed:
                reason = result.reasons[grade_id] = failure_reason(cell)
                error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
                result.messages.setdefault(reason, _first_lines((error.get("evalue") or "") if error else ""))
        result.findings += suspicious_cells(nb)


#: Written into autograded/<student>/<assignment>/ when a submission could not
#: be graded: why, as the grading side saw it (the intake's refusal, nbgrader's
#: error).  The report reads this, never submitted/ (only bpkit.grading.intake does).
NOT_GRADED_FILE = ".bpkit-not-graded.json"
MAX_REASON = 5_000  # characters of a recorded reason


def record_not_graded(folder: Path, reason: str) -> None:
    """Record, at grading time, why the submission in `folder` (its
    autograded/ folder) could not be graded."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NOT_GRADED_FILE).write_text(json.dumps({"reason": clip(str(reason), MAX_REASON)}, ensure_ascii=False),
                                          encoding="utf-8")


def recorded_not_graded(folder: Path) -> str | None:
    """The reason record_not_graded wrote in `folder`, if any."""
    try:
        with open(folder / NOT_GRADED_FILE, encoding="utf-8") as f:
            raw = json.loads(f.read(4 * MAX_REASON + 100))
    except (OSError, ValueError):
        return None
    return clip(str(raw.get("reason") or "not graded"), MAX_REASON) if isinstance(raw, dict) else None


#: Written into autograded/<student>/<assignment>/ at grading time: what the
#: intake noticed (bpkit.grading.intake.check_timestamp), shown as findings.
INTAKE_FILE = ".bpkit-intake.json"


def record_intake_notes(folder: Path, notes: list[str]) -> None:
    """Record what the intake noticed about this submission (nothing: no file)."""
    if notes:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / INTAKE_FILE).write_text(json.dumps({"notes": [clip(n, 1_000) for n in notes[:20]]},
                                                     ensure_ascii=False), encoding="utf-8")
    else:
        (folder / INTAKE_FILE).unlink(missing_ok=True)


def intake_notes(folder: Path) -> list[str]:
    try:
        raw = json.loads((folder / INTAKE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    notes = raw.get("notes") if isinstance(raw, dict) else None
    return [clip(str(n), 1_000) for n in notes[:20]] if isinstance(notes, list) else []


def _why_not_graded(course: Course, student: str, assignment: str) -> str:
    """Why a student has no graded result, from what grading recorded
    (never from submitted/: a notebook there may be a link to the course
    secret, a FIFO or /dev/zero)."""
    problem = id_problem(student)
    if problem:
        return f"the student folder name cannot be used as an nbgrader id: {problem}"
    recorded = recorded_not_graded(course.autograded(student, assignment))
    if recorded:
        return recorded
    return f"not graded yet: run `bpkit grade {assignment}`"


def read_results(course: Course, assignment: str, students: list[str] | None = None) -> list[StudentResult]:
    """Every student's graded result for `assignment` (students: those, in
    that order; None: everyone with a submission or a gradebook entry), read
    from the gradebook (one session), the graded notebooks and the judge's
    files.  A student without a complete graded submission is not ok, with
    the reason (a submission scored by the judge alone after its kernel
    stopped is complete)."""
    with course.gradebook() as gb:
        db_assignment = gb.find_assignment(assignment)
        notebooks = [nb.name for nb in db_assignment.notebooks]
        raw = {s.student.id: (float(s.score), float(s.max_score),
                              {g.name: (float(g.score), float(g.max_score)) for n in s.notebooks for g in n.grades})
               for s in db_assignment.submissions}
    if students is None:
        students = sorted(set(raw) | set(course.submitted_students(assignment)))
    results = []
    for student in students:
        folder = course.autograded(student, assignment)
        if id_problem(student) or (folder / NOT_GRADED_FILE).exists():
            results.append(StudentResult(student, False, error=_why_not_graded(course, student, assignment)))
            continue
        record = JudgeRecord.read(folder)
        if student not in raw or not (record.stopped or all((folder / f"{n}.ipynb").exists() for n in notebooks)):
            results.append(StudentResult(student, False, error=_why_not_graded(course, student, assignment)))
            continue
        score, max_score, cells = raw[student]
        result = StudentResult(student, True, score, max_score, cells, stopped=record.stopped)
        result.findings += [("(submission time)", note) for note in intake_notes(folder)]
        result.findings += judge_findings(record)
        result.course_errors = [(e.cell, e.message) for e in record.course_errors]
        verdicts = {grade_id: v for cells in record.cells.values() for grade_id, v in cells.items()}
        _read_notebooks(result, folder, notebooks, set(verdicts))
        # a judged cell: the judge's diagnosis, else the reason the grading side recorded
        diagnosed = judge_failures(record)
        for grade_id in set(result.failed) & set(verdicts):
            verdict = verdicts[grade_id]
            if grade_id in diagnosed:
                reason, message = diagnosed[grade_id]
            elif verdict.cause:
                reason, message = verdict.cause, verdict.cause_message
            else:
                reason, message = mistake_key(verdict.message) or "not_checked", verdict.message
            result.reasons[grade_id] = reason
            result.messages.setdefault(reason, _first_lines(message))
        for grade_id in set(result.failed) - set(result.reasons):
            result.reasons[grade_id] = "cell deleted"  # the student removed the graded cell
        results.append(result)
    return results


def course_errors(results: list[StudentResult]) -> dict[tuple[str, str], list[str]]:
    """(cell, the author's message) -> the students whose grading met that
    course configuration error (shown to the instructor before anything else)."""
    found: dict[tuple[str, str], list[str]] = {}
    for r in results:
        for cell, message in (r.course_errors if r.ok else []):
            found.setdefault((cell, message), []).append(r.student)
    return found


def flagged_students(results: list[StudentResult]) -> dict[str, list[str]]:
    """Integrity findings per student ("cell: evidence")."""
    return {r.student: [f"{cell}: {why}" for cell, why in r.findings] for r in results if r.ok and r.findings}
