"""The judge's verdicts become scores and notes (bpkit.grading.verdicts).

A note saying a visible example's failure comes from a mistake graded in
another cell is shown only when it is true: it names the cells grading the
same code that did not pass, for every grade cell of the course, and claims
nothing when there is none.  A check a cost cap stopped is never an
integrity finding."""
from __future__ import annotations

from types import SimpleNamespace

import nbformat
import pytest

from bpkit.checks import registry
from bpkit.grading.records import CellVerdict
from bpkit.grading.verdicts import (COST_LIMIT_KEY, VISIBLE_ONLY_UNEXPLAINED, annotate, apply_verdicts, graded_with,
                                    visible_only_note)
from bpkit.judging.judge import Verdict
from conftest import ROOT

CELLS = registry.grade_cells(ROOT)
BY_NOTEBOOK: dict = {}
for _cell in CELLS:
    BY_NOTEBOOK.setdefault(_cell.notebook, {})[_cell.grade_id] = _cell
RELATED = graded_with(BY_NOTEBOOK)


def graded_notebook(folder, notebook: str, failing_visible: str):
    """A graded notebook of `notebook`'s grade cells; `failing_visible`'s
    visible example raised an AssertionError."""
    nb = nbformat.v4.new_notebook()
    for grade_id in BY_NOTEBOOK[notebook]:
        cell = nbformat.v4.new_code_cell("...")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": 1}
        if grade_id == failing_visible:
            cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="expected / 期待値",
                                                   traceback=["AssertionError: expected"])]
        nb.cells.append(cell)
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / f"{notebook}.ipynb")


