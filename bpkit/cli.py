"""Command line: `bpkit release | grade ASSIGNMENT | report ASSIGNMENT | demo`."""
from __future__ import annotations

import argparse
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

__all__ = ["main"]


def _release(args) -> int:
    course = Course(args.course)
    for assignment in args.assignments or course.assignments():
        course.check_assignment(assignment)
        course.release(assignment)
        print(f"released {assignment} -> {course.root / 'release' / assignment}")
    return 0


def _grade(args) -> int:
    from bpkit.pipeline import grade_and_show
    from bpkit.presentation.console import sandbox_line

    console = Console()
    course = Course(args.course)
    course.check_assignment(args.assignment)
    console.print(sandbox_line(not args.no_sandbox), style="dim")
    csv = Path(args.csv) if args.csv else course.root / "grades.csv"
    results = grade_and_show(course, args.assignment, console, csv, feedback=not args.no_feedback,
                             workers=args.workers, force=args.force, sandbox=not args.no_sandbox)
    console.print(f"Grades exported to {csv}")
    return 0 if all(r.ok for r in results) else 1


def _report(args) -> int:
    from bpkit.presentation.report import write_report

    course = Course(args.course)
    index = write_report(course, args.assignment, Path(args.out) if args.out else None)
    print(f"Report written to {index}")
    return 0


def _demo(args) -> int:
    from bpkit.demo import run_demo

    run_demo(Path(args.course).resolve(), Path(args.workdir) if args.workdir else None,
             sandbox=not args.no_sandbox)
    return 0


def _sandbox_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-sandbox", action="store_true",
                        help="UNSAFE, for trusted code only: run student code unsandboxed as you, inside the "
                             "course directory, and let the in-notebook tests decide the score")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bpkit", description=__doc__)
    parser.add_argument("--version", action="version", version=f"bpkit {bpkit.__version__}")
    parser.add_argument("--course", default=".", help="course directory (default: current directory)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="regenerate release/ from source/ (all assignments by default)")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(func=_release)

    p = sub.add_parser("grade", help="autograde every submitted/*/ASSIGNMENT/, write feedback and grades.csv")
    p.add_argument("assignment")
    p.add_argument("--csv", help="where to export grades (default: grades.csv in the course)")
    p.add_argument("--no-feedback", action="store_true", help="skip generating feedback HTML")
    p.add_argument("--workers", type=int, default=default_workers(),
                   help="parallel grading processes (default: the machine's cores)")
    p.add_argument("--force", action="store_true",
                   help="regrade submissions already graded from the same files")
    _sandbox_option(p)
    p.set_defaults(func=_grade)

    p = sub.add_parser("report", help="write the class report (HTML, PNG figures, CSVs) for ASSIGNMENT")
    p.add_argument("assignment")
    p.add_argument("--out", help="output directory (default: reports/ASSIGNMENT in the course)")
    p.set_defaults(func=_report)

    p = sub.add_parser("demo", help="grade the bundled sample class in a scratch copy of the course")
    p.add_argument("--workdir", help="scratch directory to use (default: a new temporary directory)")
    _sandbox_option(p)
    p.set_defaults(func=_demo)
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
        print(f"bpkit: error: cannot grade safely: {exc}.\nStudent code is only run inside the bubblewrap "
              f"sandbox. Fix the sandbox (`bash setup.sh` installs it), or pass --no-sandbox to run trusted "
              f"code without it.", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
