"""The course gradebook's one writer, and the workers' scratch gradebooks.

Only the main process writes the course gradebook: record() copies a
worker's automatic scores and comments over exactly as nbgrader's
SaveAutoGrades would (a grader's manual score is kept and flagged), then
runs nbgrader's AssignLatePenalties on the final, judged scores.  Each
worker grades against a private copy of a template gradebook that holds the
assignment's definition (template_gradebook), written without fsync."""
from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["GradebookWriter", "template_gradebook", "scratch_gradebooks_without_fsync"]


class GradebookWriter:
    """The course gradebook, opened once for a whole batch (one session)."""

    def __init__(self, course, assignment: str):
        self.course, self.assignment = course, assignment
        self._gb = None
        self._assigner = None

    def __enter__(self) -> "GradebookWriter":
        self._gb = self.course.gradebook().__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._gb.__exit__(*exc)

    def record(self, result) -> None:
        """Write one worker result (bpkit.grading.batch.WorkerResult).  A
        submission that could not be graded gets zero automatic points, so
        the gradebook never shows stale or missing scores for it."""
        from datetime import datetime

        gb = self._gb
        gb.update_or_create_student(result.student)
        kwargs = {"timestamp": datetime.fromisoformat(result.timestamp)} if result.timestamp else {}
        submission = gb.update_or_create_submission(self.assignment, result.student, **kwargs)
        for notebook in submission.notebooks:
            scores = result.grades.get(notebook.name, {})
            for grade in notebook.grades:
                grade.auto_score = scores.get(grade.name) if result.ok else 0.0
                # as nbgrader's SaveAutoGrades: a manual score is kept and flagged for review
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            comments = result.comments.get(notebook.name, {})
            for comment in notebook.comments:
                comment.auto_comment = comments.get(comment.name) if result.ok else None
        gb.db.commit()  # expires the notebooks' scores, read again below
        if result.ok:
            self._late_penalties(submission, [nb for nb in submission.notebooks if nb.name in result.grades],
                                 getattr(result, "late_from", None))
            gb.db.commit()

    def _late_penalties(self, submission, notebooks, late_from: str | None = None) -> None:
        """What nbgrader's AssignLatePenalties does at the end of autograde,
        done here on the course gradebook once the final (judged) scores are
        in, with the configured plugin (c.AssignLatePenalties.plugin_class,
        c.LateSubmissionPlugin.penalty_method): each autograded notebook's
        late_submission_penalty, from its score and how late the submission is
        (late_from: a later time the submission's files show, naive UTC ISO,
        which bpkit.grading.intake.check_timestamp found: the lateness is then
        counted from it)."""
        if not _late_penalty_configured(self.course):
            return
        if self._assigner is None:
            from nbgrader.preprocessors import AssignLatePenalties

            self._assigner = AssignLatePenalties(config=self.course.config)
            self._assigner.init_plugin()
        late = submission.total_seconds_late
        if late_from and submission.duedate is not None:
            from datetime import datetime

            late = max(late, (datetime.fromisoformat(late_from) - submission.duedate).total_seconds())
        for notebook in notebooks:
            notebook.late_submission_penalty = None
            if late > 0:
                penalty = self._assigner.plugin_inst.late_submission_penalty(submission.student.id, notebook.score, late)
                if penalty is not None:
                    notebook.late_submission_penalty = self._assigner._check_late_penalty(notebook, penalty)


def _late_penalty_configured(course) -> bool:
    names = course.config.get("Autograde", {}).get("autograde_preprocessors", None)
    if names is None:
        return True  # nbgrader's default list has it
    return any((n if isinstance(n, str) else getattr(n, "__name__", "")).endswith("AssignLatePenalties")
               for n in names)


def template_gradebook(course, assignment: str, scratch: Path) -> Path:
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


def scratch_gradebooks_without_fsync() -> None:
    """In a worker, every SQLite database it opens is its scratch copy of
    the template gradebook (the course gradebook is written by the main
    process only): no fsync per commit (nbgrader commits once per grade
    cell), a journal in memory.  A worker that dies loses its scratch copy
    anyway; the submission is then graded again."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _scratch_pragmas):
        event.listen(Engine, "connect", _scratch_pragmas)


def _scratch_pragmas(connection, _record) -> None:
    import sqlite3

    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA journal_mode = MEMORY")
