"""Command line.  Instructors: `bpkit release | grade ASSIGNMENT | report ASSIGNMENT | demo`.
Learners: `bpkit exercises DIR | check NOTEBOOK.ipynb`."""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

# jsonschema checks the "iri" string formats with rfc3987_syntax when it is
# installed (jupyter_events pulls it in); that module builds a grammar as it
# is imported, about 0.9 s of every start of the command.  Nothing bpkit or
# nbgrader's grading steps validate uses those formats, so the command does
# without it (library users of bpkit are not affected).
sys.modules.setdefault("rfc3987_syntax", None)  # noqa: E402 -- before anything imports jsonschema

from rich.console import Console

import bpkit
from bpkit.grading.batch import default_workers
from bpkit.course import Course, CourseError
from bpkit.learner.bundle import BundleMissing

__all__ = ["main"]


def _course_dir(args) -> str:
    """--course, else the current directory (the instructor's commands)."""
    return args.course or "."


def _release(args) -> int:
    from bpkit.authoring.validate import NO_VALIDATE_SKIPS, static_problems, validate

    course = Course(_course_dir(args))
    assignments = args.assignments or course.assignments()
    for assignment in assignments:
        course.check_assignment(assignment)
    if args.no_validate:
        print(f"bpkit: warning: --no-validate: release {NO_VALIDATE_SKIPS}", file=sys.stderr)
        validations = None
        problems = [p for a in assignments for p in static_problems(course.root, a)]
    else:
        validations = validate(course, assignments, workers=args.workers)
        problems = [p for v in validations for p in v.problems]
    if problems:
        print(f"bpkit release: refused, nothing was released: {len(problems)} problem(s) in the course to fix "
              f"first (the course's own, never a student's):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    for v in validations or []:
        score, top = v.solution_score
        print(f"validated {v.assignment} through the judge: the solution scores {score:g} / {top:g}, the stubs "
              f"pass {v.stub_cells_passed} cells ({v.seconds:.1f} s)")
    for assignment in assignments:
        course.release(assignment)
        print(f"released {assignment} -> {course.root / 'release' / assignment}")
    return 0


def _grade(args) -> int:
    from bpkit.isolation.sandbox import check_sandbox
    from bpkit.pipeline import grade_and_show
    from bpkit.presentation.console import sandbox_line

    console = Console()
    course = Course(_course_dir(args))
    course.check_assignment(args.assignment)
    if not args.no_sandbox:  # the reason it cannot start before anything else; --no-sandbox: main warned once
        check_sandbox()
        console.print(sandbox_line(True), style="dim")
    csv = Path(args.csv) if args.csv else course.root / "grades.csv"
    results = grade_and_show(course, args.assignment, console, csv, feedback=not args.no_feedback,
                             workers=args.workers, force=args.force, sandbox=not args.no_sandbox,
                             sandbox_checked=True)
    console.print(f"Grades exported to {csv}")
    return 0 if all(r.ok for r in results) else 1


def _report(args) -> int:
    from bpkit.presentation.report import write_report

    course = Course(_course_dir(args))
    index = write_report(course, args.assignment, Path(args.out) if args.out else None)
    print(f"Report written to {index}")
    return 0


def _demo(args) -> int:
    from bpkit.demo import run_demo
    from bpkit.learner.bundle import course_root

    # the course shipped with the kit (the repository itself in a checkout), unless --course names one
    run_demo(Path(args.course).resolve() if args.course else course_root(),
             Path(args.workdir) if args.workdir else None, sandbox=not args.no_sandbox)
    return 0


def _exercises(args) -> int:
    from bpkit.learner.bundle import write_exercises

    dest = Path(args.dir)
    written = write_exercises(dest)
    for path in written.notebooks:
        print(f"wrote {path}")
    if written.kept:
        print(f"kept {len(written.kept)} files that were already there (never overwritten) / "
              f"既にあった {len(written.kept)} 個のファイルはそのままです（上書きしません）")
    print(f"Open a notebook in Jupyter, fill in the cells marked `# YOUR CODE HERE`, run its "
          f"\"Check my work\" cells, or check it all with:\n"
          f"Jupyter でノートブックを開き、`# YOUR CODE HERE` のセルを埋めて「答え合わせ」のセルを実行するか、"
          f"まとめて確認するには：\n  bpkit check {dest / 'ch4_gradients' / 'losses_and_gradients.ipynb'}")
    return 0


def _check(args) -> int:
    import json

    from bpkit.learner.notebook_check import NotChecked, check_notebook, page_path, write_page
    from bpkit.learner.outcome import rich_table, text_table

    console = Console()
    status, report = 0, []
    if args.html and len(args.notebooks) > 1:
        print("bpkit check: --html names one page: give one notebook", file=sys.stderr)
        return 2
    for index, name in enumerate(args.notebooks):
        path = Path(name)
        try:
            with console.status(f"checking {path.name} ...", spinner="dots"):
                result = check_notebook(path, timeout=args.timeout, forked=index > 0)
        except NotChecked as exc:
            print(f"bpkit check: {exc}", file=sys.stderr)
            status = 2
            continue
        title = f"{path} ({result.exercise.assignment}/{result.exercise.notebook})"
        if args.plain:  # logs and tests: plain text
            print(text_table(title, result.outcomes))
        else:
            console.print(rich_table(title, result.outcomes))
        for line in result.problems + ([f"Stopped / 停止: {result.stopped}"] if result.stopped else []):
            console.print(line, style="yellow", markup=False, highlight=False)
        console.print(f"{result.score:g} / {result.max_score:g} points ({result.seconds:.1f} s)",
                      markup=False, highlight=False)
        if not args.no_page:
            page = Path(args.html) if args.html else page_path(path)
            try:
                console.print(f"Feedback page / フィードバック: {write_page(result, page)}", markup=False,
                              highlight=False)
            except Exception as exc:  # the verdict stands without its page
                print(f"bpkit check: cannot write the feedback page {page} ({type(exc).__name__}: "
                      f"{str(exc).splitlines()[0][:200] if str(exc) else ''}); pass --html PATH to write it "
                      f"elsewhere", file=sys.stderr)
        report.append({"notebook": str(path), "assignment": result.exercise.assignment,
                       "exercise": result.exercise.notebook, "score": result.score, "max_score": result.max_score,
                       "stopped": result.stopped, "seconds": round(result.seconds, 3),
                       "behaviours": [o.to_dict() for o in result.outcomes]})
        status = max(status, 0 if result.passed else 1)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return status


def _new(args) -> int:
    from bpkit.authoring.scaffold import ScaffoldError, new_assignment, new_check

    root = Path(_course_dir(args)).resolve()
    try:
        if args.what == "assignment":
            written = new_assignment(root, args.name, notebook=args.notebook)
        else:
            written = new_check(root, args.name, obj=args.object, assignment=args.assignment, method=args.method,
                                methods=args.methods.split(",") if args.methods else None, points=args.points,
                                grade_id=args.grade_id)
    except ScaffoldError as exc:
        print(f"bpkit new: {exc}", file=sys.stderr)
        return 2
    for path in written.files:
        print(f"wrote {path.relative_to(root) if path.is_relative_to(root) else path}")
    print("Next, write (each place is marked TODO(author), and `bpkit release` refuses one left behind; "
          "docs/authoring.md explains each):")
    for item in written.todo:
        print(f"  - {item}")
    return 0


def _sandbox_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-sandbox", action="store_true",
                        help="UNSAFE, for trusted code only: run student code unsandboxed as you, inside the "
                             "course directory, and let the in-notebook tests decide the score")


