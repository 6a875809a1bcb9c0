"""The "Try it (not graded)" cells of the released notebooks, run as a
student runs them (nbclient, a real kernel) with the sample class's code:
one line per value or parameter checked, "OK / 一致" for a right one, every
one checked even after a wrong one, and a gradient of the wrong shape named
with its parameter instead of a NumPy broadcasting error."""
from __future__ import annotations

import os
import re

import nbformat
import pytest

from bpkit.sample import student_cells, write_submission
from conftest import ROOT
from reference.network import PARAMS

OK = "OK / 一致"


def run_released(tmp_path, student: str, assignment: str) -> list:
    """The released notebook of `assignment` with `student`'s cells, executed
    top to bottom (errors kept as outputs, as Shift+Enter on every cell would);
    returns its Try-it cells."""
    from nbclient import NotebookClient

    dest = tmp_path / assignment
    write_submission(ROOT / "release", assignment, student_cells(student), dest)
    (path,) = dest.glob("*.ipynb")
    nb = nbformat.read(path, as_version=4)
    # BPKIT_GRADING: the "Check my work" cells stay silent, as while grading (they are not under test here)
    NotebookClient(nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(dest)}}).execute(
        env=dict(os.environ, BPKIT_GRADING="1", MPLBACKEND="Agg"))
    return [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("# Try it (not graded)")]


def printed(cell) -> list[str]:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream").splitlines()


def errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]


def checked_names(cell) -> list[str]:
    """What a Try-it cell checks, read from its source: the names given to
    gradient_check, the book's values, the input forms, the network's parameters."""
    source = cell.source
    names = (re.findall(r'gradient_check\("([^"]+)"', source) or re.findall(r'"(\w+)": [\d.]+', source)
             or re.findall(r'\("([^"]+ / [^"]+)", y', source))
    if "compare_gradients(" in source:
        names = list(PARAMS)
    if "dW = numerical_gradient(f, net.W)" in source:
        names = ["dW"]
    assert names, source
    return names


def lines_for(cell) -> dict[str, list[str]]:
    lines = printed(cell)
    return {name: [line for line in lines if line.startswith((f"{name}:", f"{name} ="))] for name in checked_names(cell)}


ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "release").glob("*/*.ipynb"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_right_code_prints_one_ok_line_per_value_checked(tmp_path, assignment):
    cells = run_released(tmp_path, "aoki", assignment)  # the book's code: full marks
    assert cells
    for cell in cells:
        assert not errors(cell), (cell.source, errors(cell))
        for name, lines in lines_for(cell).items():
            assert len(lines) == 1 and OK in lines[0], (name, printed(cell))


def test_every_gradient_of_a_layer_is_checked_after_a_wrong_one(tmp_path):
    """Fujita's Affine: dx right, dW transposed, db summed over everything."""
    cells = {checked_names(c)[0]: c for c in run_released(tmp_path, "fujita", "ch5_backprop")}
    affine = cells["Affine dx"]
    assert not errors(affine)
    lines = lines_for(affine)
    assert OK in lines["Affine dx"][0]
    (dW,) = lines["Affine dW"]
    assert OK not in dW and "shape (2, 4), but the gradient has shape (4, 2)" in dW and "の形状が (2, 4)" in dW
    (db,) = lines["Affine db"]
    assert OK not in db and "shape (), but the gradient has shape (2,)" in db
    relu = lines_for(cells["Relu dx"])["Relu dx"]
    assert len(relu) == 1 and "differs from the numerical gradient" in relu[0] and "数値微分" in relu[0]


def test_a_gradient_from_the_wrong_layer_is_named_by_its_shape_not_a_broadcasting_error(tmp_path):
    """Fujita's TwoLayerNet takes W1/b1's gradients from Affine2 and W2/b2's from Affine1."""
    (cell,) = run_released(tmp_path, "fujita", "ch5_two_layer_net")
    assert not errors(cell), errors(cell)  # was: ValueError: operands could not be broadcast together
    lines = lines_for(cell)
    (w1,) = lines["W1"]
    assert "its gradient has shape (5, 3), but W1 has shape (4, 5) ((5, 3) is the shape of W2)" in w1
    assert "W1 の勾配の形状が (5, 3) ですが、W1 の形状は (4, 5) です（(5, 3) は W2 の形状です）" in w1
    assert all(len(found) == 1 and OK not in found[0] for found in lines.values()), printed(cell)


def test_every_input_form_is_tried_after_one_raises(tmp_path):
    """Endo's label-only cross-entropy: 6.21 for one-hot t, an IndexError for a one-hot batch."""
    forms = next(c for c in run_released(tmp_path, "endo", "ch4_gradients") if "four forms" in c.source)
    assert not errors(forms)
    lines = lines_for(forms)
    assert all(len(found) == 1 for found in lines.values()), printed(forms)
    one_hot, label, batch_one_hot, batch_labels = (found[0] for found in lines.values())
    assert "6.21" in one_hot and OK not in one_hot and "0.35667" in one_hot
    assert OK in label and OK in batch_labels
    assert "IndexError" in batch_one_hot
