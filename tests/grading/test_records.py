"""bpkit.grading.records: the judge file (JudgeRecord) and what is read
back from it."""
from __future__ import annotations

import json

from bpkit.grading.records import (JUDGE_FILE, CellVerdict, Finding, JudgeRecord, failure_reason, judge_failures,
                                   judge_findings, mistake_key)

FAILED = ("softmax sums over the wrong axis\nsoftmax の和の軸が違います\n[data] ...\n[softmax.wrong_axis]")


def a_record() -> JudgeRecord:
    return JudgeRecord(
        cells={"losses": {"softmax_batch": CellVerdict(False, True, FAILED, "", 2.0),
                          "softmax_1d": CellVerdict(True, True, "", "a note", 1.0),
                          "cee_labels": CellVerdict(False, False, "never reached\n...\n[not_checked]", "", None)}},
        findings=[Finding("losses", "softmax_batch", "softmax sums over the wrong axis", 2.0),
                  Finding("", "(grader)", "asked the grader for 'ch5.affine_backward_dW': another assignment")],
        stopped="")


def test_does_a_record_read_back_as_it_was_written(tmp_path):
    record = a_record()
    record.write(tmp_path / "graded")
    assert JudgeRecord.read(tmp_path / "graded") == record


def test_is_a_missing_or_broken_judge_file_an_empty_record(tmp_path):
    assert JudgeRecord.read(tmp_path) == JudgeRecord()
    (tmp_path / JUDGE_FILE).write_text("{ not json", encoding="utf-8")
    assert JudgeRecord.read(tmp_path) == JudgeRecord()
    (tmp_path / JUDGE_FILE).write_text("[1, 2]", encoding="utf-8")
    assert JudgeRecord.read(tmp_path) == JudgeRecord()


def test_are_fields_of_the_wrong_type_dropped_rather_than_trusted(tmp_path):
    (tmp_path / JUDGE_FILE).write_text(json.dumps({
        "cells": {"nb": {"a": {"passed": 1, "in_notebook": "9", "message": ["x"]}, "b": "passed"}, "c": []},
        "findings": ["text", {"cell": 3, "in_notebook": True}], "stopped": None}), encoding="utf-8")
    record = JudgeRecord.read(tmp_path)
    assert record.cells == {"nb": {"a": CellVerdict(True, False, "['x']", "", None)}}
    assert record.findings == [Finding("", "3", "", None)] and record.stopped == ""


def test_does_the_judges_diagnosis_name_its_key_only_when_the_judge_failed_the_cell():
    assert judge_failures(a_record()) == {"softmax_batch": ("softmax.wrong_axis", FAILED)}


def test_are_refused_requests_and_notebook_only_passes_both_findings():
    findings = judge_findings(a_record())
    assert findings[0] == ("softmax_batch", "passed in the notebook, not with the judge: "
                                            "softmax sums over the wrong axis")
    assert findings[1][0] == "(grader)" and findings[1][1].startswith("asked the grader")


def test_is_a_key_only_a_line_of_its_own():
    assert mistake_key(FAILED) == "softmax.wrong_axis"
    assert mistake_key("[x] is a list item, not a key\n") is None
    assert mistake_key("a [key] in the middle of a line") is None


def test_does_a_failed_cell_get_the_key_of_its_error_or_the_exception_name():
    def cell(*outputs):
        return {"outputs": list(outputs)}

    assert failure_reason(cell({"output_type": "error", "ename": "CheckFailure", "evalue": FAILED})) == \
        "softmax.wrong_axis"
    assert failure_reason(cell({"output_type": "error", "ename": "NotImplementedError", "evalue": ""})) == \
        "not_implemented"
    assert failure_reason(cell({"output_type": "error", "ename": "Bad\x1b[31m", "evalue": ""})) == "Bad\\x1b[31m"
    assert failure_reason(cell({"output_type": "stream", "name": "stderr", "text": "warning"})) == "wrote to stderr"


# ------------------------------------------------------------- issue 20 ---

def test_does_a_cause_and_an_imitation_finding_read_back_as_written(tmp_path):
    record = a_record()
    record.cells["losses"]["cee_labels"].cause = "CheckFailure"
    record.cells["losses"]["cee_labels"].cause_message = "(raised in the notebook) ..."
    record.findings.append(Finding("losses", "cee_labels", "posing as the grader's diagnosis", kind="imitation"))
    record.write(tmp_path)
    assert JudgeRecord.read(tmp_path) == record
    assert ("cee_labels", "posing as the grader's diagnosis") in judge_findings(record)


def test_is_the_reason_a_submission_was_not_graded_read_from_what_grading_recorded(tmp_path):
    from bpkit.grading.records import NOT_GRADED_FILE, record_not_graded, recorded_not_graded

    assert recorded_not_graded(tmp_path) is None
    record_not_graded(tmp_path / "graded", "refused: notebook.ipynb is a FIFO\n" + "x" * 100_000)
    reason = recorded_not_graded(tmp_path / "graded")
    assert reason.startswith("refused: notebook.ipynb is a FIFO") and len(reason) <= 5_100
    (tmp_path / "graded" / NOT_GRADED_FILE).write_text("[1]", encoding="utf-8")
    assert recorded_not_graded(tmp_path / "graded") is None


def test_do_intake_notes_read_back_and_disappear_when_there_are_none(tmp_path):
    from bpkit.grading.records import INTAKE_FILE, intake_notes, record_intake_notes

    record_intake_notes(tmp_path, ["timestamp.txt says ...", "y" * 5_000])
    assert intake_notes(tmp_path)[0] == "timestamp.txt says ..." and len(intake_notes(tmp_path)[1]) <= 1_100
    record_intake_notes(tmp_path, [])
    assert not (tmp_path / INTAKE_FILE).exists() and intake_notes(tmp_path) == []
