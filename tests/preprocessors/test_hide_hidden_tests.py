"""HideHiddenTests: a feedback page shows neither the code of a hidden test
nor a traceback that would list it (stock nbgrader shows both)."""
from __future__ import annotations

import nbformat
import numpy as np

from bpkit.checks.core import DATA_PREFIX, encode_arrays
from bpkit.preprocessors.hide_hidden_tests import HideHiddenTests, short_error, strip_hidden

HIDDEN = ('"""Affine.backward gives dW."""\n'
          "assert Affine is not None\n"
          "### BEGIN HIDDEN TESTS\n"
          "from bpkit.probe import check\n"
          'check("ch5.affine_backward_dW", Affine)\n'
          "### END HIDDEN TESTS\n")


def cell_with(source: str, outputs=(), grade: bool = True, solution: bool = False):
    cell = nbformat.v4.new_code_cell(source, outputs=list(outputs))
    if grade is not None:
        cell.metadata["nbgrader"] = {"grade": grade, "solution": solution, "grade_id": "g", "points": 1,
                                     "locked": not solution}
    return cell


def hide(*cells):
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb, _ = HideHiddenTests().preprocess(nb, {})
    return nb.cells


def test_is_the_hidden_region_removed_from_a_test_cell_and_the_visible_test_kept():
    (cell,) = hide(cell_with(HIDDEN))
    assert cell.source == '"""Affine.backward gives dW."""\nassert Affine is not None\n'


def test_are_several_hidden_regions_all_removed_and_the_code_between_them_kept():
    source = ("### BEGIN HIDDEN TESTS\nsecret_one()\n### END HIDDEN TESTS\n"
              "visible()\n"
              "    ### BEGIN HIDDEN TESTS\n    secret_two()\n    ### END HIDDEN TESTS\n")
    (cell,) = hide(cell_with(source))
    assert cell.source == "visible()\n"


def test_is_an_unterminated_hidden_region_left_as_it_is():
    # nbgrader refuses such a cell when it generates the assignment; nothing here guesses its end
    source = "visible()\n### BEGIN HIDDEN TESTS\nsecret()\n"
    assert strip_hidden(source) == source


def test_is_a_traceback_replaced_by_the_message_alone():
    traceback = ["\x1b[0;31mCheckFailure\x1b[0m Traceback (most recent call last)",
                 "Cell In[3], line 4\n      3 from bpkit.probe import check\n"
                 '----> 4 check("ch5.affine_backward_dW", Affine)',
                 "CheckFailure: dW is transposed."]
    error = nbformat.v4.new_output("error", ename="CheckFailure", evalue="dW is transposed.", traceback=traceback)
    (cell,) = hide(cell_with(HIDDEN, [error]))
    (output,) = cell.outputs
    assert output.traceback == ["CheckFailure: dW is transposed."]
    assert output.evalue == "dW is transposed." and output.ename == "CheckFailure"


def test_is_the_data_line_of_a_message_dropped_from_the_message_and_the_traceback():
    data = encode_arrays(np.zeros(3), np.ones(3))
    error = nbformat.v4.new_output("error", ename="CheckFailure", evalue=f"dW is wrong.\n{data}\ndW が違います。",
                                   traceback=[f"CheckFailure: dW is wrong.\n{data}"])
    (cell,) = hide(cell_with(HIDDEN, [error]))
    (output,) = cell.outputs
    assert output.evalue == "dW is wrong.\ndW が違います。"
    assert output.traceback == ["CheckFailure: dW is wrong.\ndW が違います。"]
    assert short_error(f"{data}") == "" and DATA_PREFIX not in short_error(f"a\n{data}\nb")


def test_are_stream_and_display_outputs_of_a_test_cell_left_alone():
    stream = nbformat.v4.new_output("stream", name="stdout", text="### BEGIN HIDDEN TESTS printed\n")
    shown = nbformat.v4.new_output("display_data", data={"text/plain": "42"})
    (cell,) = hide(cell_with(HIDDEN, [stream, shown]))
    assert [dict(o) for o in cell.outputs] == [dict(stream), dict(shown)]


def test_are_cells_that_are_not_graded_left_untouched():
    traceback = ["Traceback with 'secret' lines", "ValueError: x"]
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=traceback)
    ordinary = cell_with(HIDDEN, [error], grade=None)
    answer = cell_with(HIDDEN, [error], grade=False, solution=True)
    markdown = nbformat.v4.new_markdown_cell("### BEGIN HIDDEN TESTS\nnot code\n### END HIDDEN TESTS\n")
    cells = hide(ordinary, answer, markdown)
    assert [c.source for c in cells] == [HIDDEN, HIDDEN, markdown.source]
    assert cells[0].outputs[0].traceback == traceback and cells[1].outputs[0].traceback == traceback


def test_is_a_graded_answer_cell_cleaned_like_a_test_cell():
    # grade and solution: an autograded answer; its hidden region (if any) is hidden too
    (cell,) = hide(cell_with(HIDDEN, grade=True, solution=True))
    assert "BEGIN HIDDEN TESTS" not in cell.source and "check(" not in cell.source
