"""Which exercise a notebook is, from its cells: by grade id, by the text of
its locked cells when the metadata is gone, never by its file name."""
import json

import nbformat
import pytest

from bpkit.learner.bundle import course_root
from bpkit.learner.recognise import cells_checking, exercises, graded_cells, recognise
from bpkit.checks import registry
from conftest import ROOT

RELEASED = sorted((ROOT / "release").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.parent.name)
def test_a_released_notebook_is_recognised_whatever_its_name(path):
    nb = nbformat.read(path, as_version=4)
    exercise = recognise(nb)
    assert (exercise.assignment, exercise.notebook) == (path.parent.name, path.stem)


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.parent.name)
def test_a_notebook_without_nbgrader_metadata_is_recognised_by_its_locked_cells(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata = {}
    exercise = recognise(nb)
    assert (exercise.assignment, exercise.notebook) == (path.parent.name, path.stem)


def test_an_unrelated_notebook_is_not_taken_for_an_exercise():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy as np"),
                                         nbformat.v4.new_code_cell("print(1)")])
    assert recognise(nb) is None


def test_cells_pasted_from_another_exercise_do_not_change_which_exercise_it_is():
    ch4, ch5 = (nbformat.read(p, as_version=4) for p in RELEASED[:2])
    pasted = [nbformat.from_dict(c) for c in ch5.cells[:8]]
    for cell in pasted:
        cell.pop("id", None)
    ch4.cells += pasted
    exercise = recognise(ch4)
    assert (exercise.assignment, exercise.notebook) == (RELEASED[0].parent.name, RELEASED[0].stem)


def test_the_graded_cells_are_the_registry_s_with_each_check_s_target():
    for exercise in exercises(course_root()):
        cells = graded_cells(exercise)
        expected = [c for c in registry.grade_cells(ROOT, exercise.assignment) if c.notebook == exercise.notebook]
        assert [c.grade_id for c in cells] == [c.grade_id for c in expected]
        assert [tuple(n for n, _ in c.checks) for c in cells] == [c.checks for c in expected]
        assert [c.points for c in cells] == [c.points for c in expected]
        assert all(target for c in cells for _, target in c.checks)


def test_every_checked_name_belongs_to_one_exercise_only():
    """check_my_work("softmax") picks the exercise by the name: no name may be graded in two."""
    owners = {}
    for exercise in exercises(course_root()):
        for cell in graded_cells(exercise):
            for _, target in cell.checks:
                owners.setdefault(target, set()).add(exercise.assignment)
    assert owners and all(len(found) == 1 for found in owners.values()), owners
    for target, (assignment,) in owners.items():
        assert cells_checking(target)[0].assignment == assignment


def test_shipped_notebooks_are_read_as_plain_json():
    """The check cells' import chain stays light: recognise never needs nbformat for the shipped notebooks."""
    exercise = exercises(course_root())[0]
    assert json.loads(exercise.source.read_text(encoding="utf-8"))["nbformat"] == 4


def test_every_graded_cell_names_its_behaviour_in_english_then_in_japanese():
    import html

    from bpkit.learner.outcome import Outcome, html_table, text_table

    for exercise in exercises():
        for cell in graded_cells(exercise):
            english, japanese = cell.behaviour.split("\n")
            assert english.isascii() and not japanese.isascii(), cell.behaviour
    cell = graded_cells(exercises()[0])[0]
    outcome = Outcome(cell.grade_id, cell.behaviour, cell.points, cell.points)
    english, japanese = cell.behaviour.split("\n")
    assert f"{english}\n      {japanese}" in text_table("t", [outcome])
    assert f"{html.escape(english)}<br>{html.escape(japanese)}" in html_table("t", [outcome])
