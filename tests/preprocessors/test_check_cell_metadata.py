"""bpkit.preprocessors.CachedCheckCellMetadata: nbgrader's CheckCellMetadata
with the schema compiled once, and the same verdict on every notebook."""
from __future__ import annotations

import copy

import nbformat
import pytest
from nbgrader.preprocessors import CheckCellMetadata

from bpkit.preprocessors import CachedCheckCellMetadata
from conftest import ROOT


def released_notebook():
    path = sorted((ROOT / "release" / "ch5_backprop").glob("*.ipynb"))[0]
    return nbformat.read(path, as_version=4)


def graded_cell(nb):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))


def breakages():
    """(what, change) pairs, each making nbgrader's own step refuse."""
    def drop(key):
        return lambda nb: graded_cell(nb).metadata.nbgrader.pop(key)

    def set_(key, value):
        return lambda nb: graded_cell(nb).metadata.nbgrader.__setitem__(key, value)

    def duplicate(nb):
        cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")]
        cells[1].metadata.nbgrader.grade_id = cells[0].metadata.nbgrader.grade_id

    return [("no points", drop("points")), ("points as text", set_("points", "two")),
            ("empty grade id", set_("grade_id", "")), ("old schema", set_("schema_version", 1)),
            ("new schema", set_("schema_version", 9)), ("grade not a bool", set_("grade", "yes")),
            ("duplicate ids", duplicate)]


def test_does_a_valid_notebook_pass_both_steps_unchanged():
    nb = released_notebook()
    before = copy.deepcopy(nb)
    assert CachedCheckCellMetadata().preprocess(nb, {})[0] == before
    CheckCellMetadata().preprocess(nb, {})


@pytest.mark.parametrize("what, change", breakages(), ids=[w for w, _ in breakages()])
def test_is_every_notebook_nbgraders_step_refuses_refused_too(what, change):
    nb = released_notebook()
    change(nb)
    with pytest.raises(Exception) as stock:
        CheckCellMetadata().preprocess(copy.deepcopy(nb), {})
    with pytest.raises(Exception) as cached:
        CachedCheckCellMetadata().preprocess(nb, {})
    assert type(cached.value) is type(stock.value) and str(cached.value) == str(stock.value)
