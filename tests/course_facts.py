"""What the tests know about the course, derived from source/ and the
registry (bpkit.checks.registry), never typed in by hand: the assignments,
their notebooks, grade cells and points, the student's object each check
grades and its reference, and what each sample student is expected to score.

Adding a behaviour or an assignment changes these, and every test reading
them follows; a test that needs something only the author can write (a
catalogue entry, a sample student's mistake) says so by name."""
from __future__ import annotations

import functools
from pathlib import Path

from bpkit.checks import registry
from bpkit.sample import SOLUTION, student_cells

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["ROOT", "ASSIGNMENTS", "grade_cells", "cells", "points", "total", "notebook", "solution_ids",
           "assignment_of_cells", "graded_object", "reference_for", "checks_of_module", "module_assignment",
           "stubbed_cells", "sample_expected", "expected_score", "score_text"]

#: The assignments of source/, in order.
ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir() and not p.name.startswith("."))


@functools.lru_cache(maxsize=None)
def grade_cells(assignment: str | None = None) -> tuple:
    """The registry's GradeCells of source/ (one assignment, or all)."""
    return tuple(registry.grade_cells(ROOT, assignment))


def cells(assignment: str) -> list[str]:
    """The grade ids of an assignment, in notebook order."""
    return [c.grade_id for c in grade_cells(assignment)]


def points(assignment: str) -> dict[str, float]:
    """grade id -> points."""
    return {c.grade_id: c.points for c in grade_cells(assignment)}


def total(assignment: str) -> float:
    """The assignment's full marks."""
    return sum(points(assignment).values())


def score_text(score: float, assignment: str) -> str:
    """How the terminal and the feedback write a score: ``"14 / 14"``."""
    return f"{score:g} / {total(assignment):g}"


def notebook(assignment: str) -> str:
    """The assignment's (one) notebook's name, without .ipynb."""
    (path,) = (ROOT / "source" / assignment).glob("*.ipynb")
    return path.stem


@functools.lru_cache(maxsize=None)
def solution_ids(assignment: str) -> frozenset:
    """The grade ids of the assignment's solution cells (the names students write: ``softmax``, ``Relu``)."""
    import nbformat

    (path,) = (ROOT / "source" / assignment).glob("*.ipynb")
    return frozenset(c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(path, as_version=4).cells
                     if c.metadata.get("nbgrader", {}).get("solution"))


def assignment_of_cells(own: set[str]) -> str:
    """The one assignment whose solution cells include some of `own` (a submission's cells)."""
    (assignment,) = [a for a in ASSIGNMENTS if own & solution_ids(a)]
    return assignment


def graded_object(check: str) -> str:
    """The name of the student's object a check grades (``Relu``), from the grade cells of source/."""
    return registry.graded_objects(ROOT)[check]


def reference_for(check: str):
    """The reference's function or class a check grades (it passes the check)."""
    return registry.reference_object(graded_object(check))


def checks_of_module(module: str) -> list[str]:
    return [name for name, check in registry.checks().items() if check.module == module]


def module_assignment(module: str) -> str:
    """The assignment whose grade cells call the checks of `module`."""
    (assignment,) = {c.assignment for c in grade_cells() for name in c.checks if name.split(".")[0] == module}
    return assignment


# ------------------------------------------------------------ the sample class ---

#: student -> assignment -> {grade cell that loses its points: reason}, for each student's own mistakes;
#: the cells of code a student left as the stub are derived (stubbed_cells) and the rest must get full points.
MISTAKES = {
    "endo": {"ch4_gradients": {"softmax_no_overflow_for_large_scores": "softmax.overflow",
                               "cross_entropy_one_hot_matches_book_examples": "cee.labels_only",
                               "numerical_gradient_matches_book_example": "numgrad.forward_difference"},
             "ch5_two_layer_net": {"net_gradient_backprop": "net.backward_in_forward_order"}},
    "fujita": {"ch5_backprop": {"relu_backward_masks_gradient": "relu.inverted_mask",
                                "sigmoid_backward_uses_the_output": "sigmoid.uses_input",
                                "affine_backward_dW_is_x_transposed_times_dout": "affine.dW_transposed",
                                "affine_backward_db_sums_dout_over_the_batch": "affine.db_sum_all"},
               "ch5_two_layer_net": {"net_gradient_backprop": "net.gradient_from_wrong_layer",
                                     "net_accuracy_labels_and_one_hot": "net.accuracy_one_hot_without_argmax"}},
    "goto": {"ch4_gradients": {"cross_entropy_finite_for_zero_probability": "cee.no_delta",
                               "numerical_gradient_sees_in_place_changes": "numgrad.copies_x"},
             "ch5_backprop": {"mul_layer_backward_gives_each_input_the_other": "mul.swapped",
                              "affine_handles_image_shaped_input": "affine.dx_not_reshaped",
                              "softmax_with_loss_backward_gives_y_minus_t_over_N": "swl.no_batch_mean"},
             "ch5_two_layer_net": {"net_init_params_and_scale": "net.weight_init_std_ignored",
                                   "net_gradient_backprop": "net.dout_not_propagated"}},
    "hayashi": {"ch4_gradients": {"cross_entropy_one_hot_matches_book_examples": "cee.log10"},
                "ch5_two_layer_net": {"net_loss_cross_entropy": "net.loss_stale_prediction",
                                      "net_sgd_lowers_loss": "net.layers_copy_params"}},
    # doi's TwoLayerNet has accuracy and gradient left as stubs inside a class that is otherwise written
    "doi": {"ch5_two_layer_net": {"net_accuracy_labels_and_one_hot": "not_implemented",
                                  "net_gradient_backprop": "not_implemented"}},
}
#: student -> (solution cell whose cell fails to run, the reason every grade cell of its object then shows)
BROKEN_CELLS = {"hayashi": ("Sigmoid", "earlier_cell_failed")}  # a syntax error in the Sigmoid cell


def stubbed_cells(student: str, assignment: str, directory: Path | None = None) -> set[str]:
    """The solution cells (object names) the student hands in as the stub."""
    own = student_cells(student, directory) if directory else student_cells(student)
    return {i for i in solution_ids(assignment)
            if own.get(i, "") is None or (i not in own and getattr(own, "fallback", None) != SOLUTION)}


def sample_expected(student: str, assignment: str) -> dict[str, str]:
    """{grade cell that loses all its points: reason} for a sample student:
    the cells grading an object left as the stub (not_implemented), those of
    an object whose cell is broken, then the student's own mistakes; every
    other cell must get full points."""
    stubbed = stubbed_cells(student, assignment)
    broken, why = BROKEN_CELLS.get(student, ("", ""))
    expected = {}
    for cell in grade_cells(assignment):
        if set(cell.objects) & stubbed:
            expected[cell.grade_id] = "not_implemented"
        elif broken in cell.objects:
            expected[cell.grade_id] = why
    expected.update(MISTAKES.get(student, {}).get(assignment, {}))
    return expected


def expected_score(student: str, assignment: str) -> float:
    lost = sample_expected(student, assignment)
    return total(assignment) - sum(p for c, p in points(assignment).items() if c in lost)
