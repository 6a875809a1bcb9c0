"""LimitedExecute: nbgrader's Execute with a cap on output kept while a
notebook runs."""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from bpkit.preprocessors import LimitedExecute


def run(cells, cap):
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    LimitedExecute(max_output_bytes=cap, timeout=60).preprocess(nb, {"metadata": {"path": "."}})
    return nb


def text(cell, name):
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.name == name)


def test_output_past_the_cap_is_dropped_but_errors_and_stderr_still_count():
    nb = run(["for i in range(50):\n    print('x' * 1000, flush=True)",
              "import sys\nprint('y' * 5000)\nsys.stderr.write('warning\\n')",
              "raise ValueError('still reported')"], cap=10_000)
    first, second, third = nb.cells
    assert 9_000 <= len(text(first, "stdout")) < 12_000 and "the rest was dropped" in text(first, "stdout")
    assert "y" not in text(second, "stdout") and text(second, "stderr")  # nbgrader still sees stderr
    (error,) = [o for o in third.outputs if o.output_type == "error"]
    assert error.ename == "ValueError"


def test_one_huge_message_keeps_what_fits_under_the_cap():
    nb = run(["print('z' * 50_000)"], cap=10_000)
    out = text(nb.cells[0], "stdout")
    assert out.startswith("z" * 10_000) and "z" * 10_001 not in out and "the rest was dropped" in out


def test_a_notebook_under_the_cap_is_left_alone():
    nb = run(["print('hello')"], cap=10_000)
    assert text(nb.cells[0], "stdout") == "hello\n"
