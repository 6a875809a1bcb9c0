"""LimitedExecute: nbgrader's Execute with a cap on output kept while a
notebook runs.

The first tests run a real kernel; the rest run no kernel: they replay a
kernel's IOPub messages through nbclient's message handling into
LimitedExecute.output, as a running kernel's would go (see ReplayedKernel)."""
from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

from jupyter_client.manager import AsyncKernelManager
from nbformat.v4 import new_code_cell, new_notebook

from bpkit import timings
from bpkit.preprocessors import LimitedExecute
from bpkit.preprocessors.limited_execute import CUT


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


# ------------------------------------------- without a kernel: replayed ---

def message(msg_type: str, **content) -> dict:
    """An IOPub message as jupyter_client delivers it."""
    return {"msg_type": msg_type, "header": {"msg_type": msg_type, "msg_id": "m"},
            "parent_header": {"msg_id": "request"}, "metadata": {}, "content": content}


def stdout(text: str) -> dict:
    return message("stream", name="stdout", text=text)


def stderr(text: str) -> dict:
    return message("stream", name="stderr", text=text)


def html(size: int) -> dict:
    return message("display_data", data={"text/html": "h" * size}, metadata={})


def error(evalue: str) -> dict:
    return message("error", ename="ValueError", evalue=evalue, traceback=[f"ValueError: {evalue}"])


class ReplayedKernel(LimitedExecute):
    """LimitedExecute with nbclient's kernel parts (start, kernel_info,
    execute_cell) replaced by a replay of each cell's IOPub messages, handed
    to nbclient's process_message (and so to LimitedExecute.output) as a
    running kernel's would be."""

    script: list[list[dict]] = []

    @contextmanager
    def setup_kernel(self, **kwargs):
        self.kc = SimpleNamespace(kernel_info=lambda: "kernel_info")
        try:
            yield
        finally:
            self.kc = None

    def wait_for_reply(self, msg_id, timeout=None):
        return {"content": {"language_info": {"name": "python"}}}

    def execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        cell.outputs, self.clear_before_next_output = [], False  # as nbclient's execute_cell starts
        for msg in self.script[cell_index]:
            self.process_message(msg, cell, cell_index)
        return cell


def replay(cap: int, cells: list[list[dict]], notebooks: int = 1):
    """Run one ReplayedKernel over `notebooks` notebooks of one cell per
    message list; return the executed notebook(s)."""
    executor = ReplayedKernel(max_output_bytes=cap)
    executor.script = cells
    done = []
    for _ in range(notebooks):
        nb = new_notebook(cells=[new_code_cell(f"cell {i}") for i in range(len(cells))])
        done.append(executor.preprocess(nb, {})[0])
    return done if notebooks > 1 else done[0]


def outputs(cell) -> list[tuple]:
    return [(o.output_type, o.get("name"), o.get("text", o.get("data", o.get("evalue")))) for o in cell.outputs]


def test_is_output_under_the_cap_kept_whole():
    nb = replay(100, [[stdout("a" * 40), stderr("b" * 10)], [html(40)]])
    assert outputs(nb.cells[0]) == [("stream", "stdout", "a" * 40), ("stream", "stderr", "b" * 10)]
    assert outputs(nb.cells[1]) == [("display_data", None, {"text/html": "h" * 40})]


def test_does_a_stream_past_the_cap_keep_what_fits_then_one_note():
    nb = replay(100, [[stdout("a" * 60), stdout("b" * 60), stdout("c" * 60), stdout("d")]])
    assert outputs(nb.cells[0]) == [("stream", "stdout", "a" * 60), ("stream", "stdout", "b" * 40 + CUT)]


def test_does_a_cell_that_writes_to_stderr_past_the_cap_still_get_a_stderr_output():
    nb = replay(10, [[stdout("a" * 50)], [stderr("RuntimeWarning: overflow" * 100), stderr("again")]])
    assert outputs(nb.cells[1]) == [("stream", "stderr", CUT)]  # nbgrader fails a cell with any stderr


def test_is_an_error_past_the_cap_kept_whole():
    nb = replay(10, [[stdout("a" * 50), error("x" * 500)]])
    kinds = outputs(nb.cells[0])
    assert kinds[-1] == ("error", None, "x" * 500)


def test_does_every_cell_past_the_cap_get_its_own_note():
    nb = replay(10, [[stdout("a" * 50)], [stdout("b")], [stdout("c"), stdout("c")]])
    assert outputs(nb.cells[1]) == [("stream", "stdout", CUT)]
    assert outputs(nb.cells[2]) == [("stream", "stdout", CUT)]


