"""The "Check my work / 答え合わせ" cells: the verdict and diagnosis inline,
a heatmap as an image, nothing on stderr and no exception whatever the
learner's code does, silence while grading, and an install message in both
languages where the kit is missing."""
from __future__ import annotations

import contextlib
import io
import sys

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from bpkit.learner.check_cell import GRADING_ENV, METADATA, SKIPPED, check_my_work
from bpkit.learner.self_judge import SEED_ENV
from bpkit.preprocessors.self_check_cells import is_self_check
from bpkit.sample import student_cells, write_submission
from conftest import CATALOGUE, ROOT


@pytest.fixture(autouse=True)
def own_seed(tmp_path, monkeypatch):
    monkeypatch.setenv(SEED_ENV, str(tmp_path / "seed"))
    monkeypatch.delenv("BPKIT_JUDGE", raising=False)
    monkeypatch.delenv(GRADING_ENV, raising=False)


def run(*names, namespace):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        result = check_my_work(*names, namespace=namespace)
    return result, out.getvalue(), err.getvalue()


class InvertedRelu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x > 0  # inverted
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


def test_a_wrong_class_gets_its_mistake_named_in_both_languages_without_stderr():
    result, out, err = run("Relu", namespace={"Relu": InvertedRelu, "np": np})
    assert result is None and err == ""  # None: the cell shows no repr of a return value
    assert "0 / 3" in out and "[relu.inverted_mask]" in out
    assert "Relu.backward zeroes the wrong elements" in out and "マスクが反転" in out


def test_learner_code_that_writes_to_stderr_or_exits_never_reaches_stderr_or_raises():
    def noisy(x):
        print("debug", file=sys.stderr)
        raise SystemExit(3)

    result, out, err = run("softmax", namespace={"softmax": noisy})
    assert err == "" and "debug" in out and "[sandbox]" in out and "0 / 3" in out


def test_a_name_not_yet_defined_is_explained_not_raised():
    result, out, err = run("Sigmoid", namespace={})
    assert err == "" and "Sigmoid is not defined yet" in out and "まだ定義されていません" in out
    assert "[NameError]" in out and "0 / 3" in out


def test_a_name_whose_cell_failed_is_blamed_on_that_cell_as_grading_does(monkeypatch):
    from types import SimpleNamespace

    from bpkit.learner import check_cell

    monkeypatch.setattr(check_cell, "_FAILED", [])
    check_cell._record(SimpleNamespace(success=False, info=SimpleNamespace(raw_cell="def cross_entropy error(y, t):\n  pass")))
    check_cell._record(SimpleNamespace(success=True, info=SimpleNamespace(raw_cell="def softmax(x):\n  return x")))
    result, out, err = run("cross_entropy_error", "softmax", namespace={})
    assert "the cell that defines it failed" in out and "エラーが起きています" in out and "[earlier_cell_failed]" in out
    assert "softmax is not defined yet" in out  # ran fine, then was deleted: no earlier failure to blame


def test_nothing_runs_while_grading(monkeypatch):
    monkeypatch.setenv(GRADING_ENV, "1")

    def never(*args):
        raise AssertionError("the check ran")

    result, out, err = run("softmax", namespace={"softmax": never})
    assert out.strip() == SKIPPED and err == ""


def setup_cell(nb):
    return next(c for c in nb.cells if is_self_check(c) and "import check_my_work" in c.source)


@pytest.mark.parametrize("path", sorted((ROOT / "release").glob("*/*.ipynb")), ids=lambda p: p.parent.name)
def test_without_the_kit_the_cells_say_how_to_install_it(path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {}
    monkeypatch.setitem(sys.modules, "bpkit.learner.check_cell", None)  # import fails as where bpkit is missing
    exec(setup_cell(nb).source, namespace)
    checks = [c for c in nb.cells if is_self_check(c) and "import check_my_work" not in c.source]
    assert checks
    for cell in checks:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(cell.source, namespace)
        assert "pip install bpkit" in out.getvalue() and "キットが必要です" in out.getvalue()
        assert err.getvalue() == ""


def execute(path, env=None):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    return nb


def check_outputs(nb):
    return [o for c in nb.cells if is_self_check(c) for o in c.outputs]


def test_in_a_kernel_the_verdict_is_inline_with_a_heatmap_image_and_plain_data(tmp_path):
    dest = tmp_path / "affine_dW_transposed"
    write_submission(ROOT / "release", "ch5_backprop", student_cells("affine_dW_transposed", CATALOGUE), dest)
    import os

    nb = execute(dest / "backprop_layers.ipynb", env={**os.environ, SEED_ENV: str(tmp_path / "seed")})
    outputs = check_outputs(nb)
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"], outputs
    verdicts = {v["grade_id"]: v for o in outputs for v in o.get("metadata", {}).get(METADATA, [])}
    failed = {gid: v["key"] for gid, v in verdicts.items() if not v["passed"]}
    assert failed == {"affine_backward_dW_is_x_transposed_times_dout": "affine.dW_transposed"}
    assert len(verdicts) == 13  # every graded behaviour of the notebook has a check cell
    html = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("affine.dW_transposed" in h and "転置" in h for h in html)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1 and images[0].data["image/png"].startswith("iVBOR")  # the PNG signature, base64


def test_in_a_graded_kernel_the_cells_are_silent_and_untouched_stubs_break_nothing(tmp_path):
    import os
    import shutil

    shutil.copytree(ROOT / "release" / "ch4_gradients", tmp_path / "ch4")
    nb = execute(tmp_path / "ch4" / "losses_and_gradients.ipynb", env={**os.environ, GRADING_ENV: "1"})
    outputs = check_outputs(nb)
    assert outputs and all(o.output_type == "stream" and o.name == "stdout" and o.text.strip() == SKIPPED
                           for o in outputs)
    nb = execute(tmp_path / "ch4" / "losses_and_gradients.ipynb", env={**os.environ, SEED_ENV: str(tmp_path / "s")})
    outputs = check_outputs(nb)
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    keys = {v["key"] for o in outputs for v in o.get("metadata", {}).get(METADATA, [])}
    assert keys == {"not_implemented"}
