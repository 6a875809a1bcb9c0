"""SanitizeFeedback, clean_html and add_csp: a feedback page carries the
student's outputs and markdown, but no script of theirs runs in it (bleach
allow-list, script-like outputs dropped, a Content-Security-Policy without
script).  The page itself: tests/preprocessors/test_feedback_page.py."""
from __future__ import annotations

import re

import nbformat
import pytest

from bpkit.preprocessors.sanitize_feedback import SanitizeFeedback, add_csp, clean_html

# ----------------------------------------------------------- clean_html ---


def test_does_clean_html_keep_the_allow_listed_markup():
    markup = ('<p>softmax <b>sums</b> to <i>one</i></p>'
              '<table><tbody><tr><th scope="col">x</th><td colspan="2">1</td></tr></tbody></table>'
              '<a href="https://example.org/" title="t">link</a><img src="https://example.org/a.png" alt="a">')
    assert clean_html(markup) == markup


def test_does_a_script_in_html_survive_only_as_text():
    cleaned = clean_html("<b>ok</b><script>x()</script><img src=x onerror=y()><a href='javascript:z()'>l</a>"
                         "<svg onload=w()></svg><iframe src=javascript:v()></iframe><style>*{}</style>")
    assert "<b>ok</b>" in cleaned and "&lt;script&gt;" in cleaned
    # what is left of them is text (&lt;svg onload=...&gt;), not a tag with a handler
    assert not re.search(r"<(script|svg|iframe|style)|<[a-z][^>]*\s(on\w+=|href=.javascript)", cleaned), cleaned


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:x", "data:text/html,<b>",
                                 " javascript:alert(1)"])
def test_is_a_link_with_a_scheme_that_can_run_code_stripped_of_its_target(url):
    cleaned = clean_html(f'<a href="{url}">l</a><img src="{url}">')
    assert "href" not in cleaned and "src" not in cleaned and ">l</a>" in cleaned


def test_are_event_handlers_and_unknown_attributes_dropped_from_allowed_tags():
    cleaned = clean_html('<p onclick="x()" style="position:fixed" id="top" class="note">hi</p>')
    assert cleaned == '<p class="note">hi</p>'


def test_are_html_comments_dropped_and_bytes_decoded():
    assert clean_html("a<!-- <script>x()</script> -->b") == "ab"
    assert clean_html("ソフトマックス <b>\xe9</b>".encode()) == "ソフトマックス <b>\xe9</b>"


# ---------------------------------------------------- SanitizeFeedback ---


def sanitize(*cells, metadata=None):
    nb = nbformat.v4.new_notebook(cells=list(cells), metadata=metadata or {})
    nb, _ = SanitizeFeedback().preprocess(nb, {})
    return nb


def code_with(*outputs):
    return nbformat.v4.new_code_cell("x", outputs=list(outputs))


def test_does_the_feedback_sanitiser_keep_text_and_drop_everything_that_could_run():
    outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<script>x()</script>",
                                                            "application/javascript": "x()"}),
               nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload=x()></svg>"}),
               nbformat.v4.new_output("display_data", data={"text/markdown": "[l](javascript:x())"},
                                      metadata={"text/html": {"isolated": True}})]
    raw = nbformat.v4.new_raw_cell("<script>x()</script>", metadata={"format": "text/html"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=outputs), raw],
                                  metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {}}})
    nb, _ = SanitizeFeedback().preprocess(nb, {})
    first, svg, markdown = nb.cells[0].outputs
    assert set(first.data) == {"text/html"} and "<script" not in first.data["text/html"]
    assert set(svg.data) == {"text/plain"} and "not shown" in svg.data["text/plain"]
    assert set(markdown.data) == {"text/html"} and "javascript" not in markdown.data["text/html"]
    assert "isolated" not in str(markdown.metadata)
    assert "<script" not in nb.cells[1].source and "widgets" not in nb.metadata


def test_is_a_markdown_output_rendered_before_it_is_cleaned():
    shown = nbformat.v4.new_output("display_data", data={"text/markdown": "**bold** [ok](https://example.org/) "
                                                                          "![i](javascript:x())"})
    (output,) = sanitize(code_with(shown)).cells[0].outputs
    html = output.data["text/html"]
    assert "<strong>bold</strong>" in html and 'href="https://example.org/"' in html
    assert "javascript" not in html and "text/markdown" not in output.data


def test_does_an_output_that_had_html_keep_it_over_its_rendered_markdown():
    shown = nbformat.v4.new_output("display_data", data={"text/html": "<i>html</i>", "text/markdown": "*md*"})
    (output,) = sanitize(code_with(shown)).cells[0].outputs
    assert output.data == {"text/html": "<i>html</i>"}


def test_are_plain_data_outputs_kept_as_they_are():
    png = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    result = nbformat.v4.new_output("execute_result", data={"text/plain": "array([1, 2])",
                                                            "application/json": {"a": 1}}, execution_count=3)
    stream = nbformat.v4.new_output("stream", name="stdout", text="<script>printed, not markup</script>\n")
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="<b>x</b>", traceback=["ValueError: <b>x</b>"])
    before = [dict(o) for o in (png, result, stream, error)]
    outputs = sanitize(code_with(png, result, stream, error)).cells[0].outputs
    assert [dict(o) for o in outputs] == before


def test_is_an_output_with_nothing_left_to_show_replaced_by_a_note_naming_its_types():
    widget = nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "m"},
                                                          "application/javascript": "x()"})
    (output,) = sanitize(code_with(widget)).cells[0].outputs
    assert list(output.data) == ["text/plain"]
    note = output.data["text/plain"]
    assert "application/javascript" in note and "application/vnd.jupyter.widget-view+json" in note
    assert "フィードバックには表示されない出力です" in note


def test_is_a_raw_cell_cleaned_and_a_markdown_cell_left_to_the_exporter():
    raw = nbformat.v4.new_raw_cell('<b onclick="x()">raw</b>', metadata={"format": "text/html"})
    markdown = nbformat.v4.new_markdown_cell("<script>x()</script> *kept for the exporter*")
    nb = sanitize(raw, markdown)
    assert nb.cells[0].source == "<b>raw</b>"
    assert nb.cells[1].source == markdown.source


def test_does_the_sanitised_notebook_stay_valid():
    nb = sanitize(code_with(nbformat.v4.new_output("display_data", data={"application/javascript": "x()"}),
                            nbformat.v4.new_output("display_data", data={"text/markdown": "# title"})),
                  metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}})
    nbformat.validate(nb)


def test_does_add_csp_put_the_policy_first_and_drop_the_heads_scripts():
    header = add_csp('<html>\n<head>\n<title>t</title>\n<script src="https://cdn/mathjax.js"></script>\n'
                     "<SCRIPT type='text/x-mathjax-config'>\nMathJax.Hub.Config({})\n</SCRIPT >\n</head>")
    assert header.startswith('<html>\n<head>\n<meta http-equiv="Content-Security-Policy"')
    assert "script" not in header.lower() and "<title>t</title>" in header
