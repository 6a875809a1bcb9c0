"""The demo: grade the bundled sample class end to end in a scratch copy of
the course, so the repository itself is never touched."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from rich.console import Console

from bpkit.course import Course
from bpkit.grading.batch import default_workers
from bpkit.isolation.sandbox import check_sandbox
from bpkit.pipeline import grade_and_show
from bpkit.presentation.console import sandbox_line
from bpkit.presentation.report import write_report
from bpkit.sample import sample_students, student_cells, write_submission

__all__ = ["make_scratch_course", "run_demo"]

# What an instructor's course directory holds before any grading.
COURSE_FILES = ["nbgrader_config.py", "source", "release"]


def make_scratch_course(course_root: Path, dest: Path) -> Path:
    """Copy the course (without gradebook or results) to dest and fill
    submitted/ with the sample class's submissions for every assignment."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for name in COURSE_FILES:
        src = course_root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    assignments = sorted(p.name for p in (dest / "release").iterdir() if p.is_dir())
    for student in sample_students():
        cells = student_cells(student)
        for assignment in assignments:
            write_submission(dest / "release", assignment, cells,
                             dest / "submitted" / student / assignment)
    return dest


def run_demo(course_root: Path, workdir: Path | None = None, console: Console | None = None,
             sandbox: bool = True) -> Path:
    console = console or Console()
    if sandbox:
        check_sandbox()  # before anything is printed or copied: the reason, and no progress bar
    workdir = workdir or Path(tempfile.mkdtemp(prefix="bpkit-demo-"))
    make_scratch_course(course_root, workdir)
    console.print(f"[bold]Demo course:[/bold] {workdir} "
                  f"({len(sample_students())} sample students)")
    if sandbox:  # without it, bpkit.cli has warned once already
        console.print(sandbox_line(sandbox), style="dim")
    course = Course(workdir)
    csv = workdir / "grades.csv"
    for assignment in course.assignments():
        grade_and_show(course, assignment, console, csv, workers=default_workers(), sandbox=sandbox,
                       sandbox_checked=True)
    console.print(f"Grades: {csv}\nFeedback: {workdir / 'feedback'}")
    for assignment in course.assignments():
        console.print(f"Class report: {write_report(course, assignment)}")
    return workdir
