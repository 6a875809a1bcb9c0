"""The instructor's solutions in source/ and the reference package agree:
every hidden check (which compares against the reference) passes on the
notebook's own solution code, and both give the same values directly."""
import functools
import sys

import nbformat
import numpy as np
import pytest

import reference as ref
import course_facts as facts
from bpkit.checks import registry
from conftest import ROOT


def notebook_namespace(assignment: str) -> dict:
    """Execute the given and solution cells of a source notebook (not the tests)."""
    (path,) = (ROOT / "source" / assignment).glob("*.ipynb")
    sys.path.insert(0, str(path.parent))
    sys.modules.pop("common", None)
    sys.modules.pop("common.functions", None)
    sys.modules.pop("common.gradient", None)
    try:
        namespace: dict = {}
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and not meta.get("grade") and meta.get("grade_id"):
                exec(compile(cell.source, f"{path.name}:{meta['grade_id']}", "exec"), namespace)
        return namespace
    finally:
        sys.path.remove(str(path.parent))


@functools.lru_cache(maxsize=None)
def solution_of(assignment: str) -> dict:
    return notebook_namespace(assignment)


@pytest.fixture(scope="module")
def ch4_solution():
    return solution_of("ch4_gradients")


@pytest.fixture(scope="module")
def ch5_solution():
    return solution_of("ch5_backprop")


#: Every check a grade cell of source/ calls, with the assignment and the student's object it grades.
GRADED = sorted({(name, cell.assignment, obj) for cell in facts.grade_cells()
                 for name, obj in zip(cell.checks, cell.objects)})


@pytest.mark.parametrize("name, assignment, obj", GRADED, ids=[g[0] for g in GRADED])
def test_the_solution_passes_every_hidden_check(name, assignment, obj):
    registry.get(name).function(solution_of(assignment)[obj])


def test_every_registered_check_is_graded_by_a_cell():
    missing = sorted(set(registry.checks()) - {name for name, _, _ in GRADED})
    assert not missing, f"no grade cell of source/ calls {missing}: add one (`bpkit new check` writes it)"


def test_solution_and_reference_give_the_same_values(ch4_solution, ch5_solution):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6))
    W, b, dout = rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=(4, 3))
    assert np.allclose(ch4_solution["softmax"](x), ref.softmax(x))
    y, t = ref.softmax(x), rng.integers(0, 6, size=4)
    assert np.isclose(ch4_solution["cross_entropy_error"](y, t), ref.cross_entropy_error(y, t))
    f = lambda z: np.sum(np.sin(z))  # noqa: E731
    assert np.allclose(ch4_solution["numerical_gradient"](f, x.copy()), ref.numerical_gradient(f, x.copy()))
    ours, theirs = ch5_solution["Affine"](W, b), ref.Affine(W, b)
    assert np.allclose(ours.forward(x), theirs.forward(x))
    assert np.allclose(ours.backward(dout), theirs.backward(dout))
    assert np.allclose(ours.dW, theirs.dW) and np.allclose(ours.db, theirs.db)


def test_given_common_functions_agree_with_the_reference(capsys):
    sys.path.insert(0, str(ROOT / "source" / "ch5_backprop"))
    try:
        for name in ("common", "common.functions", "common.gradient"):
            sys.modules.pop(name, None)
        from common import functions, gradient
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4))
    assert np.allclose(functions.softmax(x), ref.softmax(x))
    assert np.allclose(functions.sigmoid(x), ref.sigmoid(x))
    y, t = ref.softmax(x), np.array([0, 3, 1])
    assert np.isclose(functions.cross_entropy_error(y, t), ref.cross_entropy_error(y, t))
    f = lambda z: np.sum(z ** 3)  # noqa: E731
    assert np.allclose(gradient.numerical_gradient(f, x.copy()), ref.numerical_gradient(f, x.copy()))
    # gradient_check prints one line per gradient and never raises (a Try-it cell checks them all)
    gradient.gradient_check("x**3", 3 * x ** 2, lambda z: z ** 3, x.copy())
    gradient.gradient_check("wrong", 2 * x ** 2, lambda z: z ** 3, x.copy())
    gradient.gradient_check("transposed", 3 * x.T ** 2, lambda z: z ** 3, x.copy())
    gradient.gradient_check("missing", None, lambda z: z ** 3, x.copy())
    lines = capsys.readouterr().out.splitlines()
    right, wrong, transposed, missing = (next(line for line in lines if line.startswith(f"{name}:"))
                                         for name in ("x**3", "wrong", "transposed", "missing"))
    assert right.startswith("x**3: OK / 一致")
    assert wrong.startswith("wrong: differs") and "数値微分" in wrong and "OK" not in wrong
    assert transposed.startswith("transposed: shape (4, 3), but the gradient has shape (3, 4)") and "形状" in transposed
    assert missing.startswith("missing: None") and "self に保存されていません" in missing
