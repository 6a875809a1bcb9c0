"""The instructor's terminal: progress, the per-student table, summary
lines.  Everything from a student is shown as rich Text with control
characters escaped (bpkit.escaping), never parsed as markup."""
from __future__ import annotations

from contextlib import contextmanager

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table

from bpkit.escaping import clip, rich_text, terminal_text
from bpkit.grading.records import StudentResult, course_errors

__all__ = ["results_table", "print_results", "print_course_errors", "sandbox_line", "progress_bar"]


def results_table(assignment: str, results: list[StudentResult], max_notes: int = 3) -> Table:
    """The per-student table.  Every cell is a rich Text (never parsed as
    markup) with control characters shown as escapes: student ids, reasons
    and errors come from students (an exception class may be named ``[/]``).
    Scores never wrap; a grade id too long for the last column folds onto
    the next line rather than being cut (80 columns are enough to read it)."""
    count = len(results)
    table = Table(title=rich_text(f"{assignment}: {count} submission{'' if count == 1 else 's'}"))
    table.add_column("student", overflow="fold")
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("%", justify="right", no_wrap=True)
    table.add_column("cells passed", justify="right", no_wrap=True)
    table.add_column("lost points in (reason)", overflow="fold")
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
    print_course_errors(assignment, results, console)
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


def print_course_errors(assignment: str, results: list[StudentResult], console: Console) -> None:
    """Before anything else: the course configuration errors grading met
    (an unknown check, an argument the judge cannot send, a check that
    raised), each with the cells, the students and the author's fix.  They
    cost no student anything (the cells kept their points)."""
    found = course_errors(results)
    if not found:
        return
    console.print(rich_text(f"{assignment}: COURSE CONFIGURATION ERRORS (the course's mistakes, not the students': "
                            f"these cells were given their points; fix them, check with `bpkit release`, then "
                            f"regrade with `bpkit grade {assignment} --force`)", 1_000, style="bold red"))
    for (cell, message), students in found.items():
        shown = ", ".join(students[:5]) + (f" and {len(students) - 5} more" if len(students) > 5 else "")
        console.print(rich_text(f"  {cell}: {message} ({len(students)} students: {shown})", 2_000, style="red"))


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
