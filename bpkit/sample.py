"""The bundled sample class: students' answers kept as readable Python files
and turned into nbgrader submissions from the released notebooks.

Each ``sample_class/<student>.py`` holds cells introduced by ``# %% <grade_id>``
(the nbgrader id of a solution cell).  ``# %% <grade_id> stub`` keeps the
released stub, ``# %% <grade_id> +markdown`` adds a markdown cell (the text
that follows, as is) right after that cell, and a first line
``# based on: <other>`` starts from another student's cells (looked up
beside the file, then in the sample class).  Solution cells a student never
mentions keep their stub.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

__all__ = ["SAMPLE_DIR", "sample_students", "student_cells", "write_submission"]

SAMPLE_DIR = Path(__file__).with_name("sample_class")
_CELL = re.compile(r"^# %% (\S+)( stub| \+markdown)?\s*$", re.MULTILINE)
MARKDOWN = " +markdown"  # cells[f"{grade_id} +markdown"]: a markdown cell added after grade_id
_BASED_ON = re.compile(r"^# based on: (\S+)\s*$", re.MULTILINE)


def sample_students() -> list[str]:
    return sorted(p.stem for p in SAMPLE_DIR.glob("*.py"))


def student_cells(student: str, directory: Path = SAMPLE_DIR) -> dict[str, str | None]:
    """grade_id -> the student's code for that solution cell (None = stub);
    "<grade_id> +markdown" -> a markdown cell the student added after it."""
    text = (directory / f"{student}.py").read_text(encoding="utf-8")
    based_on = _BASED_ON.search(text.split("# %%", 1)[0])
    cells = {}
    if based_on:
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


def write_submission(release_dir: Path, assignment: str, cells: dict[str, str | None],
                     dest: Path) -> None:
    """Copy release/<assignment>/ to dest, filling in the student's cells."""
    src = release_dir / assignment
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for path in sorted(dest.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        added = []
        for cell in nb.cells:
            added.append(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution") and cells.get(grade_id) is not None:
                cell.source = cells[grade_id].rstrip("\n")
            if grade_id and cells.get(f"{grade_id}{MARKDOWN}") is not None:
                added.append(nbformat.v4.new_markdown_cell(cells[f"{grade_id}{MARKDOWN}"].rstrip("\n")))
        nb.cells = added
        nbformat.write(nb, path)
