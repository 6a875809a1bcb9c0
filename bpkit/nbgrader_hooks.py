"""One door for autograding: every nbgrader entry point grades this course
as `bpkit grade` does.

nbgrader reads the course's ``nbgrader_config.py`` wherever it runs: the
``nbgrader`` command, formgrader inside the Jupyter server (at start and
again before each API call), and ``NbGraderAPI`` through bpkit.course.Course.
That file calls route_through_bpkit(), which sets two nbgrader converters
on the kit's path (once per process):

- **Autograde** (``nbgrader autograde``, formgrader's Autograde button,
  ``NbGraderAPI.autograde``) runs bpkit.pipeline.grade_assignment for the
  submissions it was asked for: intake, the bubblewrap sandbox, the judge,
  per-student hidden inputs, the sanitised graded notebook, the gradebook
  written by one writer; the same scores as `bpkit grade`, feedback left to
  Generate Feedback.  If the sandbox cannot start it refuses, naming
  `bpkit grade`; it never falls back to grading unsandboxed.  Inside a
  grading worker of bpkit.grading.batch (where bpkit itself calls nbgrader's
  autograde on one sanitised copy, with its sandboxed kernel and its judge)
  nbgrader's own converter runs, so nothing recurses.
- **GenerateFeedback** (``nbgrader generate_feedback``, formgrader's
  Generate Feedback button) runs the feedback stage of `bpkit grade`
  (bpkit.pipeline.write_feedback_pages): pages written by worker processes
  under limits, only pages in each feedback folder, the bilingual page of a
  submission that could not be graded.  Inside the kit's own feedback
  worker nbgrader's converter itself runs.
- **Formgrader's views of a submission** are sanitised as they are rendered,
  draw math as MathML, and (in the Jupyter server running formgrader) get a
  Content-Security-Policy (bpkit.presentation.formgrader).

``c.BpkitAutograde.stock_nbgrader = True`` lets nbgrader's own autograde run
(unsandboxed, unjudged: the trust model of stock nbgrader, for comparisons
and trusted code); it still refuses to regrade a submission the judge scored.
"""
from __future__ import annotations

import fnmatch

from traitlets import Bool, Int
from traitlets.config import Configurable

__all__ = ["route_through_bpkit", "BpkitAutograde", "ROUTED"]

#: Set on nbgrader's converters once they are routed here.
ROUTED = "_bpkit_routed"


class BpkitAutograde(Configurable):
    """How nbgrader's autograde entry points grade this course."""

    stock_nbgrader = Bool(False, help=(
        "Run nbgrader's own autograde (student code unsandboxed, in-notebook tests decide): trusted code only. "
        "A submission already scored by the judge is never regraded this way.")).tag(config=True)
    workers = Int(0, help="Grading processes (0: one per core), as `bpkit grade --workers`.").tag(config=True)


def route_through_bpkit(config=None) -> None:
    """Route nbgrader's Autograde and GenerateFeedback converters through
    the kit (see the module docstring), set up formgrader's views of a
    submission (bpkit.presentation.formgrader: sanitised as rendered, math as
    MathML, a Content-Security-Policy in the Jupyter server running it);
    called by nbgrader_config.py with its config, as often as nbgrader loads it."""
    from nbgrader.converters import Autograde, GenerateFeedback

    from bpkit.presentation.formgrader import configure_exporter

    if config is not None:
        configure_exporter(config)
    _guard_running_server()
    if getattr(Autograde, ROUTED, False):
        return
    stock_autograde, stock_feedback = Autograde.start, GenerateFeedback.start

    def start_autograde(converter) -> None:
        from bpkit.grading.batch import in_grading_worker

        if in_grading_worker():  # bpkit's own worker grading one sanitised copy: nbgrader's converter itself
            stock_autograde(converter)
        else:
            autograde(converter, stock_autograde)

    def start_feedback(converter) -> None:
        from bpkit.presentation.feedback import in_feedback_worker

        if in_feedback_worker():  # bpkit's own worker writing one student's pages: nbgrader's converter itself
            stock_feedback(converter)
        else:
            generate_feedback(converter)

    Autograde.start, GenerateFeedback.start = start_autograde, start_feedback
    setattr(Autograde, ROUTED, True)


def _guard_running_server() -> None:
    """In a Jupyter server (formgrader loads this course's config there), add
    the submission views' Content-Security-Policy to its application."""
    import sys

    if "jupyter_server.serverapp" not in sys.modules:
        return
    from jupyter_server.serverapp import ServerApp

    from bpkit.presentation.formgrader import guard_server

    if ServerApp.initialized() and getattr(ServerApp.instance(), "web_app", None) is not None:
        if guard_server(ServerApp.instance().web_app):
            ServerApp.instance().log.info("bpkit: formgrader's submission views get a Content-Security-Policy")


def _course(converter):
    from bpkit.course import Course

    return Course(converter.coursedir.root)