COURSE_HELP = "course directory (default: the current directory; for demo: the course shipped with the kit)"

#: What --no-validate skips, for its help (bpkit.authoring.validate.NO_VALIDATE_SKIPS, without importing it here).
NO_VALIDATE_HELP = ("grades neither the solution nor the stubs, so a check that fails the solution or passes the "
                    "stub, an argument the judge cannot send and a check that raises go unnoticed; unknown check "
                    "names are still refused")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bpkit", description=__doc__)
    parser.add_argument("--version", action="version", version=f"bpkit {bpkit.__version__}")
    parser.add_argument("--course", default=None, help=COURSE_HELP)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="validate source/ through the judge (the solution must score full marks, the "
                                       "stubs nothing), then regenerate release/ (all assignments by default)")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="assignments to release (folders of source/; default: every one)")
    p.add_argument("--no-validate", action="store_true",
                   help="quick iterations: skip grading the solution and the stubs through the judge (it "
                        + NO_VALIDATE_HELP + ")")
    p.add_argument("--workers", type=int, default=2, help="grading processes for the validation (default: 2)")
    p.set_defaults(func=_release)

    p = sub.add_parser("new", help="authors: write the stubs of a new graded behaviour (`new check "
                                   "ch5.tanh_backward --object Tanh`) or assignment (`new assignment ch6_optimizers`); "
                                   "see docs/authoring.md")
    p.add_argument("what", choices=["check", "assignment"],
                   help="check: a graded behaviour in an existing notebook; assignment: a new notebook")
    p.add_argument("name", help="the check (<module>.<behaviour>, e.g. ch5.tanh_backward) or the assignment "
                                "(e.g. ch6_optimizers)")
    p.add_argument("--object", help="check: the student's function or class it grades (default: from the name, "
                                    "e.g. Tanh)")
    p.add_argument("--assignment", help="check: the assignment whose notebook gets the grade cell (default: the one "
                                        "grading the module's checks)")
    p.add_argument("--method", help="check: the method it grades (default: the name's last word if it is forward, "
                                    "backward or update)")
    p.add_argument("--methods", help="check: the methods of a new class, comma-separated (default: forward,backward; "
                                     "update for an optimizer)")
    p.add_argument("--points", type=float, default=1, help="check: the grade cell's points (default: 1)")
    p.add_argument("--grade-id", help="check: the grade cell's id (default: the behaviour's name)")
    p.add_argument("--notebook", help="assignment: the notebook's file name (default: the name without chN_)")
    p.set_defaults(func=_new)

    p = sub.add_parser("grade", help="autograde every submitted/*/ASSIGNMENT/, write feedback and grades.csv")
    p.add_argument("assignment", metavar="ASSIGNMENT", help="the assignment to grade (a folder of source/)")
    p.add_argument("--csv", help="where to export grades (default: grades.csv in the course)")
    p.add_argument("--no-feedback", action="store_true", help="skip generating feedback HTML")
    p.add_argument("--workers", type=int, default=default_workers(),
                   help="parallel grading processes (default: the machine's cores)")
    p.add_argument("--force", action="store_true",
                   help="regrade submissions already graded from the same files")
    _sandbox_option(p)
    p.set_defaults(func=_grade)

    p = sub.add_parser("report", help="write the class report (HTML, PNG figures, CSVs) for ASSIGNMENT")
    p.add_argument("assignment", metavar="ASSIGNMENT", help="the graded assignment to report on")
    p.add_argument("--out", help="output directory (default: reports/ASSIGNMENT in the course)")
    p.set_defaults(func=_report)

    p = sub.add_parser("exercises", help="learners: write every assignment's notebooks (and their common/) into DIR")
    p.add_argument("dir", help="folder to write into (created if needed; existing files are kept)")
    p.set_defaults(func=_exercises)

    p = sub.add_parser("check", help="learners: grade your notebooks here and say why each point was lost "
                                     "(exit 0 only when every behaviour passes)")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="your notebook (.ipynb), anywhere")
    p.add_argument("--html", help="where to write the feedback page (default: NOTEBOOK-feedback.html beside it)")
    p.add_argument("--no-page", action="store_true", help="write no feedback page")
    p.add_argument("--timeout", type=float, default=60, help="seconds a cell may run (default: 60, as in grading)")
    p.add_argument("--plain", action="store_true", help="print the results as plain text, not a table")
    p.add_argument("--json", help="also write the results (points and mistake keys) to this JSON file")
    p.set_defaults(func=_check)

    p = sub.add_parser("demo", help="grade the bundled sample class in a scratch copy of the course")
    p.add_argument("--workdir", help="scratch directory to use (default: a new temporary directory)")
    _sandbox_option(p)
    p.set_defaults(func=_demo)
    for name in ("release", "new", "grade", "report", "demo"):  # `bpkit grade X --course DIR`, as `bpkit --course DIR grade X`
        sub.choices[name].add_argument("--course", default=argparse.SUPPRESS, help=COURSE_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    from bpkit.isolation.sandbox import SandboxUnavailable

    args = build_parser().parse_args(argv)
    if getattr(args, "no_sandbox", False):
        print("bpkit: warning: --no-sandbox: student code runs as you, with access to the course directory "
              "and the gradebook, and its own tests decide its score", file=sys.stderr)
    try:
        return args.func(args)
    except CourseError as exc:
        print(f"bpkit: error: {exc}", file=sys.stderr)
        return 2
    except SandboxUnavailable as exc:
        print(f"bpkit: error: cannot grade safely: {exc}. {sandbox_advice(args)}", file=sys.stderr)
        return 2
    except BundleMissing as exc:
        print(f"bpkit: error: {exc}", file=sys.stderr)
        return 2


def sandbox_advice(args) -> str:
    """What to do when the sandbox cannot start, for the way bpkit was
    installed: a checkout's setup.sh, else the system's bubblewrap package."""
    from bpkit.learner.bundle import course_root

    try:
        checkout = (course_root() / "setup.sh").is_file()
    except BundleMissing:
        checkout = False
    missing = shutil.which("bwrap") is None
    if not missing:  # installed, but the kernel or its policy refuses it: installing again would not help
        fix = ("bubblewrap is installed but cannot start a sandbox here; it needs unprivileged user namespaces "
               "(`sysctl kernel.unprivileged_userns_clone`, and on Ubuntu 24.04 an AppArmor profile for bwrap)")
    elif checkout:
        fix = "`bash setup.sh` installs it (or `sudo apt-get install bubblewrap`)"
    else:
        fix = "install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`) on Linux with user namespaces"
    trusted = ("the sample class is the kit's own code: `bpkit demo --no-sandbox` runs it without"
               if args.command == "demo" else
               "or `bpkit release --no-validate` releases without grading the solution and the stubs"
               if args.command == "release" else "or pass --no-sandbox to run trusted code without it")
    return f"Student code runs only inside the bubblewrap sandbox: {fix}; {trusted}."


if __name__ == "__main__":
    sys.exit(main())
