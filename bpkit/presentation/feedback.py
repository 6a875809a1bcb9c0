"""Feedback pages, written by worker processes, each under a limit (issue 20).

nbgrader's own generate_feedback writes each student's pages (so
release_feedback and fetch_feedback work as ever), but in a pool of worker
processes rather than in the grading command's main process: one student
at a time per worker, each under a time limit (``c.BpkitFeedback.seconds``)
and the worker's memory cap, every page's TeX under bpkit.mathml's
page_budget.  A page that cannot be written in time (a markdown cell of
51 200 formulas, megabytes of markup) costs that student a plain page with
their scores, never the batch or the instructor's main process.

Only generated pages reach feedback/: each student's pages are written into
a scratch folder, with none of the graded folder's other files copied
(nbgrader would copy a submitted ``Feedback preview.html`` holding raw
script, the kit's ``.bpkit-*.json`` and ``common/``); then
feedback/<student>/<assignment>/ is replaced by the pages of the
assignment's notebooks plus nbgrader's timestamp.txt and
submission_secret.txt (release_feedback reads them).

Resuming: a student's feedback is done when its pages are installed for
the files graded (FEEDBACK_FILE holds the graded hash); a run interrupted
during the feedback stage (Ctrl-C) leaves the others not done, and the
next run writes them, also for submissions it does not regrade.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import signal
import tempfile
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from bpkit.course import Course
from bpkit import fonts
from bpkit.escaping import clip, csp_meta
from bpkit.grading.batch import MARKER, WORKER_MEMORY_BYTES, pool_context, worker_memory_bytes
from bpkit.grading.records import StudentResult, failure_summary

__all__ = ["write_feedback", "in_feedback_worker", "feedback_done", "mark_feedback_done", "FEEDBACK_FILE", "FEEDBACK_SECONDS", "KEPT_FILES"]

#: Written into autograded/<student>/<assignment>/ once that student's pages are in feedback/.
FEEDBACK_FILE = ".bpkit-feedback.json"
#: Seconds one student's pages may take (c.BpkitFeedback.seconds); the course's take about 1 s.
FEEDBACK_SECONDS = 60
#: nbgrader's own files of a feedback folder (release_feedback reads them), copied from the graded folder.
KEPT_FILES = ("timestamp.txt", "submission_secret.txt")


def _graded_hash(folder: Path) -> str | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8")).get("hash")
    except (OSError, ValueError, AttributeError):
        return None


def feedback_done(course: Course, assignment: str, student: str) -> bool:
    """Whether the student's pages in feedback/ are those of the files last graded."""
    folder = course.autograded(student, assignment)
    try:
        done = json.loads((folder / FEEDBACK_FILE).read_text(encoding="utf-8")).get("hash")
    except (OSError, ValueError, AttributeError):
        return False
    return done is not None and done == _graded_hash(folder)


def mark_feedback_done(course: Course, assignment: str, student: str) -> None:
    folder = course.autograded(student, assignment)
    (folder / FEEDBACK_FILE).write_text(json.dumps({"hash": _graded_hash(folder)}), encoding="utf-8")


def feedback_seconds(config) -> float:
    try:
        return float(config.get("BpkitFeedback", {}).get("seconds", FEEDBACK_SECONDS))
    except (TypeError, ValueError):
        return float(FEEDBACK_SECONDS)


# ------------------------------------------------------------- workers ---

_WORKER: dict = {}


def in_feedback_worker() -> bool:
    """Whether this process writes feedback pages for write_feedback (where
    nbgrader's own generate_feedback runs into a scratch folder, see
    bpkit.nbgrader_hooks)."""
    return "course" in _WORKER


class _TooLong(BaseException):
    """The page took longer than its limit (a BaseException: nbgrader's
    capture_log must not swallow it)."""


def _init_worker(root: str, scratch: str, memory: int) -> None:
    import resource

    if memory > 0:  # the grading workers' soft address-space cap
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (memory if hard == resource.RLIM_INFINITY else min(memory, hard), hard))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    course = Course(root)
    course.config.CourseDirectory.feedback_directory = scratch  # absolute: os.path.join keeps it
    # nbgrader copies every other file of the graded folder next to the pages: none of them
    course.config.CourseDirectory.ignore = ["*"]
    _WORKER["course"] = course


def _on_alarm(signum, frame):
    raise _TooLong()


def _write_one(assignment: str, student: str, seconds: float) -> str:
    """One student's pages into the scratch folder; "" or what went wrong."""
    from bpkit.mathml import page_budget

    course = _WORKER["course"]
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with page_budget():
            outcome = course.api.generate_feedback(assignment, student, force=True)
    except _TooLong:
        return f"its feedback page took longer than {seconds:g} s to write"
    except MemoryError:
        return "its feedback page needed more memory than a worker may use"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return "" if outcome["success"] else failure_summary(outcome)


