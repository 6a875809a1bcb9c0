"""bpkit.presentation.console: the instructor's terminal table reads right at
80 columns (grade ids fold, never cut; scores never wrap) and counts in
English (1 submission, 2 submissions)."""
from __future__ import annotations

import io

import pytest
from rich.console import Console

from bpkit.grading.records import StudentResult
from bpkit.presentation.console import results_table

LONG_IDS = ["cross_entropy_finite_for_zero_probability_of_the_label", "numerical_gradient_sees_in_place_changes_of_x",
            "softmax_batch_normalises_each_row"]


def result(student: str, failed: list[str]) -> StudentResult:
    cells = {grade_id: (0.0 if grade_id in failed else 1.0, 1.0) for grade_id in LONG_IDS + ["other_cell"]}
    r = StudentResult(student, True, 4.0 - len(failed), 4.0, cells)
    r.reasons = {grade_id: "cee.no_delta" for grade_id in failed}
    return r


def rendered(results, width: int = 80) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(results_table("ch4_gradients", results))
    return out.getvalue()


def last_column(text: str) -> str:
    """The table's last column, its lines joined without separators (a folded id comes back whole)."""
    return "".join(line.split("│")[-2].strip() for line in text.splitlines() if line.count("│") >= 5)


def test_are_long_grade_ids_shown_whole_at_80_columns():
    text = rendered([result("goto", LONG_IDS), result("a_student_with_a_long_name", LONG_IDS[:1])])
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text.replace("… ", "")  # nothing cut (the "… N more" note is not a cut)
    joined = last_column(text)
    assert all(grade_id in joined for grade_id in LONG_IDS), joined
    assert "1 / 4" in text and "3 / 4" in text  # scores on one line


@pytest.mark.parametrize("count, title", [(1, "ch4_gradients: 1 submission"), (2, "ch4_gradients: 2 submissions"),
                                          (0, "ch4_gradients: 0 submissions")])
def test_is_the_submission_count_singular_for_one(count, title):
    text = rendered([result(f"s{i}", []) for i in range(count)])
    assert text.splitlines()[0].strip() == title
