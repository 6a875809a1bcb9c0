"""RemoveDuplicateGradeIds: a notebook in which a student copied a graded
cell is repaired so that it can be graded, instead of failing as a whole as
nbgrader's DeduplicateIds and CheckCellMetadata would make it."""
from __future__ import annotations

import copy
import logging

import nbformat

from bpkit.preprocessors.remove_duplicate_grade_ids import RemoveDuplicateGradeIds


def graded(grade_id: str, source: str, grade: bool, solution: bool):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": grade, "solution": solution, "grade_id": grade_id, "locked": not solution,
                                 "schema_version": 3, **({"points": 1} if grade else {})}
    return cell


def answer(grade_id, source):
    return graded(grade_id, source, grade=False, solution=True)


def grade_cell(grade_id, source):
    """A test cell (grade, not solution)."""
    return graded(grade_id, source, grade=True, solution=False)


def repair(*cells):
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb, _ = RemoveDuplicateGradeIds().preprocess(nb, {})
    nbformat.validate(nb)
    return nb.cells


def grade_ids(cells):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in cells]


def test_is_a_copied_test_cell_dropped_and_the_last_copy_kept():
    cells = repair(answer("softmax", "def softmax(a): ..."), grade_cell("softmax_test", "check(1)"),
                   nbformat.v4.new_code_cell("print('trying')"), grade_cell("softmax_test", "check(2)"))
    assert [c.source for c in cells] == ["def softmax(a): ...", "print('trying')", "check(2)"]
    assert grade_ids(cells) == ["softmax", None, "softmax_test"]


def test_does_an_earlier_copy_of_a_solution_cell_become_ordinary_code_in_place():
    cells = repair(answer("softmax", "def softmax(a): return a  # first try"), grade_cell("softmax_test", "check()"),
                   answer("softmax", "def softmax(a): return a / a.sum()  # second try"))
    assert [c.source for c in cells] == ["def softmax(a): return a  # first try", "check()",
                                         "def softmax(a): return a / a.sum()  # second try"]
    assert "nbgrader" not in cells[0].metadata  # ordinary code: it still runs, it is not graded
    assert cells[2].metadata["nbgrader"]["solution"] and cells[2].metadata["nbgrader"]["grade_id"] == "softmax"


def test_is_an_earlier_copy_of_an_autograded_answer_kept_as_ordinary_code_not_dropped():
    cells = repair(graded("free", "x = 1", grade=True, solution=True),
                   graded("free", "x = 2", grade=True, solution=True))
    assert [c.source for c in cells] == ["x = 1", "x = 2"]
    assert grade_ids(cells) == [None, "free"]


def test_are_three_copies_reduced_to_one_graded_cell():
    cells = repair(grade_cell("t", "a"), answer("s", "1"), grade_cell("t", "b"), answer("s", "2"), grade_cell("t", "c"),
                   answer("s", "3"))
    assert [c.source for c in cells] == ["1", "2", "c", "3"]
    assert grade_ids(cells) == [None, None, "t", "s"]


def test_is_a_notebook_without_copies_left_exactly_as_it_was():
    cells = [nbformat.v4.new_markdown_cell("# Softmax"), answer("softmax", "def softmax(a): ..."),
             grade_cell("softmax_test", "check()"), nbformat.v4.new_code_cell("softmax([1, 2])")]
    before = copy.deepcopy(cells)
    assert repair(*cells) == before


def test_is_a_copied_markdown_answer_treated_like_a_solution_cell():
    first, second = nbformat.v4.new_markdown_cell("my first answer"), nbformat.v4.new_markdown_cell("my final answer")
    for cell in (first, second):
        cell.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "explain", "points": 1,
                                     "locked": False, "schema_version": 3}
    cells = repair(first, second)
    assert [c.source for c in cells] == ["my first answer", "my final answer"]
    assert grade_ids(cells) == [None, "explain"]


def test_is_each_repair_logged_as_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        repair(answer("s", "1"), answer("s", "2"), grade_cell("t", "a"), grade_cell("t", "b"))
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert messages == ["Dropping a copy of test cell 't'", "Treating an earlier copy of cell 's' as ordinary code"]


def test_does_nbgraders_metadata_check_accept_the_repaired_notebook():
    from nbgrader.preprocessors import CheckCellMetadata

    nb = nbformat.v4.new_notebook(cells=[answer("s", "1"), grade_cell("t", "a"), answer("s", "2"),
                                         grade_cell("t", "b")])
    nb, _ = RemoveDuplicateGradeIds().preprocess(nb, {})
    CheckCellMetadata().preprocess(nb, {})  # raises on duplicate grade ids
    assert grade_ids(nb.cells) == [None, "s", "t"]
