"""End to end: `bpkit demo` grades the bundled sample class through the real
nbgrader pipeline (run by its full path, without an activated virtualenv, in
a fresh course copy that has no gradebook yet), and every student gets
exactly the expected score in every grade cell, with the expected reason."""
import csv

import nbformat
import pytest
from nbgrader.api import Gradebook

from bpkit.grading.records import failure_reason
from bpkit.sample import sample_students

CH4, CH5 = "ch4_gradients", "ch5_backprop"
CH4_CELLS = [
    "softmax_1d_matches_book_example", "softmax_batch_normalises_each_row",
    "softmax_no_overflow_for_large_scores", "cross_entropy_one_hot_matches_book_examples",
    "cross_entropy_accepts_integer_labels", "cross_entropy_accepts_single_sample",
    "cross_entropy_finite_for_zero_probability", "cross_entropy_does_not_modify_inputs",
    "numerical_gradient_matches_book_example", "numerical_gradient_handles_any_shape",
    "numerical_gradient_restores_x", "numerical_gradient_sees_in_place_changes",
]
CH5_CELLS = [
    "mul_layer_backward_gives_each_input_the_other", "add_layer_passes_dout_to_both_inputs", "relu_forward_zeroes_non_positive_inputs",
    "relu_backward_masks_gradient", "sigmoid_forward_computes_the_logistic_function",
    "sigmoid_backward_uses_the_output", "affine_forward_computes_xW_plus_b",
    "affine_backward_dx_is_dout_times_W_transposed", "affine_backward_dW_is_x_transposed_times_dout",
    "affine_backward_db_sums_dout_over_the_batch", "affine_handles_image_shaped_input",
    "softmax_with_loss_forward_gives_the_mean_loss", "softmax_with_loss_backward_gives_y_minus_t_over_N",
]
NUMGRAD = [c for c in CH4_CELLS if c.startswith("numerical_gradient")]
LATE_CH5 = [c for c in CH5_CELLS if c.split("_")[0] in ("sigmoid", "affine", "softmax")]

# student -> assignment -> {grade cell that loses all its points: reason}.
# Every cell not listed must get full points; the reason is the key of the
# diagnosis a hidden check gave (or the exception's name).  Each mistake
# costs points in exactly one cell.
EXPECTED = {
    "aoki": {CH4: {}, CH5: {}},  # the book's code, in-place Relu and overflowing sigmoid included
    "baba": {CH4: {}, CH5: {}},  # correct alternatives: loops, einsum, clip, float, own names
    "chiba": {CH4: {c: "not_implemented" for c in CH4_CELLS},
              CH5: {c: "not_implemented" for c in CH5_CELLS}},
    "doi": {CH4: {c: "not_implemented" for c in NUMGRAD},
            CH5: {c: "not_implemented" for c in LATE_CH5}},
    "endo": {CH4: {"softmax_no_overflow_for_large_scores": "softmax.overflow",
                   "cross_entropy_one_hot_matches_book_examples": "cee.labels_only",
                   "numerical_gradient_matches_book_example": "numgrad.forward_difference"},
             CH5: {}},
    "fujita": {CH4: {},
               CH5: {"relu_backward_masks_gradient": "relu.inverted_mask",
                     "sigmoid_backward_uses_the_output": "sigmoid.uses_input",
                     "affine_backward_dW_is_x_transposed_times_dout": "affine.dW_transposed",
                     "affine_backward_db_sums_dout_over_the_batch": "affine.db_sum_all"}},
    "goto": {CH4: {"cross_entropy_finite_for_zero_probability": "cee.no_delta",
                   "numerical_gradient_sees_in_place_changes": "numgrad.copies_x"},
             CH5: {"mul_layer_backward_gives_each_input_the_other": "mul.swapped",
                   "affine_handles_image_shaped_input": "affine.dx_not_reshaped",
                   "softmax_with_loss_backward_gives_y_minus_t_over_N": "swl.no_batch_mean"}},
    "hayashi": {CH4: {"cross_entropy_one_hot_matches_book_examples": "cee.log10"},
                CH5: {c: "earlier_cell_failed" for c in CH5_CELLS if c.startswith("sigmoid")}},  # syntax error
}

NET = "ch5_two_layer_net"
NET_CELLS = ["net_init_params_and_scale", "net_predict_scores", "net_loss_cross_entropy",
             "net_accuracy_labels_and_one_hot", "net_gradient_backprop", "net_sgd_lowers_loss"]
