"""The bundled sample class: students' answers kept as readable Python files
and turned into nbgrader submissions from the released notebooks.

Each ``sample_class/<student>.py`` holds cells introduced by ``# %% <grade_id>``
(the nbgrader id of a solution cell).  ``# %% <grade_id> stub`` keeps the
released stub, ``# %% <grade_id> +markdown`` adds a markdown cell (the text
that follows, as is) right after that cell, and a first line
``# based on: <other>`` starts from another student's cells (looked up
beside the file, then in the sample class).  Solution cells a student never
mentions keep their stub, unless the student is based (directly or through
another student) on ``solution``: then they get the instructor's solution
from ``source/`` (so a behaviour added to the course later is answered
correctly by every sample student and catalogue entry that does not say
otherwise, and their expectations stay about their own cells).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

__all__ = ["SAMPLE_DIR", "SOLUTION", "Cells", "sample_students", "student_cells", "solution_source",
           "solution_cells", "write_submission"]

SAMPLE_DIR = Path(__file__).with_name("sample_class")
_CELL = re.compile(r"^# %% (\S+)( stub| \+markdown)?\s*$", re.MULTILINE)
MARKDOWN = " +markdown"  # cells[f"{grade_id} +markdown"]: a markdown cell added after grade_id
_BASED_ON = re.compile(r"^# based on: (\S+)\s*$", re.MULTILINE)
#: ``# based on: solution``: every solution cell the student does not write is the instructor's solution.
SOLUTION = "solution"
_SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


class Cells(dict):
    """grade_id -> code (None: the stub); ``fallback`` is SOLUTION when the
    cells not listed are the instructor's solution, else None (the stub)."""

    fallback: str | None = None


def sample_students() -> list[str]:
    return sorted(p.stem for p in SAMPLE_DIR.glob("*.py"))


def student_cells(student: str, directory: Path = SAMPLE_DIR) -> dict[str, str | None]:
    """grade_id -> the student's code for that solution cell (None = stub);
    "<grade_id> +markdown" -> a markdown cell the student added after it."""
    text = (directory / f"{student}.py").read_text(encoding="utf-8")
    based_on = _BASED_ON.search(text.split("# %%", 1)[0])
    cells = Cells()
    if based_on and based_on.group(1) == SOLUTION:
        cells.fallback = SOLUTION
    elif based_on:
        base = based_on.group(1)
        cells = student_cells(base, directory if (directory / f"{base}.py").is_file() else SAMPLE_DIR)
    parts = _CELL.split(text)
    # parts = [preamble, id, stub?, body, id, stub?, body, ...]
    for grade_id, flag, body in zip(parts[1::3], parts[2::3], parts[3::3]):
        if flag == MARKDOWN:
            cells[grade_id + MARKDOWN] = body.strip("\n") + "\n"
        else:
            cells[grade_id] = None if flag else body.strip("\n") + "\n"
    return cells


def solution_source(source: str) -> str:
    """A solution cell of source/ as the instructor wrote it, without the
    ``### BEGIN/END SOLUTION`` marker lines (the code a correct student hands in)."""
    return _SOLUTION_MARKERS.sub("", source)


def _solutions(source_dir: Path, assignment: str, notebook: str) -> dict[str, str]:
    path = source_dir / assignment / notebook
    if not path.is_file():
        return {}
    return {c.metadata["nbgrader"]["grade_id"]: solution_source(c.source) for c in nbformat.read(path, as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def solution_cells(source_dir: Path, assignment: str) -> dict[str, str]:
    """grade id -> the instructor's solution (markers removed) of every
    solution cell of source_dir/<assignment>/*.ipynb, in notebook order."""
    found: dict[str, str] = {}
    for path in sorted((source_dir / assignment).glob("*.ipynb")):
        found.update(_solutions(source_dir, assignment, path.name))
    return found


def write_submission(release_dir: Path, assignment: str, cells: dict[str, str | None],
                     dest: Path, source_dir: Path | None = None) -> None:
    """Copy release/<assignment>/ to dest, filling in the student's cells
    (with cells.fallback == SOLUTION, the cells it does not list from the
    solutions in source_dir, by default the course's source/ beside release_dir)."""
    src = release_dir / assignment
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    fallback = getattr(cells, "fallback", None) == SOLUTION
    for path in sorted(dest.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        solutions = _solutions(source_dir or release_dir.parent / "source", assignment, path.name) if fallback else {}
        added = []
        for cell in nb.cells:
            added.append(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            is_solution = cell.metadata.get("nbgrader", {}).get("solution")
            if is_solution and cells.get(grade_id) is not None:
                cell.source = cells[grade_id].rstrip("\n")
            elif is_solution and grade_id not in cells and grade_id in solutions:
                cell.source = solutions[grade_id].rstrip("\n")
            if grade_id and cells.get(f"{grade_id}{MARKDOWN}") is not None:
                added.append(nbformat.v4.new_markdown_cell(cells[f"{grade_id}{MARKDOWN}"].rstrip("\n")))
        nb.cells = added
        nbformat.write(nb, path)
