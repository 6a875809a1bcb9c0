"""bpkit.grading.root_cause: a NameError caused by an earlier failed cell names
that cell, its error and its line (issue 11)."""
from __future__ import annotations

import nbformat

from bpkit.grading.records import failure_reason
from bpkit.grading.root_cause import defined_names, explain_name_errors


def _cell(source: str, grade_id: str | None = None, error: tuple[str, str] | None = None):
    cell = nbformat.v4.new_code_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id}
    if error:
        cell.outputs = [nbformat.v4.new_output("error", ename=error[0], evalue=error[1], traceback=[])]
    return cell


BROKEN = "class Sigmoid:\n    def forward(self, x):\n        return 1 / (1 + np.exp(-x))\n    def backward(self dout):\n        pass\n"


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_a_name_error_after_a_syntax_error_points_at_the_cell_and_its_line():
    nb = notebook(_cell(BROKEN, "Sigmoid", ("SyntaxError", "invalid syntax (123.py, line 4)")),
                  _cell("check(Sigmoid)", "sigmoid_forward", ("NameError", "name 'Sigmoid' is not defined")),
                  _cell("check(Sigmoid)", "sigmoid_backward", ("NameError", "name 'Sigmoid' is not defined")))
    assert explain_name_errors(nb)
    for cell in nb.cells[1:]:
        evalue = cell.outputs[0]["evalue"]
        assert "the cell that defines it (Sigmoid) failed earlier with SyntaxError" in evalue
        assert "line 4: `def backward(self dout):`" in evalue and "先に SyntaxError で失敗" in evalue
        assert failure_reason(cell) == "earlier_cell_failed"


def test_a_name_error_with_no_failed_definition_is_left_alone():
    nb = notebook(_cell("class Relu:\n    pass\n", "Relu"),
                  _cell("check(Sigmoid)", "sigmoid_forward", ("NameError", "name 'Sigmoid' is not defined")),
                  _cell("x = 1/0", "other", ("ZeroDivisionError", "division by zero")),
                  _cell("Relu2()", "relu", ("NameError", "name 'Relu2' is not defined")))
    assert not explain_name_errors(nb)
    assert nb.cells[1].outputs[0]["evalue"] == "name 'Sigmoid' is not defined"


def test_a_runtime_error_in_the_defining_cell_is_named_too():
    nb = notebook(_cell("W = np.load('missing.npy')\n", "setup", ("FileNotFoundError", "No such file")),
                  _cell("W.shape", "uses_W", ("NameError", "name 'W' is not defined")))
    assert explain_name_errors(nb)
    assert "failed earlier with FileNotFoundError" in nb.cells[1].outputs[0]["evalue"]


def test_defined_names_reads_even_a_cell_that_does_not_parse():
    assert defined_names(BROKEN) == {"Sigmoid"}
    assert defined_names("import numpy as np\nx, (y, z) = 1, (2, 3)\ndef f():\n    pass\n") == {"np", "x", "y", "z", "f"}