# The two-layer network (issue 15): the same students, one cell of theirs each (bpkit/sample_class).
for _student, _failures in {
    "aoki": {},  # the book's two_layer_net.py
    "baba": {},  # correct, written differently
    "chiba": {c: "not_implemented" for c in NET_CELLS},
    "doi": {"net_accuracy_labels_and_one_hot": "not_implemented", "net_gradient_backprop": "not_implemented"},
    "endo": {"net_gradient_backprop": "net.backward_in_forward_order"},
    "fujita": {"net_gradient_backprop": "net.gradient_from_wrong_layer",
               "net_accuracy_labels_and_one_hot": "net.accuracy_one_hot_without_argmax"},
    "goto": {"net_init_params_and_scale": "net.weight_init_std_ignored",
             "net_gradient_backprop": "net.dout_not_propagated"},
    "hayashi": {"net_loss_cross_entropy": "net.loss_stale_prediction",
                "net_sgd_lowers_loss": "net.layers_copy_params"},
}.items():
    EXPECTED[_student][NET] = _failures


def test_the_sample_class_has_at_least_eight_students_all_with_expectations():
    assert sorted(EXPECTED) == sample_students() and len(EXPECTED) >= 8


def graded_cells(course, student, assignment):
    """grade_id -> (score, max_score, reason if it lost points)."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, student)
        scores = {g.name: (g.score, g.max_score) for nb in submission.notebooks for g in nb.grades}
    reasons = {}
    for path in (course / "autograded" / student / assignment).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in scores and scores[grade_id][0] < scores[grade_id][1]:
                reasons[grade_id] = failure_reason(cell)
    return scores, reasons


@pytest.mark.parametrize("student", sorted(EXPECTED))
@pytest.mark.parametrize("assignment, cells", [(CH4, CH4_CELLS), (CH5, CH5_CELLS), (NET, NET_CELLS)])
def test_each_student_gets_exactly_the_expected_score_in_every_cell(demo_course, student, assignment, cells):
    scores, reasons = graded_cells(demo_course["path"], student, assignment)
    assert sorted(scores) == sorted(cells)
    expected_failures = EXPECTED[student][assignment]
    for cell, (score, top) in scores.items():
        if cell in expected_failures:
            assert score == 0, f"{student}/{cell} should lose its {top} points"
        else:
            assert score == top, f"{student}/{cell}: {score}/{top}, reason {reasons.get(cell)}"
    assert reasons == expected_failures


def test_the_demo_prints_a_table_exports_csv_and_writes_feedback(demo_course):
    course, out = demo_course["path"], demo_course["stdout"]
    assert "ch4_gradients: 8 submissions" in out and "ch5_backprop: 8 submissions" in out
    assert "ch5_two_layer_net: 8 submissions" in out and "9 / 9" in out
    assert "14 / 14" in out and "18 / 18" in out and "full marks" in out
    with open(course / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * len(EXPECTED)
    assert {r["student_id"] for r in rows} == set(EXPECTED)
    assert {(r["student_id"], r["assignment"]): float(r["score"]) for r in rows}[("aoki", CH5)] == 18.0
    for student in EXPECTED:
        assert (course / "feedback" / student / CH4 / "losses_and_gradients.html").is_file()
        assert (course / "feedback" / student / CH5 / "backprop_layers.html").is_file()
        assert (course / "feedback" / student / NET / "two_layer_net.html").is_file()


def test_the_book_style_in_place_relu_keeps_its_points_and_is_told_why_it_can_bite(demo_course):
    (path,) = (demo_course["path"] / "autograded" / "aoki" / CH5).glob("*.ipynb")
    (cell,) = [c for c in nbformat.read(path, as_version=4).cells
               if c.metadata.get("nbgrader", {}).get("grade_id") == "relu_backward_masks_gradient"]
    text = "".join(o.get("text", "") for o in cell.outputs)
    assert text.count("[relu.inplace_dout]") == 1 and "減点なし" in text


def test_the_demo_grades_in_the_sandbox_with_the_judge_and_says_so(demo_course):
    assert "bubblewrap sandbox" in demo_course["stdout"]
    for student in EXPECTED:
        for assignment in (CH4, CH5, NET):
            folder = demo_course["path"] / "autograded" / student / assignment
            judged = (folder / ".bpkit-judge.json").read_text(encoding="utf-8")
            assert '"findings": []' in judged


def test_the_demo_leaves_the_repository_untouched(demo_course):
    assert demo_course["git_before"] == demo_course["git_after"]
