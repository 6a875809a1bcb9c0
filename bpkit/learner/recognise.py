"""Which exercise a learner's notebook is, read from its cells.

A learner may rename, move or copy a notebook (their own, or one a friend
sent them), so ``bpkit check`` never trusts the file or folder name: it
compares the notebook's cells with the instructor's notebooks of the shipped
course (bpkit.learner.bundle).  A cell matches by its nbgrader ``grade_id``
(Jupyter, VS Code and Colab keep cell metadata) or, where the metadata was
lost, by the exact text of a cell the learner does not edit (the released
version of a locked cell).  The instructor's grade cells, read from
``source/``, say what is graded: the check each calls, on which of the
learner's names, and its points.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from bpkit.course import behaviour
from bpkit.learner.bundle import course_root

__all__ = ["Exercise", "GradedCell", "exercises", "graded_cells", "recognise", "cells_checking", "MIN_MATCH"]

#: Share of an exercise's identifying cells a notebook must have to be taken for it.
MIN_MATCH = 0.5
#: check("<name>", <target>) in an instructor's hidden test.
_CHECK = re.compile(r"""\bcheck\(\s*["']([\w.]+)["']\s*,\s*([A-Za-z_]\w*)\s*\)""")


@dataclass(frozen=True)
class Exercise:
    """One notebook of the shipped course."""

    assignment: str
    notebook: str  # file name without .ipynb
    root: Path  # the course directory it comes from

    @property
    def source(self) -> Path:
        return self.root / "source" / self.assignment / f"{self.notebook}.ipynb"

    @property
    def release(self) -> Path:
        return self.root / "release" / self.assignment / f"{self.notebook}.ipynb"


@dataclass(frozen=True)
class GradedCell:
    """An instructor's grade cell: what it grades and how."""

    grade_id: str
    behaviour: str  # the cell's docstring: its English line, a newline, its Japanese line (bpkit.course.behaviour)
    points: float
    checks: tuple[tuple[str, str], ...]  # (check name, the learner's name it is given), in call order
    source: str  # the whole cell, hidden tests included (never shown to the learner)


def exercises(root: Path | None = None) -> list[Exercise]:
    """Every notebook of the shipped course, in assignment order."""
    root = root or course_root()
    return [Exercise(p.parent.name, p.stem, root) for p in sorted((root / "source").glob("*/*.ipynb"))]


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


class _Cell(dict):
    """A cell of a shipped notebook, read as plain JSON (a check cell runs
    in the learner's kernel, where importing nbformat costs over a second)."""

    @property
    def source(self) -> str:
        source = self.get("source", "")
        return "".join(source) if isinstance(source, list) else str(source)

    @property
    def cell_type(self) -> str:
        return self.get("cell_type", "")


@dataclass(frozen=True)
class _Notebook:
    cells: tuple


@functools.lru_cache(maxsize=None)
def _read(path: Path) -> _Notebook:
    """A shipped (nbformat 4) notebook."""
    return _Notebook(tuple(_Cell(c) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]))


@functools.lru_cache(maxsize=None)
def graded_cells(exercise: Exercise) -> tuple[GradedCell, ...]:
    """The grade cells of the instructor's notebook, in notebook order."""
    found = []
    for cell in _read(exercise.source).cells:
        meta = _meta(cell)
        if meta.get("grade") and not meta.get("solution") and meta.get("grade_id"):
            found.append(GradedCell(meta["grade_id"], behaviour(cell.source, meta["grade_id"], sep="\n"),
                                    float(meta.get("points") or 0), tuple(_CHECK.findall(cell.source)),
                                    cell.source))
    return tuple(found)


@functools.lru_cache(maxsize=None)
def _identity(exercise: Exercise) -> tuple[frozenset[str], frozenset[str]]:
    """(grade ids of the cells nbgrader tracks, texts of the released locked
    code cells) of one exercise."""
    ids = frozenset(_meta(c)["grade_id"] for c in _read(exercise.source).cells if _meta(c).get("grade_id"))
    texts = frozenset(c.source.strip() for c in _read(exercise.release).cells
                      if c.cell_type == "code" and _meta(c).get("locked") and c.source.strip())
    return ids, texts


def recognise(nb, root: Path | None = None) -> Exercise | None:
    """The shipped exercise `nb` is (its share of the exercise's grade ids or
    of its locked cells' texts, whichever is higher, at least MIN_MATCH and
    more than any other exercise's), or None."""
    ids = {_meta(c).get("grade_id") for c in nb.cells if isinstance(_meta(c).get("grade_id"), str)}
    texts = {c.source.strip() for c in nb.cells if c.get("cell_type") == "code" and isinstance(c.get("source"), str)}
    scored = []
    for exercise in exercises(root):
        known_ids, known_texts = _identity(exercise)
        share = max(len(ids & known_ids) / max(len(known_ids), 1), len(texts & known_texts) / max(len(known_texts), 1))
        scored.append((share, exercise))
    scored.sort(key=lambda item: -item[0])
    if not scored or scored[0][0] < MIN_MATCH or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def cells_checking(target: str, root: Path | None = None) -> tuple[Exercise | None, list[GradedCell]]:
    """The exercise whose grade cells check the learner's `target` (a class
    or function name, e.g. "Relu") and those cells; (None, []) if none does."""
    for exercise in exercises(root):
        cells = [c for c in graded_cells(exercise) if any(t == target for _, t in c.checks)]
        if cells:
            return exercise, cells
    return None, []