def notes_of(folder, notebook: str, grade_id: str) -> str:
    nb = nbformat.read(folder / f"{notebook}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == grade_id]
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


@pytest.mark.parametrize("cell", CELLS, ids=[c.grade_id for c in CELLS])
def test_the_visible_only_note_names_a_cell_only_when_one_grading_the_same_code_failed(tmp_path, cell):
    others = list(BY_NOTEBOOK[cell.notebook])
    others.remove(cell.grade_id)
    related = RELATED[cell.notebook][cell.grade_id]
    assert set(related) <= set(others)
    assert all(set(cell.objects) & set(BY_NOTEBOOK[cell.notebook][o].objects) for o in related)
    unrelated = [o for o in others if o not in related]

    def note(failed: list[str]) -> str:
        folder = tmp_path / "-".join(failed or ["none"])
        graded_notebook(folder, cell.notebook, cell.grade_id)
        verdicts = {g: CellVerdict(g not in failed, True, "" if g not in failed else "wrong\n違う\n[wrong_values]",
                                   in_notebook=0.0 if g == cell.grade_id else 1.0) for g in BY_NOTEBOOK[cell.notebook]}
        annotate(folder, {cell.notebook: verdicts}, related=RELATED)
        return notes_of(folder, cell.notebook, cell.grade_id)

    # nothing else failed: no claim that another cell grades the failure
    assert note([]) == VISIBLE_ONLY_UNEXPLAINED
    # a cell grading other code failed: still no claim
    if unrelated:
        assert note(unrelated[:1]) == VISIBLE_ONLY_UNEXPLAINED
    # a cell grading the same code failed: the note names it, in both languages
    for other in related:
        text = note([other])
        assert text == visible_only_note([other]) and text.count(f"`{other}`") == 2
        assert not any(f"`{u}`" in text for u in unrelated)


def test_cells_grading_the_same_object_are_related_both_ways():
    for notebook, related in RELATED.items():
        for grade_id, others in related.items():
            assert all(grade_id in related[o] for o in others)
    affine = RELATED["backprop_layers"]["affine_backward_dW_is_x_transposed_times_dout"]
    assert "affine_backward_dx_is_dout_times_W_transposed" in affine and "relu_backward_masks_gradient" not in affine


def _judge(verdicts: dict) -> SimpleNamespace:
    return SimpleNamespace(verdicts={k: [v] for k, v in verdicts.items()}, refused=[], refused_count=0)


def test_a_check_a_cost_cap_stopped_is_never_an_integrity_finding():
    cell = next(c for c in CELLS if c.checks == ("ch4.numerical_gradient_nd",))
    cells = {cell.notebook: {cell.grade_id: cell}}
    stopped = Verdict(False, f"The grader stopped checking because of a limit on cost: ...\n...\n[{COST_LIMIT_KEY}]")
    record = apply_verdicts({cell.notebook: {cell.grade_id: 1.0}}, _judge({cell.checks[0]: stopped}), cells)
    assert record.findings == [] and not record.cells[cell.notebook][cell.grade_id].passed
    # ... while any other judged failure of a cell the notebook passed is one
    wrong = Verdict(False, "wrong\n違う\n[wrong_values]")
    record = apply_verdicts({cell.notebook: {cell.grade_id: 1.0}}, _judge({cell.checks[0]: wrong}), cells)
    assert [f.cell for f in record.findings] == [cell.grade_id]


# ------------------------------------------ issue 24: the course's mistakes are never the student's ---

def test_a_course_configuration_error_keeps_the_cells_points_and_is_no_integrity_finding(tmp_path):
    from dataclasses import replace

    from bpkit.grading.records import JudgeRecord
    from bpkit.judging.judge import COURSE_ERROR
    from bpkit.probe import NOT_PASSED

    cell = next(c for c in CELLS if c.checks == ("ch4.softmax_batch",))
    broken = Verdict(False, COURSE_ERROR, course_error="check ch4.softmax_batch: the check passes a set ...")
    for in_notebook in (0.0, 1.0):  # whatever the notebook showed
        grades = {cell.notebook: {cell.grade_id: in_notebook}}
        record = apply_verdicts(grades, _judge({cell.checks[0]: broken}), {cell.notebook: {cell.grade_id: cell}})
        assert grades[cell.notebook][cell.grade_id] == cell.points  # not scored against the student
        assert record.findings == []  # not an integrity finding
        assert [(e.cell, e.message) for e in record.course_errors] == [(cell.grade_id, broken.course_error)]
    # a check a source cell names that the registry does not know: the same, without reaching the judge
    typo = replace(cell, checks=("ch4.softmax_batchh",))
    grades = {cell.notebook: {cell.grade_id: 0.0}}
    record = apply_verdicts(grades, _judge({}), {cell.notebook: {cell.grade_id: typo}})
    assert grades[cell.notebook][cell.grade_id] == cell.points and record.findings == []
    (error,) = record.course_errors
    assert "'ch4.softmax_batchh'" in error.message and "did you mean 'ch4.softmax_batch'" in error.message
    # ... while a student's own failure still costs the cell (the test can fail)
    grades = {cell.notebook: {cell.grade_id: 0.0}}
    record = apply_verdicts(grades, _judge({cell.checks[0]: Verdict(False, "wrong\n違う\n[wrong_values]")}),
                            {cell.notebook: {cell.grade_id: cell}})
    assert grades[cell.notebook][cell.grade_id] == 0.0 and record.course_errors == []
    # the graded notebook tells the student, in both languages, instead of showing the probe's placeholder
    nb = nbformat.v4.new_notebook()
    graded = nbformat.v4.new_code_cell("...")
    graded.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": cell.grade_id, "points": 1}
    graded.outputs = [nbformat.v4.new_output("error", ename="CheckFailure", evalue=NOT_PASSED, traceback=[])]
    nb.cells.append(graded)
    nbformat.write(nb, tmp_path / f"{cell.notebook}.ipynb")
    verdict = CellVerdict(True, True, COURSE_ERROR, course_error=broken.course_error)
    annotate(tmp_path, {cell.notebook: {cell.grade_id: verdict}}, JudgeRecord())
    (out,) = nbformat.read(tmp_path / f"{cell.notebook}.ipynb", as_version=4).cells[0].outputs
    assert out.output_type == "stream" and "not in your code" in out.text and "減点はしません" in out.text
    # the record survives the judge file
    record.course_errors = [e for e in record.course_errors] or []
    written = JudgeRecord(course_errors=[error]).write(tmp_path / "record")
    assert JudgeRecord.read(written).course_errors == [error]
