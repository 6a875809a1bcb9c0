"""Student-controlled strings are escaped where they land: the instructor's
terminal, CSV files, HTML pages; and sizes are capped before anything
decodes them (issue 10, item 8)."""
from __future__ import annotations

import base64
import io
import re
import tracemalloc

import nbformat
import numpy as np
import pytest
from rich.console import Console

from bpkit.checks import core
from bpkit.escaping import csv_cell, mathtext_safe, terminal_text
from bpkit.grading.records import StudentResult, failure_reason
from bpkit.presentation.console import print_results

HOSTILE = ["[/]", "[bold red]x", "\x1b[2J\x1b]0;pwned\x07", "=1+1", "+SUM(1)", "-2+3", "@SUM(1)", "\tx", "\rx",
           "\u202eevil", "\x9bcsi", "$\\notacommand$", "<script>alert(1)</script>"]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_is_every_control_character_shown_as_a_visible_escape_in_the_terminal():
    for text in HOSTILE:
        assert not CONTROL.search(terminal_text(text)), text
    assert terminal_text("\x1b[2J") == "\\x1b[2J"
    assert terminal_text("a\nb") == "a\\nb" and terminal_text("a\nb", multiline=True) == "a\nb"
    assert terminal_text("x" * 1000, limit=10) == "x" * 10 + "…"
    assert terminal_text("ソフトマックス softmax") == "ソフトマックス softmax"  # honest text unchanged


def test_does_a_csv_cell_never_start_a_formula():
    for text in ["=1+1", "+SUM(1)", "-2+3", "@SUM(1)", "\tx", "\rx", "＝1+1"]:
        assert csv_cell(text).startswith("'"), text
    assert csv_cell("-1.5") == "-1.5" and csv_cell("14.0") == "14.0" and csv_cell("aoki") == "aoki"
    assert csv_cell(None) == "" and csv_cell(2.0) == "2.0"


def test_is_a_matplotlib_label_never_mathtext():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.barh([mathtext_safe(t) for t in HOSTILE], range(len(HOSTILE)))
    fig.savefig(io.BytesIO(), format="png")  # a raw "$\notacommand$" label raises here
    plt.close(fig)


def hostile_results() -> tuple[list[StudentResult], dict[str, list[str]]]:
    results = []
    for i, text in enumerate(HOSTILE):
        ok = i % 2 == 0
        r = StudentResult(f"s{i}{text}", ok, 1.0, 2.0, error="" if ok else f"NotJSONError: {text}",
                          stopped=f"stopped {text}" if ok else "")
        if ok:
            r.cells = {f"cell{i}": (0.0, 1.0), "other": (1.0, 1.0)}
            r.reasons = {f"cell{i}": text}
        results.append(r)
    flagged = {f"s{i}{text}": [f"cell: passed in the notebook, not with the judge: {text}"]
               for i, text in enumerate(HOSTILE)}
    return results, flagged


def test_does_the_results_table_print_hostile_names_literally_without_control_characters():
    results, flagged = hostile_results()
    console = Console(file=io.StringIO(), width=200, force_terminal=True, color_system=None)
    print_results("ch4_gradients", results, console, flagged)  # `[/]` used to raise MarkupError
    out = console.file.getvalue()
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\x9b" not in out
    for text in ("[/]", "[bold red]x", "=1+1", "\\x1b[2J", "<script>alert(1)</script>"):
        assert text in out, text


def test_is_a_hostile_exception_name_a_printable_reason():
    cell = nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
        "error", ename="\x1b[2J" + "E" * 10_000, evalue="x", traceback=[])])
    reason = failure_reason(cell)
    assert reason.startswith("\\x1b[2J") and len(reason) < 200


def test_is_a_huge_data_line_refused_by_length_before_base64_decodes_it(monkeypatch):
    line = core.DATA_PREFIX + "A" * 400_000_000
    called = []
    monkeypatch.setattr(core.base64, "b64decode", lambda *a, **k: called.append(1) or b"")
    tracemalloc.start()
    try:
        assert core.decode_arrays(line) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not called and peak < 1_000_000
    del line


def npz_line(**arrays) -> str:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return core.DATA_PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


def test_are_decoded_arrays_capped_in_count_and_size():
    got, expected = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    decoded = core.decode_arrays(core.encode_arrays(got, expected))
    assert decoded is not None and np.array_equal(decoded[0], got) and np.array_equal(decoded[1], expected)
    # the largest honest line (400 elements) still decodes
    assert core.decode_arrays(core.encode_arrays(np.ones(400), np.zeros(400))) is not None
    # a small, compressed line that would inflate to 80 MB
    assert core.decode_arrays(npz_line(got=np.zeros(10_000_000), expected=np.zeros(10_000_000))) is None
    # extra members, too many elements, not arrays of numbers, garbage
    assert core.decode_arrays(npz_line(got=np.ones(3), expected=np.ones(3), more=np.ones(3))) is None
    assert core.decode_arrays(npz_line(got=np.ones(5000), expected=np.ones(5000))) is None
    assert core.decode_arrays(core.DATA_PREFIX + "not base64 !!") is None
    assert core.decode_arrays(core.DATA_PREFIX + base64.b64encode(b"PK\x03\x04junk").decode()) is None


def test_is_a_data_line_never_taken_for_a_mistake_key():
    def cell(evalue):
        return nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
            "error", ename="CheckFailure", evalue=evalue, traceback=[])])

    assert failure_reason(cell("[/] text\n[data] QUFB")) == "CheckFailure"
    assert failure_reason(cell("en\nja\n[affine.dW_transposed]\nexpected\n[data] QUFB")) == "affine.dW_transposed"
