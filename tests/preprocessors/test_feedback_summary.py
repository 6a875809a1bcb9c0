"""FeedbackSummary: the table at the top of a feedback page (points, pass or
fail, a diagnosis in English and Japanese, a heatmap for array answers), and
the helpers that tidy a graded cell's error (keep_heatmap_data, tidy_error)."""
from __future__ import annotations

import base64
import io
import re

import nbformat
import numpy as np

from bpkit.checks import core
from bpkit.checks.core import DATA_PREFIX, encode_arrays
from bpkit.preprocessors.feedback_summary import (HEATMAP_METADATA, MAX_MESSAGE_CHARS, MAX_MESSAGE_LINES,
                                                  FeedbackSummary, behaviour_of, heatmap_png, keep_heatmap_data,
                                                  tidy_error)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def grade_cell(grade_id: str, outputs: list = (), points: float = 2.0, score: float = 0.0,
               docstring: str | None = None, solution: bool = False):
    doc = f"{grade_id} does its job." if docstring is None else docstring
    cell = nbformat.v4.new_code_cell(f'"""{doc}"""\nassert True\n' if doc else "assert True\n", outputs=list(outputs))
    cell.metadata["nbgrader"] = {"grade": True, "solution": solution, "grade_id": grade_id, "points": points,
                                 "score": score, "locked": not solution}
    return cell


def error(evalue: str, ename: str = "CheckFailure", traceback=()):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=list(traceback))


def summarise(*cells):
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb, _ = FeedbackSummary().preprocess(nb, {})
    return nb


def summary_of(*cells) -> str:
    return summarise(*cells).cells[0].outputs[0]["data"]["text/html"]


def rows(table: str) -> list[str]:
    return re.findall(r"<tr><td>.*?</tr>", table, re.DOTALL)


def test_is_the_summary_the_first_cell_a_sourceless_html_output_and_the_rest_unchanged():
    cells = [nbformat.v4.new_markdown_cell("# intro"), grade_cell("softmax", score=2.0)]
    before = [dict(c) for c in cells]
    nb = summarise(*cells)
    nbformat.validate(nb)
    summary = nb.cells[0]
    assert summary.cell_type == "code" and summary.source == ""
    assert summary.metadata["transient"] == {"remove_source": True}
    (output,) = summary.outputs
    assert output.output_type == "display_data" and "bpkit-summary" in output.data["text/html"]
    assert [dict(c) for c in nb.cells[1:]] == before


def test_does_each_grade_cell_get_one_row_with_its_points_and_pass_or_fail():
    table = summary_of(grade_cell("passed", points=2, score=2), grade_cell("partial", points=2, score=1.5),
                       grade_cell("failed", points=3, score=0))
    passed, partial, failed = rows(table)
    assert "passed does its job." in passed and "2 / 2" in passed and "pass / 合格" in passed
    assert "1.5 / 2" in partial and "fail / 不合格" in partial  # partial credit is not a pass
    assert "0 / 3" in failed and "fail / 不合格" in failed
    assert "bpkit-diagnosis" not in passed and "bpkit-diagnosis" in failed


def test_are_answer_cells_and_ordinary_cells_left_out_of_the_table():
    answer = grade_cell("free_response", points=1, score=1, solution=True)  # graded answer, not a test
    plain = nbformat.v4.new_code_cell("x = 1")
    table = summary_of(answer, plain, grade_cell("test", score=2))
    assert len(rows(table)) == 1 and "free_response" not in table and "#test" in table


def test_does_a_row_link_to_its_cell_and_name_the_behaviour_by_the_docstring():
    table = summary_of(grade_cell("softmax_rows", docstring="softmax sums to one per row.", score=2))
    assert "<a href='#softmax_rows'>softmax sums to one per row.</a>" in table


def test_is_a_cell_without_a_docstring_of_one_or_two_lines_named_by_its_grade_id():
    assert behaviour_of(grade_cell("no_doc", docstring="")) == "no_doc"
    three = grade_cell("three")
    three.source = '"""first line\nsecond line\nthird line"""\nassert True'
    assert behaviour_of(three) == "three"
    unclosed = grade_cell("unclosed")
    unclosed.source = '"""never closed\nassert True'
    assert behaviour_of(unclosed) == "unclosed"
    assert behaviour_of(grade_cell("doc", docstring="Affine.backward gives dW.")) == "Affine.backward gives dW."


