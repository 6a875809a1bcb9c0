"""LimitOutputSize: each stored output is cut by size (nbgrader's LimitOutput
counts lines only, so one print of tens of megabytes would be kept whole)."""
from __future__ import annotations

import nbformat
from traitlets.config import Config

from bpkit.preprocessors.limit_output_size import LimitOutputSize


def limit(outputs, max_chars: int = 100):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=list(outputs))])
    nb, _ = LimitOutputSize(max_chars=max_chars).preprocess(nb, {})
    return nb.cells[0].outputs


def test_is_a_long_stream_cut_to_max_chars_with_a_note_of_what_was_dropped():
    (out,) = limit([nbformat.v4.new_output("stream", name="stdout", text="x" * 250)], max_chars=100)
    assert out.text == "x" * 100 + "\n... 150 characters cut ...\n"


def test_is_a_stream_of_exactly_max_chars_left_whole():
    (out,) = limit([nbformat.v4.new_output("stream", name="stderr", text="e" * 100)], max_chars=100)
    assert out.text == "e" * 100 and out.name == "stderr"  # a cell that wrote to stderr still did


def test_is_each_output_of_a_cell_cut_on_its_own():
    first, second = limit([nbformat.v4.new_output("stream", name="stdout", text="a" * 150),
                           nbformat.v4.new_output("stream", name="stdout", text="b" * 50)], max_chars=100)
    assert first.text.startswith("a" * 100) and "50 characters cut" in first.text
    assert second.text == "b" * 50


def test_are_rich_text_outputs_cut_and_images_left_whole():
    png = "iVBORw0KGgo" * 50
    data = {"text/plain": "p" * 300, "text/html": "<b>" * 100, "text/markdown": "m" * 300,
            "image/svg+xml": "<svg>" + " " * 300 + "</svg>", "application/javascript": "j" * 300,
            "image/png": png}
    (out,) = limit([nbformat.v4.new_output("execute_result", data=dict(data), execution_count=1)], max_chars=100)
    for key in ("text/plain", "text/html", "text/markdown", "image/svg+xml", "application/javascript"):
        assert out.data[key] == data[key][:100] + "\n... cut ...", key
    assert out.data["image/png"] == png


def test_is_a_short_display_output_left_alone():
    shown = nbformat.v4.new_output("display_data", data={"text/plain": "42", "application/json": {"a": "b" * 500}})
    (out,) = limit([shown], max_chars=100)
    assert out.data == {"text/plain": "42", "application/json": {"a": "b" * 500}}  # not text: not cut


def test_are_an_errors_name_message_and_traceback_cut():
    traceback = ["t" * 60, "u" * 60, "v" * 60]
    error = nbformat.v4.new_output("error", ename="E" * 1000, evalue="m" * 500, traceback=traceback)
    (out,) = limit([error], max_chars=100)
    assert out.ename == "E" * 200
    assert out.evalue == "m" * 100 + "\n... cut ..."
    assert out.traceback == ["t" * 60, "u" * 40, "... cut ..."]


def test_is_a_short_error_left_alone():
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="bad shape", traceback=["a", "ValueError: b"])
    (out,) = limit([error], max_chars=100)
    assert (out.ename, out.evalue, out.traceback) == ("ValueError", "bad shape", ["a", "ValueError: b"])


def test_is_max_chars_read_from_the_course_configuration():
    config = Config({"LimitOutputSize": {"max_chars": 10}})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x", outputs=[nbformat.v4.new_output("stream", name="stdout", text="z" * 30)])])
    nb, _ = LimitOutputSize(config=config).preprocess(nb, {})
    assert nb.cells[0].outputs[0].text == "z" * 10 + "\n... 20 characters cut ...\n"
    assert LimitOutputSize().max_chars == 100_000 and LimitOutputSize().enabled


def test_does_the_cut_notebook_stay_valid_and_keep_markdown_cells_alone():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("w" * 500),
        nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", name="stdout", text="x" * 500),
                                                nbformat.v4.new_output("error", ename="E", evalue="v" * 500,
                                                                       traceback=["t" * 500])])])
    nb, _ = LimitOutputSize(max_chars=100).preprocess(nb, {})
    nbformat.validate(nb)
    assert nb.cells[0].source == "w" * 500


def test_are_oversized_non_text_data_and_display_metadata_dropped():
    import nbformat

    from bpkit.preprocessors import LimitOutputSize

    out = nbformat.v4.new_output("display_data", data={"image/png": "i" * 500, "application/json": {"k": "v" * 500},
                                                       "text/html": "<b>ok</b>"}, metadata={"m": "x" * 500})
    cell = nbformat.v4.new_code_cell("x", outputs=[out])
    LimitOutputSize(max_chars=100, max_data_chars=200, max_metadata_chars=200).preprocess_cell(cell, {}, 0)
    data = cell.outputs[0].data
    assert set(data) == {"text/html", "text/plain"} and data["text/html"] == "<b>ok</b>"
    assert "too large" in data["text/plain"] and cell.outputs[0].metadata == {}