# -------------------------------------------------------------- install ---

def _install(course: Course, assignment: str, student: str, scratch: Path, notebooks: list[str]) -> list[str]:
    """Replace feedback/<student>/<assignment>/ by the generated pages (and
    nbgrader's KEPT_FILES from the graded folder); returns the notebooks
    that got no page."""
    dest = course.feedback(student, assignment)
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        dest.unlink()
    elif dest.is_dir():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    made = Path(scratch) / student / assignment
    missing = []
    for name in notebooks:
        page = made / f"{name}.html"
        if page.is_file() and not page.is_symlink():
            shutil.copyfile(page, dest / page.name)
        else:
            missing.append(name)
    graded = course.autograded(student, assignment)
    for name in KEPT_FILES:
        path = graded / name
        if path.is_file() and not path.is_symlink() and path.stat().st_size < 4096:
            shutil.copyfile(path, dest / name)
    return missing


FALLBACK_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">{csp}<style>{style}</style><title>{notebook}</title></head>
<body style="max-width:50em;margin:2em auto">
<h2>{notebook}: {score:g} / {max_score:g}</h2>
<p>Your submission was graded, but its feedback page could not be written ({reason}), so here are your
scores only. Ask your instructor for details.<br>
提出物は採点されましたが、フィードバックページを作成できませんでした（{reason}）。得点のみを示します。
詳しくは教員に問い合わせてください。</p>
<table style="border-collapse:collapse">{rows}</table>
</body></html>
"""


def _fallback(course: Course, assignment: str, result: StudentResult, notebooks: list[str], reason: str) -> None:
    dest = course.feedback(result.student, assignment)
    dest.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"<tr><td style='padding:2px 8px'>{html.escape(cell)}</td>"
                   f"<td style='padding:2px 8px'>{score:g} / {top:g}</td>"
                   f"<td style='padding:2px 8px'>{html.escape(result.reasons.get(cell, 'pass / 合格'))}</td></tr>"
                   for cell, (score, top) in result.cells.items())
    for name in notebooks:
        page = dest / f"{name}.html"
        if not page.is_file():
            page.write_text(FALLBACK_PAGE.format(notebook=html.escape(name), score=result.score,
                                                 max_score=result.max_score, reason=html.escape(clip(reason, 500)),
                                                 rows=rows, csp=csp_meta(), style=fonts.CSS), encoding="utf-8")


# ------------------------------------------------------------- the pool ---

def write_feedback(course: Course, assignment: str, results: list[StudentResult], workers: int = 1,
                   log=print) -> dict[str, str]:
    """Write the feedback pages of each graded result, `workers` at a time;
    returns student -> what went wrong (students whose pages are complete
    are not listed).  Each student is marked done (FEEDBACK_FILE) once its
    pages are installed, so an interrupted run resumes where it stopped."""
    with course.gradebook() as gb:
        notebooks = [nb.name for nb in gb.find_assignment(assignment).notebooks]
    todo = {r.student: r for r in results}
    problems: dict[str, str] = {}
    seconds = feedback_seconds(course.config)
    memory = worker_memory_bytes(course.config) if course.config is not None else WORKER_MEMORY_BYTES

    def finish(student: str, problem: str, scratch: Path) -> None:
        missing = _install(course, assignment, student, scratch, notebooks)
        if problem or missing:
            problems[student] = problem or f"no page for {', '.join(missing)}"
            _fallback(course, assignment, todo[student], notebooks, problems[student])
        mark_feedback_done(course, assignment, student)

    queue, alone = list(todo), []
    with tempfile.TemporaryDirectory(prefix="bpkit-feedback-") as name:
        scratch = Path(name)
        while queue or alone:
            single = not queue
            batch, width = ([alone.pop(0)], 1) if single else (queue, max(1, min(workers, len(queue))))
            queue = [] if not single else queue
            died = []
            with ProcessPoolExecutor(max_workers=width, initializer=_init_worker, mp_context=pool_context(),
                                     initargs=(str(course.root), str(scratch), memory)) as pool:
                running = {pool.submit(_write_one, assignment, s, seconds): s for s in batch}
                while running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        student = running.pop(future)
                        try:
                            problem = future.result()
                        except BrokenProcessPool:  # a worker died (out of memory?)
                            died.append(student)
                            continue
                        except Exception as exc:  # a bug of the kit: this student only
                            problem = f"{type(exc).__name__}: {clip(str(exc), 200)}"
                        finish(student, problem, scratch)
            for student in died:
                if single:
                    finish(student, "the process writing its feedback page died (out of memory?)", scratch)
                else:
                    alone.append(student)
    for student, problem in problems.items():
        log(f"warning: feedback for {student}: {problem}")
    return problems