def test_is_a_two_line_docstring_shown_in_both_languages_on_one_line():
    both = grade_cell("both", docstring="Relu.backward masks dout.\nRelu.backward は dout をマスクします。")
    assert behaviour_of(both) == "Relu.backward masks dout. / Relu.backward は dout をマスクします。"
    assert "<a href='#both'>Relu.backward masks dout. / Relu.backward は dout をマスクします。</a>" in summary_of(both)


def test_is_a_check_failure_shown_as_its_message_without_the_exception_name():
    table = summary_of(grade_cell("dw", [error("dW is transposed.\ndW が転置されています。")]))
    assert "dW is transposed.\ndW が転置されています。" in table and "CheckFailure" not in table


def test_does_another_exception_show_its_name_and_message_on_one_line():
    table = summary_of(grade_cell("shape", [error("shapes (2,3) and (2,3) not aligned\nsee docs", ename="ValueError")]))
    assert "ValueError: shapes (2,3) and (2,3) not aligned see docs" in table


def test_is_an_unanswered_stub_explained_in_both_languages():
    table = summary_of(grade_cell("stub", [error("Replace this line", ename="NotImplementedError")]))
    assert "Not implemented yet" in table and "まだ実装されていません" in table
    assert "Replace this line" not in table


def test_is_a_cell_that_wrote_to_stderr_told_that_nbgrader_counts_it_as_a_failure():
    stderr = nbformat.v4.new_output("stream", name="stderr", text="RuntimeWarning: overflow")
    table = summary_of(grade_cell("warns", [stderr]))
    assert "wrote to stderr" in table and "標準エラー出力" in table


def test_does_a_failed_cell_without_output_still_get_a_reason():
    table = summary_of(grade_cell("silent"))
    assert "The test did not pass." in table and "テストに合格しませんでした。" in table


def test_is_student_text_in_a_message_a_docstring_or_a_grade_id_escaped():
    hostile = "<script>alert(1)</script>"
    cell = grade_cell("x'><img src=x onerror=alert(1)>", [error(hostile, ename="<b>E</b>")], docstring=hostile)
    table = summary_of(cell)
    assert "<script" not in table and "<img" not in table and "<b>E" not in table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table


def test_is_a_long_message_cut_in_lines_and_in_characters_per_line():
    long_line = "y" * (MAX_MESSAGE_CHARS + 500)
    message = "\n".join([long_line] + [f"line {i}" for i in range(MAX_MESSAGE_LINES + 20)])
    table = summary_of(grade_cell("long", [error(message)]))
    assert "y" * MAX_MESSAGE_CHARS + "…" in table and "y" * (MAX_MESSAGE_CHARS + 1) not in table
    assert f"line {MAX_MESSAGE_LINES - 2}" in table and f"line {MAX_MESSAGE_LINES - 1}" not in table


def test_does_the_feedback_summary_survive_a_broken_or_huge_data_line():
    cell = nbformat.v4.new_code_cell('"""softmax works."""\npass', outputs=[nbformat.v4.new_output(
        "error", ename="CheckFailure", evalue="wrong\n" + core.DATA_PREFIX + "A" * 5_000_000 + "\n[data] @@",
        traceback=[])])
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "g", "points": 1, "score": 0}
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb, _ = FeedbackSummary().preprocess(nb, {})
    table = nb.cells[0].outputs[0]["data"]["text/html"]
    assert "wrong" in table and "[data]" not in table and len(table) < 50_000


def embedded_png(table: str) -> bytes:
    (png,) = re.findall(r"<img class='bpkit-heatmap' alt='heatmap' src='data:image/png;base64,([A-Za-z0-9+/=]+)'>",
                        table)
    return base64.b64decode(png)


def test_does_an_array_answer_get_a_heatmap_from_the_data_line_which_is_never_shown():
    data = encode_arrays(np.arange(6.0).reshape(2, 3), np.ones((2, 3)))
    table = summary_of(grade_cell("dw", [error(f"dW is wrong.\n{data}")]))
    assert embedded_png(table).startswith(PNG_MAGIC)
    assert "[data]" not in table and data[len(DATA_PREFIX):][:40] not in table.split("base64,")[0]


