"""The grading pipeline, end to end, as `bpkit grade` and `bpkit demo` run
it: check the sandbox, record the assignment, grade every submission
(bpkit.grading.batch), read the results back (bpkit.grading.records), write
feedback (nbgrader's, then bpkit.presentation.pages for what nbgrader could
not grade), and show them (bpkit.presentation)."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bpkit.course import Course
from bpkit.grading.batch import grade_submissions
from bpkit.course import id_problem
from bpkit.grading.records import StudentResult, flagged_students, read_results
from bpkit.isolation.sandbox import check_sandbox
from bpkit.presentation.console import print_results, progress_bar
from bpkit.presentation.export import export_csv
from bpkit.presentation.feedback import feedback_done, mark_feedback_done, write_feedback
from bpkit.presentation.pages import keep_only_feedback_pages, write_failure_feedback, write_partial_feedback

__all__ = ["grade_assignment", "grade_and_show", "write_feedback_pages"]


def grade_assignment(course: Course, assignment: str, students: list[str] | None = None,
                     feedback: bool = True, workers: int = 1, force: bool = False,
                     on_done=None, log=print, sandbox: bool = True,
                     sandbox_checked: bool = False) -> list[StudentResult]:
    """Autograde each submitted/<student>/<assignment>/ and return the results.

    Submissions are graded by `workers` processes (see bpkit.grading.batch); one
    already graded from the same files is not graded again unless force.
    A submission that nbgrader cannot grade is reported as failed with the
    reason and scores zero; it never stops the others.
    sandbox: kernels in bubblewrap, scores decided by the judge (bpkit.judging.judge);
    raises bpkit.isolation.sandbox.SandboxUnavailable if it cannot start
    (sandbox_checked: the caller has just checked it).
    """
    course.check_assignment(assignment)
    if sandbox and not sandbox_checked:
        check_sandbox()  # refuse before the gradebook is touched
    course.ensure_in_gradebook(assignment)
    students = course.submitted_students(assignment) if students is None else students
    done, skipped = grade_submissions(course, assignment, students, workers=workers, force=force,
                                      on_done=on_done, sandbox=sandbox)
    failed = {r.student: r.error for r in done if not r.ok}
    graded = {r.student: r for r in read_results(course, assignment, [s for s in students if s not in failed])}
    results = []
    for student in students:
        result = StudentResult(student, False, error=failed[student]) if student in failed else graded[student]
        result.skipped = student in skipped
        results.append(result)
    if feedback:
        write_feedback_pages(course, assignment, results, workers=workers, log=log)
    return results


def write_feedback_pages(course: Course, assignment: str, results: list[StudentResult], workers: int = 1,
                         log=print, redo: bool = False) -> None:
    """The feedback stage, for `bpkit grade` and for nbgrader's Generate
    Feedback (bpkit.nbgrader_hooks): nbgrader's pages written by worker
    processes under limits (bpkit.presentation.feedback), only pages left in
    feedback/, a bilingual page for a submission that could not be graded or
    whose kernel stopped part-way.  Without redo, only the students graded
    now and those whose pages are not those of the files graded (an
    interrupted run, --no-feedback) get pages."""
    # every graded student whose pages are not those of the files graded: the ones graded now, and any
    # whose feedback an interrupted run (Ctrl-C) or --no-feedback left unwritten
    pending = [r for r in results if r.ok and (redo or not r.skipped
                                               or not feedback_done(course, assignment, r.student))]
    write_feedback(course, assignment, [r for r in pending if not r.stopped], workers=workers, log=log)
    keep_only_feedback_pages(course, assignment)
    for r in results:
        if not r.ok:
            if id_problem(r.student) is None:  # no feedback/<name>/ for a name nbgrader takes as a glob
                write_failure_feedback(course, assignment, r.student, r.error)
        elif r.stopped and r in pending:
            write_partial_feedback(course, assignment, r)
            mark_feedback_done(course, assignment, r.student)


def grade_and_show(course: Course, assignment: str, console: Console, csv_path: Path, feedback: bool = True,
                   workers: int = 1, force: bool = False, sandbox: bool = True,
                   sandbox_checked: bool = False) -> list[StudentResult]:
    """Grade one assignment with a progress bar, print the results table
    and the integrity findings, export the grades CSV: what `bpkit grade`
    does for one assignment and `bpkit demo` for each.  The sandbox is
    checked first (unless sandbox_checked), so a machine where it cannot
    start gets the reason and no progress bar."""
    if sandbox and not sandbox_checked:
        check_sandbox()
    students = course.submitted_students(assignment)
    with progress_bar(console, assignment, len(students)) as on_done:
        results = grade_assignment(course, assignment, students, feedback=feedback, workers=workers, force=force,
                                   on_done=on_done, log=lambda m: console.print(m, style="dim"), sandbox=sandbox,
                                   sandbox_checked=sandbox)
    print_results(assignment, results, console, flagged_students(results))
    export_csv(course, csv_path)
    return results
