"""FeedbackExporter, the feedback page: the score and the kit's table first,
without nbgrader's English list of test cells; the student's answers and the
tests they did not pass open, every other run of cells folded into one
<details>; every label in both languages; no script of the student's runs
(a Content-Security-Policy without script first in the head, markdown
cleaned after rendering); math as MathML, sized like the text."""
from __future__ import annotations

import os
import re

import nbformat
import pytest

from bpkit.preprocessors.feedback_page import (FOLD, NO_RESPONSE, SHOW, FeedbackExporter, comment_html, fold_cells,
                                               is_shown)
from bpkit.preprocessors.feedback_summary import FeedbackSummary
from bpkit.preprocessors.sanitize_feedback import FEEDBACK_CSP

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def grade_cell(grade_id: str, docstring: str, score: float = 1.0, points: float = 1.0):
    cell = nbformat.v4.new_code_cell(f'"""{docstring}"""\nassert True')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": points,
                                 "score": score, "locked": True}
    return cell


def answer_cell(grade_id: str, source: str = "def relu(x):\n    return x", comment: str | None = None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": grade_id, "locked": False}
    if comment is not None:
        cell.metadata["nbgrader"]["comment"] = comment
    return cell


def feedback_exporter() -> FeedbackExporter:
    """The exporter as `nbgrader generate_feedback` configures it (nbgrader's
    feedback template and its bootstrap CSS)."""
    import nbgrader
    from traitlets.config import Config

    formgrader = os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader")
    config = Config()
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_basedirs = [os.path.join(formgrader, "templates")]
    config.HTMLExporter.extra_template_paths = [os.path.join(formgrader, "static", "node_modules", "bootstrap",
                                                             "dist", "css")]
    return FeedbackExporter(config=config)


def render(nb, score=1, max_score=2, late_penalty=0) -> str:
    nb, _ = FeedbackSummary().preprocess(nb, {})
    body, _ = feedback_exporter().from_notebook_node(
        nb, resources={"nbgrader": {"notebook": "layers", "score": score, "max_score": max_score,
                                    "late_penalty": late_penalty}})
    return body


HOSTILE_MARKDOWN = ("## Softmax\n\nSoftmax: $y_k = \\frac{\\exp(a_k)}{\\sum_i \\exp(a_i)}$ "
                    "<script>window.PWNED=1</script> "
                    "<img src=x onerror=alert(1)> [link](javascript:alert(2)) "
                    "$\\text{</mtext></math><img src=y onerror=alert(3)>}$")


@pytest.fixture(scope="module")
def page() -> str:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN),
        answer_cell("relu_answer", comment=NO_RESPONSE),
        grade_cell("softmax_rows", "softmax sums to one per row."),
        grade_cell("relu_backward", "<i>relu</i> masks the gradient.", score=0),
        nbformat.v4.new_markdown_cell("## Sigmoid <b onclick=x()>bold</b>\n\nMore text."),
        nbformat.v4.new_code_cell("x = 1  # given code"),
    ])
    return render(nb)


def body_of(page: str) -> str:
    return page.split("<body", 1)[1]


# ------------------------------------------------------------ safety ---

def test_does_the_feedback_page_carry_a_policy_without_script_as_the_first_element_of_its_head(page):
    head = page.split("<head>", 1)[1].lstrip()
    assert head.startswith("<meta ") and 'http-equiv="Content-Security-Policy"' in head.split(">", 1)[0]
    assert f'content="{FEEDBACK_CSP}"' in head.split(">", 1)[0]
    assert "default-src 'none'" in FEEDBACK_CSP and "script-src" not in FEEDBACK_CSP


def test_does_the_feedback_page_hold_no_script_and_load_nothing_from_elsewhere(page):
    assert "<script" not in page.lower()  # nbgrader's template loads MathJax from a CDN in a script
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)


def test_does_a_script_in_a_markdown_cell_survive_only_as_text(page):
    assert "&lt;script&gt;window.PWNED=1&lt;/script&gt;" in page
    assert not re.search(r"<[a-z][^>]*\son\w+=", page) and 'href="javascript' not in page.lower()


def test_is_the_math_of_a_markdown_cell_mathml_drawn_at_the_size_of_its_text(page):
    assert "<math" in page and "<mfrac>" in page and "\\frac" not in page
    # Chromium draws inline fractions a script level smaller unless told otherwise
    assert re.search(r"math\s*\{[^}]*math-style:\s*normal", page)