def _assignments(course, pattern: str) -> list[str]:
    return [a for a in course.assignments() if fnmatch.fnmatchcase(a, pattern or "*")]


def _students(course, converter, assignment: str) -> list[str]:
    wanted = converter.coursedir.student_id or "*"
    excluded = set(filter(None, (converter.coursedir.student_id_exclude or "").split(",")))
    return [s for s in course.submitted_students(assignment)
            if (s == wanted or fnmatch.fnmatchcase(s, wanted)) and s not in excluded]


def _refuse(converter, message: str):
    """nbgrader's way to stop a converter: the message logged as an error
    (the command prints it, formgrader shows the log), then NbGraderException."""
    from nbgrader.converters.base import NbGraderException

    converter.log.error(message)
    return NbGraderException(message)


def autograde(converter, stock) -> None:
    """What nbgrader's Autograde.start does for this course: grade the
    matching submissions with bpkit.pipeline.grade_assignment, log one line
    per submission; raise nbgrader's NbGraderException (so the command
    exits 1 and formgrader shows the log) if any could not be graded."""
    from bpkit.grading.batch import default_workers
    from bpkit.isolation.sandbox import SandboxUnavailable
    from bpkit.pipeline import grade_assignment

    course = _course(converter)
    settings = BpkitAutograde(config=converter.config)
    log = converter.log
    assignments = _assignments(course, converter.coursedir.assignment_id)
    if not assignments:
        raise _refuse(converter, f"no assignment of source/ matches {converter.coursedir.assignment_id!r}")
    if settings.stock_nbgrader:
        _refuse_judged(course, converter, assignments)
        log.warning("c.BpkitAutograde.stock_nbgrader is set: nbgrader's own autograde, unsandboxed and unjudged")
        return stock(converter)
    if converter.coursedir.notebook_id not in ("", "*"):
        log.warning("bpkit grades whole submissions: --notebook %s is ignored", converter.coursedir.notebook_id)
    failed = []
    for assignment in assignments:
        students = _students(course, converter, assignment)
        if not students:
            continue
        log.info("Grading %d submission(s) of %s as `bpkit grade` does (sandbox and judge)", len(students), assignment)
        try:
            results = grade_assignment(course, assignment, students, feedback=False, force=converter.force,
                                       workers=min(len(students), settings.workers or default_workers()),
                                       log=log.warning)
        except SandboxUnavailable as exc:
            raise _refuse(converter,
                f"Not graded: the sandbox student code runs in cannot start ({exc}). This course grades only as "
                f"`bpkit grade {assignment}` does; fix the sandbox (see the README), or for trusted code only run "
                f"`bpkit grade {assignment} --no-sandbox`.") from None
        for result in results:
            if not result.ok:
                failed.append(f"{result.student}/{assignment}: {result.error.splitlines()[0] if result.error else ''}")
                log.error("%s/%s could not be graded (scored 0): %s", result.student, assignment, result.error)
            elif result.skipped:
                log.info("%s/%s already graded from the same files", result.student, assignment)
            else:
                log.info("%s/%s: %g / %g", result.student, assignment, result.score, result.max_score)
    if failed:
        raise _refuse(converter, "some submissions could not be graded (each scores 0, as with `bpkit grade`):\n"
                      + "\n".join(failed))


def _refuse_judged(course, converter, assignments: list[str]) -> None:
    """stock_nbgrader never replaces the judge's scores with unjudged ones."""
    from bpkit.grading.records import JUDGE_FILE

    judged = [f"{s}/{a}" for a in assignments for s in _students(course, converter, a)
              if (course.autograded(s, a) / JUDGE_FILE).is_file()]
    if judged:
        raise _refuse(converter, "c.BpkitAutograde.stock_nbgrader would replace the judge's scores of "
                                 f"{', '.join(judged[:10])}: regrade them with `bpkit grade` instead")


def generate_feedback(converter) -> None:
    """What nbgrader's GenerateFeedback.start does for this course: the
    feedback stage of `bpkit grade` (bpkit.pipeline.write_feedback_pages:
    pages written by workers under limits, only pages in feedback/, the
    bilingual page of a submission that could not be graded) for every
    matching submission that grading has seen, written afresh."""
    from bpkit.grading.batch import default_workers
    from bpkit.grading.records import read_results
    from bpkit.pipeline import write_feedback_pages

    course = _course(converter)
    settings = BpkitAutograde(config=converter.config)
    for assignment in _assignments(course, converter.coursedir.assignment_id):
        students = [s for s in _students(course, converter, assignment) if course.autograded(s, assignment).is_dir()]
        if not students:
            continue
        converter.log.info("Writing feedback for %d submission(s) of %s as `bpkit grade` does", len(students),
                           assignment)
        write_feedback_pages(course, assignment, read_results(course, assignment, students), redo=True,
                             workers=min(len(students), settings.workers or default_workers()),
                             log=converter.log.warning)
