"""bpkit.mathml: TeX as MathML, at a bounded cost per page (issue 20: a
markdown cell of 51 200 `$x$` held the grading command for over a minute)."""
from __future__ import annotations

from bpkit.mathml import MAX_FORMULAS, math_in_html, page_budget


def test_is_a_formula_converted_to_mathml():
    assert "<mi>x</mi>" in math_in_html("<p>$x$</p>")


def test_does_a_page_convert_at_most_its_budget_of_formulas_and_leave_the_rest_as_tex():
    page = math_in_html("<p>" + " ".join(["$x$"] * (MAX_FORMULAS + 500)) + "</p>")
    assert page.count("<math") == MAX_FORMULAS and page.count("$x$") == 500


def test_do_all_the_markdown_cells_of_one_page_share_one_budget():
    with page_budget(formulas=5):
        first, second = math_in_html("$a$ $b$ $c$"), math_in_html("$d$ $e$ $f$")
    assert first.count("<math") == 3 and second.count("<math") == 2 and "$f$" in second


def test_does_a_call_outside_a_page_get_a_budget_of_its_own():
    with page_budget(formulas=1):
        pass
    assert math_in_html("$a$ $b$").count("<math") == 2


def test_does_a_spent_time_budget_leave_the_tex_as_text():
    with page_budget(seconds=-1):
        assert math_in_html("$x$") == "$x$"