# ------------------------------------------------------------ layout ---

def test_does_the_page_open_with_the_score_and_the_kits_table_and_not_nbgraders_list(page):
    body = body_of(page)
    order = [body.index(text) for text in ("Score / 得点: <b>1 / 2</b>", "Your results / 採点結果", "<details")]
    assert order == sorted(order)
    assert 'id="toc"' not in body and ">Test cell</a>" not in body and "(Score:" not in body


def test_are_behaviours_named_in_the_test_headings_and_escaped(page):
    assert ('Test / テスト: <span class="bpkit-behaviour">&lt;i&gt;relu&lt;/i&gt; masks the gradient.</span>'
            in page)
    assert "<i>relu</i>" not in page


@pytest.mark.parametrize("english", ["Student's answer", "Grade cell:", "(Top)", "Comments:", ">Comment<",
                                     "In&nbsp;[", "Out["])
def test_is_no_stock_english_label_of_nbgrader_left(page, english):
    assert english not in page


def test_does_every_label_of_the_page_carry_japanese(page):
    labels = re.findall(r'<span class="nbgrader-label">(.*?)</span>|<summary>(.*?)</summary>|<th[^>]*>(.*?)</th>'
                        r'|<a href="#top">(.*?)</a>|<b>(Comment[^<]*)</b>', page)
    labels = ["".join(group) for group in labels]
    assert len(labels) >= 8, labels
    assert all(JAPANESE.search(label) for label in labels), [label for label in labels if not JAPANESE.search(label)]


def test_is_nbgraders_no_response_comment_bilingual():
    assert JAPANESE.search(comment_html(NO_RESPONSE)) and "No response" in comment_html(NO_RESPONSE)
    cleaned = comment_html("**Good** <script>x()</script>").strip()
    assert cleaned == "<p><strong>Good</strong> &lt;script&gt;x()&lt;/script&gt;</p>"  # a grader's own, as Markdown


def test_are_the_answers_and_failed_tests_open_and_the_rest_folded(page):
    body = body_of(page)
    folds = re.findall(r"<details class=\"bpkit-fold\">(.*?)</details>", body, re.DOTALL)
    assert len(folds) == 3, folds  # [markdown] answer [passed test] failed test [markdown, code]
    assert "Softmax" in folds[0] and 'name="softmax_rows"' in folds[1] and "given code" in folds[2]
    assert 'name="relu_answer"' not in "".join(folds) and 'name="relu_backward"' not in "".join(folds)
    assert "Your answer / あなたの解答" in body and "Score / 得点: 0 / 1" in body


def test_does_a_folds_summary_name_its_headings_escaped(page):
    summaries = re.findall(r"<summary>(.*?)</summary>", page, re.DOTALL)
    assert "Softmax" in summaries[0] and "ほかのセル" in summaries[0]
    assert "&lt;b onclick=x()&gt;" in summaries[-1] and "<b onclick" not in page


def test_is_a_fold_mark_the_notebook_brought_ignored():
    forged = nbformat.v4.new_markdown_cell("text")
    forged.metadata[FOLD] = "<img src=x onerror=alert(1)>"
    forged.metadata[FOLD + "_end"] = True
    nb = nbformat.v4.new_notebook(cells=[answer_cell("a"), forged, answer_cell("b")])
    fold_cells(nb)
    assert "onerror" not in forged.metadata[FOLD] and "1 more cell" in forged.metadata[FOLD]


@pytest.mark.parametrize("cell, index, shown", [
    (answer_cell("a"), 3, True),
    (grade_cell("t", "passes.", score=1), 3, False),
    (grade_cell("t", "fails.", score=0.5), 3, True),
    (nbformat.v4.new_markdown_cell("# Intro"), 3, False),
    (nbformat.v4.new_code_cell("x = 1"), 3, False),
    (nbformat.v4.new_markdown_cell("note", metadata={SHOW: True}), 3, True),
])
def test_is_shown_keeps_open_only_what_the_student_needs(cell, index, shown):
    assert is_shown(cell, index) is shown


def test_does_a_late_penalty_show_in_both_languages():
    nb = nbformat.v4.new_notebook(cells=[answer_cell("a")])
    page = render(nb, score=1, max_score=2, late_penalty=0.5)
    assert "late submission / 提出遅れ: −0.5" in page