def test_does_the_heatmap_come_from_the_cells_metadata():
    cell = grade_cell("dw", [error("dW is wrong.")])
    cell.metadata[HEATMAP_METADATA] = encode_arrays(np.zeros(4), np.ones(4))
    assert embedded_png(summary_of(cell)).startswith(PNG_MAGIC)


def test_a_scalar_answer_gets_no_heatmap():
    for got, expected in ((np.array(0.5), np.array(0.25)), (np.array([0.5]), np.array([0.25]))):
        data = encode_arrays(got, expected)
        assert data.startswith(DATA_PREFIX)
        text = summary_of(grade_cell("loss", [error(f"wrong loss\n{data}")]))
        assert "bpkit-heatmap" not in text and "wrong loss" in text
    vector = encode_arrays(np.array([0.5, 1.0]), np.array([0.25, 1.0]))
    assert "bpkit-heatmap" in summary_of(grade_cell("v", [error(f"wrong\n{vector}")]))


def test_does_a_passing_cell_get_no_heatmap_even_with_data_in_its_metadata():
    cell = grade_cell("dw", score=2.0)
    cell.metadata[HEATMAP_METADATA] = encode_arrays(np.zeros(4), np.ones(4))
    assert "bpkit-heatmap" not in summary_of(cell)


def test_is_the_heatmap_a_png_of_the_absolute_difference():
    import matplotlib.image

    same = heatmap_png(np.ones((2, 3)), np.ones((2, 3)))
    differs = heatmap_png(np.zeros((2, 3)), np.ones((2, 3)))
    assert same.startswith(PNG_MAGIC) and differs.startswith(PNG_MAGIC)
    assert matplotlib.image.imread(io.BytesIO(same)).ndim == 3
    assert same != differs


# ------------------------------------------ tidying a graded cell's error ---

KIT_FRAME = ("File \x1b[0;32m/work/main/bpkit/probe.py:318\x1b[0m, in \x1b[0;36mcheck\x1b[0;34m(name, obj)"
             "\x1b[0m\n\x1b[1;32m    318\x1b[0m raise CheckFailure(NOT_PASSED) from None")
CHECK_FRAME = "File /srv/venv/lib/python3.11/site-packages/bpkit/checks/layers.py:88, in check_affine\n    raise x"
CELL_FRAME = "Cell \x1b[0;32mIn[7], line 4\x1b[0m\n\x1b[1;32m      4\x1b[0m check(\"ch5.affine_backward_dW\", Affine)"


def test_does_keep_heatmap_data_move_the_first_data_line_into_the_cells_metadata():
    cell = nbformat.v4.new_code_cell("")
    first, second = encode_arrays(np.zeros(3), np.ones(3)), encode_arrays(np.ones(3), np.zeros(3))
    text = keep_heatmap_data(cell, f"dW is wrong.\n{first}\ndW が違います。\n{second}")
    assert text == "dW is wrong.\ndW が違います。"
    assert cell.metadata[HEATMAP_METADATA] == first


def test_does_keep_heatmap_data_leave_a_message_without_data_alone():
    cell = nbformat.v4.new_code_cell("")
    assert keep_heatmap_data(cell, "just wrong") == "just wrong"
    assert HEATMAP_METADATA not in cell.metadata


def test_does_tidy_error_drop_the_kits_frames_and_data_lines_but_keep_the_cells_own_frame():
    data = encode_arrays(np.arange(6.0).reshape(2, 3), np.ones((2, 3)))
    cell = nbformat.v4.new_code_cell("")
    output = error(f"dW is wrong.\n{data}", traceback=[CELL_FRAME, KIT_FRAME, CHECK_FRAME,
                                                         f"CheckFailure: dW is wrong.\n{data}"])
    tidy_error(cell, output)
    assert output["evalue"] == "dW is wrong."
    assert output["traceback"] == [CELL_FRAME, "CheckFailure: dW is wrong."]
    assert cell.metadata[HEATMAP_METADATA] == data


def test_does_tidy_error_keep_a_students_frame_that_only_mentions_the_kit():
    student = "File /home/aoki/work/mine.py:3, in helper\n    # copied from bpkit/probe.py"
    output = error("oops", ename="ValueError", traceback=[student, "ValueError: oops"])
    tidy_error(nbformat.v4.new_code_cell(""), output)
    assert output["traceback"] == [student, "ValueError: oops"]
