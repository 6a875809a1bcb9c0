"""Grade every submission of an assignment with nbgrader, then write
feedback, export the gradebook as CSV and summarise the class."""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table

from bpkit.course import Course
from bpkit.escaping import clip, csp_meta, csv_row, rich_text, terminal_text

__all__ = ["StudentResult", "grade_assignment", "export_csv", "results_table", "sandbox_line", "judge_failures",
           "judge_findings"]


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


def _failure_summary(result: dict) -> str:
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
    submission's judge file (bpkit.batch.read_judge_file).  A cell that
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


def _read_scores(course: Course, assignment: str, student: str) -> StudentResult:
    from bpkit.batch import read_judge_file

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


def grade_assignment(course: Course, assignment: str, students: list[str] | None = None,
                     feedback: bool = True, workers: int = 1, force: bool = False,
                     on_done=None, log=print, sandbox: bool = True) -> list[StudentResult]:
    """Autograde each submitted/<student>/<assignment>/ and return the results.

    Submissions are graded by `workers` processes (see bpkit.batch); one
    already graded from the same files is not graded again unless force.
    A submission that nbgrader cannot grade is reported as failed with the
    reason and scores zero; it never stops the others.
    sandbox: kernels in bubblewrap, scores decided by the judge (bpkit.judge);
    raises bpkit.sandbox.SandboxUnavailable if it cannot start.
    """
    from bpkit.batch import grade_submissions

    course.check_assignment(assignment)
    if sandbox:
        from bpkit.sandbox import check_sandbox

        check_sandbox()  # refuse before the gradebook is touched
    course.ensure_in_gradebook(assignment)
    students = course.submitted_students(assignment) if students is None else students
    done, skipped = grade_submissions(course, assignment, students, workers=workers, force=force,
                                      on_done=on_done, sandbox=sandbox)
    failed = {r.student: r.error for r in done if not r.ok}
    notes = {r.student: r.note for r in done if r.ok and r.note}
    results = []
    for student in students:
        if student in failed:
            results.append(StudentResult(student, False, error=failed[student]))
        else:
            result = _read_scores(course, assignment, student)
            result.skipped = student in skipped
            result.note = notes.get(student, "")
            results.append(result)
    if feedback and any(r.ok and not r.skipped for r in results):
        outcome = course.api.generate_feedback(assignment, force=True)
        if not outcome["success"]:
            log(f"warning: some feedback could not be generated: {_failure_summary(outcome)}")
    if feedback:
        from bpkit.intake import id_problem

        keep_only_feedback_pages(course, assignment)

        for r in results:
            if not r.ok:
                if id_problem(r.student) is None:  # no feedback/<name>/ for a name nbgrader takes as a glob
                    write_failure_feedback(course, assignment, r.student, r.error)
            elif r.note and not r.skipped:
                write_partial_feedback(course, assignment, r)
    return results


#: nbgrader's own files in a feedback folder: release_feedback reads them
#: (it hands out only the pages, named by a hash of the secret).
NBGRADER_FEEDBACK_FILES = ("timestamp.txt", "submission_secret.txt")


