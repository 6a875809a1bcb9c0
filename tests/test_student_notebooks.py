"""What a student meets first in the released notebooks: stubs whose error
says what to do in both languages, a header that says how to run cells, what
to install and how to hand in, behaviour names that never mention a
reference the student does not have, and not-implemented diagnoses whose
Japanese sentence is Japanese."""
import json
import re
import subprocess
import sys

import nbformat
import pytest

from bpkit.checks import ch4, ch5
from bpkit.checks.core import CheckFailure
from conftest import ROOT

RELEASED = {p.parent.name: p for p in sorted((ROOT / "release").glob("*/*.ipynb"))}
STUB_MESSAGE = "Replace this line with your code / この行をあなたのコードに置き換えてください"


def _cells(path):
    return nbformat.read(path, as_version=4).cells


@pytest.mark.parametrize("assignment", sorted(RELEASED))
def test_running_a_stub_raises_the_bilingual_instruction(assignment):
    stub = next(c for c in _cells(RELEASED[assignment]) if c.metadata.get("nbgrader", {}).get("solution"))
    body = next(line for line in stub.source.splitlines() if "NotImplementedError" in line).strip()
    assert body.startswith("raise NotImplementedError("), stub.source
    proc = subprocess.run([sys.executable, "-c", body], capture_output=True, text=True,
                          encoding="utf-8", timeout=60)
    assert f"NotImplementedError: {STUB_MESSAGE}" in proc.stderr, proc.stderr


@pytest.mark.parametrize("assignment", sorted(RELEASED))
def test_the_header_says_how_to_run_what_to_install_and_how_to_hand_in(assignment):
    path = RELEASED[assignment]
    header = _cells(path)[0].source
    for needed in ("Shift+Enter", "Run All", "stops at the first test cell that fails", "すべて実行",
                   "NumPy", "Jupyter", "nbgrader is needed only for the *Validate* button", "Validate",
                   "How to hand in", "提出のしかた", f"`{path.name}`", f"`{assignment}/`",
                   "scores zero", "0 点",
                   # where the feedback is: nbgrader's "view feedback" opens a folder named by the time
                   "Your feedback / フィードバック", "*view feedback*", "「view feedback」",
                   f"`{path.stem}.html`", "Trust HTML"):
        assert needed in header, needed
    # The given common/ package is named where the assignment has one.
    assert ("`common/`" in header.split("How to hand in")[1]) == (path.parent / "common").is_dir()


@pytest.mark.parametrize("assignment", sorted(RELEASED))
def test_no_student_visible_text_mentions_a_reference(assignment):
    text = json.dumps(nbformat.read(RELEASED[assignment], as_version=4), ensure_ascii=False)
    assert "reference" not in text.lower()


@pytest.mark.parametrize("assignment", sorted(RELEASED))
def test_every_try_it_cell_is_marked_not_graded_in_both_languages(assignment):
    try_it = [c for c in _cells(RELEASED[assignment]) if c.cell_type == "code" and "Try it" in c.source]
    assert try_it
    for cell in try_it:
        assert "# Try it (not graded)" in cell.source and "試してみよう（採点なし）" in cell.source, cell.source
        assert not cell.metadata.get("nbgrader", {}).get("grade"), cell.source


def _not_implemented(*args, **kwargs):
    raise NotImplementedError(STUB_MESSAGE)


class _StubLayer:
    def __init__(self, *args):
        pass

    forward = backward = _not_implemented


@pytest.mark.parametrize("check, stub, name", [
    (ch4.check_cross_entropy_one_hot, _not_implemented, "cross_entropy_error"),
    (ch4.check_softmax_batch, _not_implemented, "softmax"),
    (ch4.check_numerical_gradient_nd, _not_implemented, "numerical_gradient"),
    (ch5.check_affine_backward_dW, _StubLayer, "Affine.forward"),
    (ch5.check_relu_backward, _StubLayer, "Relu.forward"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_the_japanese_not_implemented_diagnosis_names_the_function_without_english(check, stub, name):
    with pytest.raises(CheckFailure) as info:
        check(stub)
    lines = str(info.value).splitlines()
    assert "[not_implemented]" in lines
    (japanese,) = [line for line in lines if "まだ実装されていません" in line]
    assert japanese.startswith(f"{name} がまだ実装されていません。"), japanese
    # Apart from the function's name and the line to replace, no English words.
    rest = japanese.removeprefix(name).replace("`raise NotImplementedError`", "")
    assert not re.search(r"[A-Za-z]{2,}", rest), japanese


def _columns(line: str) -> int:
    """Columns a line takes in a monospace editor: East Asian wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


#: JupyterLab 4 at a 1 400 px wide window, file browser open, shows 121 columns of a code cell
#: (measured in Chromium: 951 px of 13 px DejaVu Sans Mono); wrapped lines keep well inside that.
CODE_COLUMNS = 100
#: A grade cell's first two lines are its docstring, the behaviour's name in English then in Japanese
#: (each kept on one line), and the stub's `raise NotImplementedError(...)` line is nbgrader's code_stub:
#: they must still fit on screen.
ONE_LINE_COLUMNS = 120


@pytest.mark.parametrize("assignment", sorted(RELEASED))
def test_no_code_line_needs_horizontal_scrolling_at_1400_px(assignment):
    too_wide = []
    for cell in _cells(RELEASED[assignment]):
        if cell.cell_type != "code":
            continue
        for number, line in enumerate(cell.source.splitlines()):
            docstring = cell.metadata.get("nbgrader", {}).get("grade") and cell.source.startswith('"""') and (
                number == 0 or number == 1 and line.endswith('"""'))
            one_line = docstring or line.lstrip().startswith("raise NotImplementedError(")
            if _columns(line) > (ONE_LINE_COLUMNS if one_line else CODE_COLUMNS):
                too_wide.append(line)
    assert not too_wide, too_wide