def test_does_rich_output_count_towards_the_cap():
    nb = replay(100, [[html(90)], [stdout("a" * 50)]])
    assert outputs(nb.cells[1]) == [("stream", "stdout", "a" * 10 + CUT)]


def test_is_a_rich_output_past_the_cap_replaced_by_a_note():
    nb = replay(10, [[stdout("a" * 50)], [html(20)], [message("execute_result", data={"text/plain": "42"},
                                                                  metadata={}, execution_count=3)]])
    assert outputs(nb.cells[1]) == [("stream", "stdout", CUT)]
    assert outputs(nb.cells[2]) == [("stream", "stdout", CUT)]


def test_is_the_cap_counted_per_notebook():
    first, second = replay(100, [[stdout("a" * 80)], [stdout("b" * 80)]], notebooks=2)
    assert outputs(second.cells[0]) == [("stream", "stdout", "a" * 80)]  # the first notebook's output is forgotten
    assert outputs(second.cells[1]) == outputs(first.cells[1]) == [("stream", "stdout", "b" * 20 + CUT)]


def test_is_each_cell_timed_as_an_execute_stage(monkeypatch, tmp_path):
    monkeypatch.setenv(timings.ENV, str(tmp_path / "timings.jsonl"))
    timings.reset()
    replay(100, [[stdout("a")], [stdout("b")], []])
    record = timings.flush("aoki")
    assert record["stages"]["execute"]["n"] == 3


def test_are_fast_kernels_started_by_the_grading_kernel_manager():
    from bpkit.isolation.kernel_client import GradingKernelManager

    assert LimitedExecute(fast_kernels=True).kernel_manager_class is GradingKernelManager
    assert LimitedExecute().kernel_manager_class is AsyncKernelManager  # nbgrader's default
    assert LimitedExecute().max_output_bytes == 20_000_000


# --------------------------- issue 20: every channel counts before it is stored ---

def test_does_display_metadata_count_towards_the_cap():
    flood = message("display_data", data={"text/plain": "."}, metadata={"m": "x" * 500})
    nb = replay(1_000, [[flood, flood, flood], [stdout("after")]])
    kept = [o for o in nb.cells[0].outputs if o.output_type == "display_data"]
    assert len(kept) == 1 and outputs(nb.cells[1]) == [("stream", "stdout", CUT)]


def test_does_data_of_any_mime_type_count_towards_the_cap():
    big = message("display_data", data={"application/json": {"k": ["v" * 400] * 3}, "image/png": "i" * 400}, metadata={})
    nb = replay(1_000, [[big], [stdout("after")]])
    assert outputs(nb.cells[1]) == [("stream", "stdout", CUT)]


def test_do_errors_count_and_past_the_cap_keep_only_the_cells_latest_one_cut():
    from bpkit.preprocessors.limited_execute import ERROR_KEPT_CHARS

    nb = replay(3_000, [[error("x" * 600), error("y" * 600), error("z" * 5_000), error("w" * 5_000)]])
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert [e.evalue[0] for e in errors] == ["x", "y", "w"]  # those under the cap, then only the latest
    assert len(errors[-1].evalue) <= ERROR_KEPT_CHARS + 20 and len(errors[-1].traceback) == 1


def test_is_the_number_of_outputs_capped():
    executor = ReplayedKernel(max_output_bytes=10_000_000, max_outputs=50)
    executor.script = [[message("display_data", data={"text/plain": "."}, metadata={}) for _ in range(200)]]
    nb = executor.preprocess(new_notebook(cells=[new_code_cell("cell")]), {})[0]
    assert len(nb.cells[0].outputs) == 51 and nb.cells[0].outputs[-1].text == CUT


def test_does_a_display_update_count_once_for_every_output_it_rewrites():
    def shown(text: str, msg_type: str = "display_data") -> dict:
        return message(msg_type, data={"text/plain": text}, metadata={}, transient={"display_id": "d"})

    nb = replay(1_000, [[shown(".") for _ in range(20)] + [shown("u" * 100, "update_display_data")]])
    assert all(o.data["text/plain"] == "." for o in nb.cells[0].outputs)  # 20 x 100 is past the cap: dropped
    nb = replay(10_000, [[shown(".") for _ in range(20)] + [shown("u" * 100, "update_display_data")]])
    assert all(o.data["text/plain"] == "u" * 100 for o in nb.cells[0].outputs)  # under it: rewritten
