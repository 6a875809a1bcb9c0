"""Grade a class in parallel with nbgrader, one writer to the gradebook.

Each worker process runs nbgrader's own autograde for one submission at a
time against a private scratch gradebook (a copy of one template, made once
per batch, holding the assignment's definition), writing the graded notebook
into autograded/ as usual.  Only the main process writes the course gradebook: it copies each
submission's automatic scores and comments over, exactly as nbgrader's
SaveAutoGrades would, never touching a grader's manual score.  So SQLite
sees a single writer, PostgreSQL works the same way, and scores do not
depend on the number of workers.

A submission already graded from the same files is skipped (resume after an
interruption, idempotent re-runs) unless force=True.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from bpkit.zygote import fork_kernelspec_dir

__all__ = ["WorkerResult", "grade_submissions", "submission_hash", "MARKER"]

#: Written next to a graded notebook: the hash of the files it was graded from.
MARKER = ".bpkit-graded.json"


@dataclass
class WorkerResult:
    """What a worker sends back: plain data only."""

    student: str
    ok: bool
    error: str = ""
    timestamp: str | None = None
    grades: dict[str, dict[str, float | None]] = field(default_factory=dict)  # notebook -> id -> auto score
    comments: dict[str, dict[str, str | None]] = field(default_factory=dict)  # notebook -> id -> auto comment


def submission_hash(folder: Path) -> str:
    """sha256 over the submitted files' relative paths and contents."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def already_graded(root: Path, assignment: str, student: str) -> bool:
    marker = root / "autograded" / student / assignment / MARKER
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))["hash"]
    except (OSError, ValueError, KeyError):
        return False
    return recorded == submission_hash(root / "submitted" / student / assignment)


# ------------------------------------------------------------- workers ---

_WORKER = {}


def _init_worker(root: str, template: str, assignment: str, kernels: str) -> None:
    """Once per worker: a Course whose gradebook is a private copy of the
    batch's template gradebook (which holds the assignment's definition), and
    kernels forked from a warm zygote (see bpkit.zygote)."""
    from bpkit.course import Course

    os.environ["JUPYTER_PATH"] = os.pathsep.join([kernels, os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)

    scratch = Path(tempfile.mkdtemp(prefix="worker-", dir=Path(template).parent))
    shutil.copy(template, scratch / "gradebook.db")
    course = Course(root)
    course.config.CourseDirectory.db_url = f"sqlite:///{scratch / 'gradebook.db'}"
    _WORKER.update(course=course, assignment=assignment)


def _template_gradebook(course, assignment: str, scratch: Path) -> Path:
    """A SQLite gradebook with the assignment's definition, made once per
    batch: a copy of the course's own SQLite gradebook, or (for PostgreSQL
    and other servers) generated from source/."""
    from bpkit.course import Course

    template = scratch / "template.db"
    url = course.db_url
    if url.startswith("sqlite:///") and Path(url[len("sqlite:///"):]).is_file():
        shutil.copy(url[len("sqlite:///"):], template)
    else:
        other = Course(course.root)
        other.config.CourseDirectory.db_url = f"sqlite:///{template}"
        other.ensure_in_gradebook(assignment)
    return template


def _grade_one(student: str) -> WorkerResult:
    from nbgrader.api import MissingEntry

    from bpkit.grading import _failure_summary

    course, assignment = _WORKER["course"], _WORKER["assignment"]
    folder = course.root / "submitted" / student / assignment
    expected = _WORKER.setdefault("notebooks", _notebook_names(course, assignment))
    present = sorted(p.name for p in folder.glob("*.ipynb"))
    if not any(f"{name}.ipynb" in present for name in expected):
        found = ", ".join(present) or "no notebook at all"
        return WorkerResult(student, False, error=f"expected {', '.join(n + '.ipynb' for n in expected)}; "
                                                  f"found {found}")
    for _ in range(STARTUP_RETRIES + 1):
        outcome = course.api.autograde(assignment, student, force=True, create=True)
        if outcome["success"] or not _kernel_failed_to_start(outcome):
            break
    if not outcome["success"]:
        return WorkerResult(student, False, error=_failure_summary(outcome))
    result = WorkerResult(student, True)
    with course.gradebook() as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return WorkerResult(student, False, error="nbgrader recorded no submission")
        result.timestamp = submission.timestamp.isoformat() if submission.timestamp else None
        for notebook in submission.notebooks:
            result.grades[notebook.name] = {g.name: g.auto_score for g in notebook.grades}
            result.comments[notebook.name] = {c.name: c.auto_comment for c in notebook.comments}
    return result


def _notebook_names(course, assignment: str) -> list[str]:
    with course.gradebook() as gb:
        return [nb.name for nb in gb.find_assignment(assignment).notebooks]


#: A kernel that dies before it even answers kernel_info has not run any
#: student code yet (e.g. it lost a race for a TCP port under heavy load):
#: such a start is retried, a submission is never blamed for it.
STARTUP_RETRIES = 2


def _kernel_failed_to_start(outcome: dict) -> bool:
    text = (outcome.get("log") or "") + (outcome.get("error") or "")
    return "Kernel died before replying to kernel_info" in text


# --------------------------------------------------------- the writer ---

def _record(course, assignment: str, result: WorkerResult) -> None:
    """Write one worker result into the course gradebook (the only writer).

    A submission that could not be graded gets zero automatic points, so the
    gradebook never shows stale or missing scores for it.
    """
    from datetime import datetime

    with course.gradebook() as gb:
        gb.update_or_create_student(result.student)
        kwargs = {"timestamp": datetime.fromisoformat(result.timestamp)} if result.timestamp else {}
        submission = gb.update_or_create_submission(assignment, result.student, **kwargs)
        for notebook in submission.notebooks:
            scores = result.grades.get(notebook.name, {})
            for grade in notebook.grades:
                grade.auto_score = scores.get(grade.name) if result.ok else 0.0
                # as nbgrader's SaveAutoGrades: a manual score is kept and flagged for review
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            comments = result.comments.get(notebook.name, {})
            for comment in notebook.comments:
                comment.auto_comment = comments.get(comment.name) if result.ok else None
        gb.db.commit()


def grade_submissions(course, assignment: str, students: list[str], workers: int = 1,
                      force: bool = False, on_done=None) -> tuple[list[WorkerResult], list[str]]:
    """Grade the students' submissions; returns (results, skipped students).

    on_done(student) is called after each submission is recorded (progress).
    """
    root = course.root
    skipped = [] if force else [s for s in students if already_graded(root, assignment, s)]
    todo = [s for s in students if s not in skipped]
    # hashed before grading, so a file changed meanwhile is graded again next time
    hashes = {s: submission_hash(root / "submitted" / s / assignment) for s in todo}
    results = []
    if todo:
        scratch = tempfile.TemporaryDirectory(prefix="bpkit-batch-")
        template = _template_gradebook(course, assignment, Path(scratch.name))
        kernels = fork_kernelspec_dir()
        pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(todo))), initializer=_init_worker,
                                   initargs=(str(root), str(template), assignment, str(kernels)))
        with scratch, pool:
            futures = {pool.submit(_grade_one, s): s for s in todo}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # a worker died: the batch goes on
                    result = WorkerResult(student, False, error=f"worker failed: {type(exc).__name__}: {exc}")
                _record(course, assignment, result)
                if result.ok:
                    (root / "autograded" / student / assignment / MARKER).write_text(
                        json.dumps({"hash": hashes[student]}), encoding="utf-8")
                results.append(result)
                if on_done:
                    on_done(student)
    for student in skipped:
        if on_done:
            on_done(student)
    return results, skipped


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