def keep_only_feedback_pages(course: Course, assignment: str) -> None:
    """Leave in each feedback/<student>/<assignment>/ only the feedback
    pages (and NBGRADER_FEEDBACK_FILES).  nbgrader's generate_feedback
    copies every other file of the graded folder there too (the kit's
    .bpkit-graded.json and .bpkit-judge.json, the course's common/, the
    student's own files), which an instructor handing out the folder (a
    zip, an LMS) would pass on."""
    import glob
    import shutil

    for folder in (course.root / "feedback").glob(f"*/{glob.escape(assignment)}"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in folder.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.is_symlink() or not path.is_file() or not (
                    path.suffix == ".html" or path.name in NBGRADER_FEEDBACK_FILES):
                path.unlink()


FAILURE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">{csp}<title>{notebook}</title></head>
<body style="font-family:sans-serif;max-width:50em;margin:2em auto">
<h2>{notebook}: 0 / {max_score:g}</h2>
<p>Your submission could not be graded, so it scores zero for now. Reason:<br>
提出物を採点できなかったため、現時点では 0 点です。理由：</p>
<pre style="white-space:pre-wrap;background:#f6f6f6;padding:0.5em">{reason}</pre>
<p>Check that you submitted <code>{notebook}.ipynb</code> under its original name, saved from Jupyter, and
that it runs from top to bottom (Kernel &rarr; Restart &amp; Run All); then resubmit or ask your instructor.<br>
元の名前の <code>{notebook}.ipynb</code> を Jupyter で保存して提出したか、最初から最後まで実行できるか
（Kernel &rarr; Restart &amp; Run All）を確かめてから、再提出するか教員に相談してください。</p>
</body></html>
"""


def write_failure_feedback(course: Course, assignment: str, student: str, reason: str) -> None:
    """A feedback page for a submission nbgrader could not grade, where
    nbgrader's release_feedback/fetch_feedback will find it."""
    import html

    with course.gradebook() as gb:
        notebooks = [(nb.name, nb.max_score) for nb in gb.find_assignment(assignment).notebooks]
    folder = course.root / "feedback" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, max_score in notebooks:
        (folder / f"{name}.html").write_text(FAILURE_PAGE.format(
            notebook=html.escape(name), max_score=max_score, reason=html.escape(clip(reason, 5_000)), csp=csp_meta()),
            encoding="utf-8")


PARTIAL_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">{csp}<title>{assignment}</title></head>
<body style="font-family:sans-serif;max-width:50em;margin:2em auto">
<h2>{assignment}: {score:g} / {max_score:g}</h2>
<p>Your notebook stopped part-way while it was graded ({reason}). The cells checked before it stopped
keep their points; the others score zero.<br>
採点中にノートブックが途中で停止しました（{reason}）。停止する前に確認できたセルの得点は有効で、それ以外は 0 点です。</p>
<table style="border-collapse:collapse">{rows}</table>
<p>Make sure your notebook runs from top to bottom (Kernel &rarr; Restart &amp; Run All) without
ending the kernel, looping forever or using huge amounts of memory.<br>
ノートブックが最初から最後まで（Kernel &rarr; Restart &amp; Run All）、カーネルの終了・無限ループ・
大量のメモリ使用なしに実行できるか確認してください。</p>
</body></html>
"""


def write_partial_feedback(course: Course, assignment: str, result: StudentResult) -> None:
    """The feedback page of a submission scored from the judge's verdicts
    alone (its kernel stopped, so nbgrader wrote no graded notebook)."""
    import html

    folder = course.root / "feedback" / result.student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"<tr><td style='padding:2px 8px'>{html.escape(cell)}</td>"
                   f"<td style='padding:2px 8px'>{score:g} / {top:g}</td>"
                   f"<td style='padding:2px 8px'>{html.escape(result.reasons.get(cell, 'pass / 合格'))}</td></tr>"
                   for cell, (score, top) in result.cells.items())
    with course.gradebook() as gb:
        names = [nb.name for nb in gb.find_assignment(assignment).notebooks]
    for name in names:
        (folder / f"{name}.html").write_text(PARTIAL_PAGE.format(
            assignment=html.escape(assignment), score=result.score, max_score=result.max_score,
            reason=html.escape(clip(result.note.split(";")[0], 5_000)), rows=rows, csp=csp_meta()), encoding="utf-8")


GRADES_CSV_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                      "raw_score", "late_submission_penalty", "score", "max_score"]


def export_csv(course: Course, path: Path, assignment: str | None = None) -> Path:
    """Write nbgrader's standard grades CSV (the columns and values of
    `nbgrader export`), for every assignment or just one.  Written with the
    csv module, unlike nbgrader's plugin: a comma in a name stays in its
    cell, and no cell starts a spreadsheet formula (bpkit.escaping.csv_cell)."""
    import csv

    from nbgrader.api import MissingEntry

    with course.gradebook() as gb, open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(GRADES_CSV_COLUMNS)
        for db_assignment in gb.assignments:
            if assignment and db_assignment.name != assignment:
                continue
            for student in gb.students:
                row = {"assignment": db_assignment.name, "duedate": db_assignment.duedate, "student_id": student.id,
                       "last_name": student.last_name, "first_name": student.first_name, "email": student.email,
                       "max_score": db_assignment.max_score}
                try:
                    submission = gb.find_submission(db_assignment.name, student.id)
                except MissingEntry:
                    row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0)
                else:
                    penalty = submission.late_submission_penalty
                    row.update(timestamp=submission.timestamp, raw_score=submission.score,
                               late_submission_penalty=penalty, score=max(0.0, submission.score - penalty))
                writer.writerow(csv_row("" if row[k] is None else str(row[k]) for k in GRADES_CSV_COLUMNS))
    return path


def results_table(assignment: str, results: list[StudentResult], max_notes: int = 3) -> Table:
    """The per-student table.  Every cell is a rich Text (never parsed as
    markup) with control characters shown as escapes: student ids, reasons
    and errors come from students (an exception class may be named ``[/]``)."""
    table = Table(title=rich_text(f"{assignment}: {len(results)} submissions"))
    table.add_column("student")
    table.add_column("score", justify="right")
    table.add_column("%", justify="right")
    table.add_column("cells passed", justify="right")
    table.add_column("lost points in (reason)")
    for r in results:
        if not r.ok:
            table.add_row(rich_text(r.student, 100), "-", "-", "-",
                          rich_text(f"not graded: {r.error}", 300, style="red"))
            continue
        failed = r.failed
        pct = 100 * r.score / r.max_score if r.max_score else 0.0
        notes = [terminal_text(f"{name} ({r.reasons.get(name, 'failed')})", 200) for name in failed[:max_notes]]
        if len(failed) > max_notes:
            notes.append(f"… {len(failed) - max_notes} more")
        table.add_row(rich_text(r.student, 100), f"{r.score:g} / {r.max_score:g}", f"{pct:.0f}",
                      f"{len(r.cells) - len(failed)}/{len(r.cells)}",
                      rich_text("\n".join(notes) or "full marks", 1_000, multiline=True))
    return table


def print_results(assignment: str, results: list[StudentResult], console: Console | None = None,
                  flagged: dict[str, list[str]] | None = None) -> None:
    """The per-student table, then one summary line: graded, skipped, failed,
    flagged; then one line per failed, partial and flagged student (plain
    text, control characters shown as escapes, each line cut to 500
    characters)."""
    console = console or Console()
    console.print(results_table(assignment, results))
    failed = [r for r in results if not r.ok]
    graded = [r for r in results if r.ok and not r.skipped]
    console.print(rich_text(f"{assignment}: {len(graded)} graded, {len(results) - len(graded) - len(failed)} "
                            f"already graded (unchanged, not regraded), {len(failed)} failed, "
                            f"{len(flagged or {})} flagged"))
    for r in failed:
        console.print(rich_text(f"  failed  {r.student}: {r.error}"))
    for r in results:
        if r.ok and r.note:
            console.print(rich_text(f"  partial {r.student}: {r.note}"))
    for student, findings in (flagged or {}).items():
        console.print(rich_text(f"  flagged {student}: {'; '.join(clip(f, 300) for f in findings[:20])}", 2_000))


def flagged_students(course: Course, assignment: str, results: list[StudentResult]) -> dict[str, list[str]]:
    """Integrity findings per student: cells that passed in the notebook but
    not with the judge (with what the judge saw), then code patterns (see
    bpkit.report.suspicious_cells)."""
    from bpkit.batch import read_judge_file
    from bpkit.report import suspicious_cells

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


def sandbox_line(sandbox: bool) -> str:
    """One line for the instructor's terminal: how student code is run."""
    if sandbox:
        return ("student code runs in a bubblewrap sandbox (no course files, no network, capped); "
                "scores are decided by the judge outside it")
    return "[bold red]--no-sandbox: student code runs as you, unsandboxed, and its own tests decide[/bold red]"


@contextmanager
def progress_bar(console: Console, assignment: str, total: int):
    """A rich progress bar (count, elapsed, estimate); yields the on_done callback."""
    columns = [TextColumn("{task.description}", style="bold", markup=False), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(terminal_text(f"grading {assignment}", 200), total=total)
        yield lambda student: progress.advance(task)
