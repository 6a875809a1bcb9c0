"""SanitizeGraded: the graded notebook (what formgrader renders live and
JupyterLab opens) holds only inert student content, its scores are saved
before it runs, and the course's own markdown passes through unchanged."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbconvert.filters.markdown import markdown2html

from bpkit.preprocessors.sanitize_graded import (INERT_NOTE, SanitizeGraded, clean_cell_metadata,
                                                 clean_notebook_metadata, inert_markdown, markdown_problem)
from conftest import ROOT

SET = "window.PWNED=1"


def tags_of(page: str) -> list[tuple[str, dict]]:
    """Every tag a parser finds in page, with its attributes."""
    found = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Tags().feed(page)
    return found


def sanitize(*cells, metadata=None):
    nb = nbformat.v4.new_notebook(cells=list(cells), metadata=metadata or {})
    nb, _ = SanitizeGraded().preprocess(nb, {})
    nbformat.validate(nb)
    return nb


# ------------------------------------------------------------ markdown ---

HOSTILE_MARKDOWN = [
    f"## notes <script>{SET}</script>",
    f"<img src=x onerror=\"{SET}\">",
    f'<iframe srcdoc="<script>{SET}</script>"></iframe>',
    f"<a href=\"javascript:{SET}\">click</a>",
    f"[click](javascript:{SET})",
    f"[click](JaVaScRiPt&#58;{SET})",
    f"[ref][1]\n\n[1]: javascript:{SET}",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<form action=\"https://example.invalid/\"><button>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://example.invalid/\">",
    "<p style=\"background:url(https://example.invalid/beacon)\">x</p>",
    f"<svg onload=\"{SET}\"></svg>",
    f"<details open ontoggle=\"{SET}\">x</details>",
    f"<b title=\"x\"onmouseover=\"{SET}\">x</b>",
    f"<math><mtext><table><mglyph><style><img src=x onerror=\"{SET}\">",
    f"<!-- a comment --><img src=x onerror=\"{SET}\"",
    f"<object data=\"javascript:{SET}\"></object>",
    "<base href=\"https://example.invalid/\">",
    "<link rel=\"stylesheet\" href=\"https://example.invalid/x.css\">",
]


@pytest.mark.parametrize("source", HOSTILE_MARKDOWN)
def test_is_a_markdown_cell_with_live_html_or_links_shown_as_text(source):
    assert markdown_problem(source)
    shown = inert_markdown(source)
    assert shown.startswith(INERT_NOTE) and source in shown
    assert markdown_problem(shown) is None  # nothing of it is markup any more: a fenced block of text
    tags = tags_of(markdown2html(shown))  # as formgrader renders it
    assert {tag for tag, _ in tags} <= {"p", "strong", "div", "pre", "span", "code"}, tags
    assert not [attrs for _, attrs in tags if set(attrs) - {"class"}], tags


def test_can_a_fence_inside_the_cell_not_close_the_block_early():
    source = "```\n``` <img src=x onerror=\"window.PWNED=1\">\n````"
    rendered = markdown2html(inert_markdown(source))
    assert "img" not in {tag for tag, _ in tags_of(rendered)} and "&lt;img" in rendered


@pytest.mark.parametrize("source", [
    "Plain text with $x > 0$ and $$\\frac{a}{b}$$, `code <b>`, **bold**",
    "<b>bold</b>, <i>it</i>, <sub>2</sub>, <br> and <a href=\"https://example.org/\">a link</a>",
    "[a link](https://example.org/) and ![a figure](figure.png)",
    "<table><tr><td>1</td></tr></table>",
    "```python\n<script>only code</script>\n```",
])
def test_is_inert_markdown_left_exactly_as_written(source):
    assert markdown_problem(source) is None
    assert inert_markdown(source) == source


def test_is_every_markdown_cell_of_the_course_left_as_it_is():
    cells = [cell for path in sorted((ROOT / "source").rglob("*.ipynb")) + sorted((ROOT / "release").rglob("*.ipynb"))
             for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"]
    assert len(cells) >= 10
    assert [markdown_problem(cell.source) for cell in cells] == [None] * len(cells)


def test_are_only_raster_attachments_kept():
    cell = nbformat.v4.new_markdown_cell("![a](attachment:a.png) ![b](attachment:b.svg)")
    cell["attachments"] = {"a.png": {"image/png": "iVBORw0KGgo="},
                           "b.svg": {"image/svg+xml": "<svg onload='window.PWNED=1'/>"},
                           "c.html": {"text/html": "<script>window.PWNED=1</script>"}}
    (kept,) = sanitize(cell).cells
    assert kept.attachments == {"a.png": {"image/png": "iVBORw0KGgo="}}
    # the reference to the removed one would stop nbconvert (formgrader) rendering the notebook at all
    assert kept.source.startswith(INERT_NOTE)
    page, _ = __import__("nbconvert").HTMLExporter().from_notebook_node(sanitize(cell))
    assert "attachment:b.svg" in page


def test_is_a_markdown_cell_naming_a_missing_attachment_shown_as_text():
    assert markdown_problem("![a](attachment:gone.png)") == "a missing attachment 'attachment:gone.png'"
    assert markdown_problem("![a](attachment:here.png)", {"here.png": {}}) is None


# ------------------------------------------------------------- outputs ---

def test_are_outputs_cleaned_as_in_feedback_with_the_graders_note():
    outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<b>ok</b><script>{SET}</script>",
                                                            "application/javascript": SET}),
               nbformat.v4.new_output("display_data", data={"image/svg+xml": f"<svg onload='{SET}'/>"},
                                      metadata={"image/svg+xml": {"isolated": True}}),
               nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
                                      metadata={"image/png": {"width": 300, "filenames": "javascript:x",
                                                              "alt": "\"><script>"}}),
               nbformat.v4.new_output("error", ename="CheckFailure", evalue="<b>x</b>",
                                      traceback=["CheckFailure: <b>x</b>"]),
               nbformat.v4.new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)]
    (cell,) = sanitize(nbformat.v4.new_code_cell("softmax(x)", outputs=outputs)).cells
    html, svg, png, error, result = cell.outputs
    assert html.data == {"text/html": "<b>ok</b>&lt;script&gt;window.PWNED=1&lt;/script&gt;"}
    assert list(svg.data) == ["text/plain"] and "採点時に取り除かれた出力です" in svg.data["text/plain"]
    assert svg.metadata == {} and png.metadata == {"image/png": {"width": 300}}
    assert error.traceback == ["CheckFailure: <b>x</b>"] and result.data == {"text/plain": "0.5"}


# ------------------------------------------------------------ metadata ---

def test_is_notebook_metadata_reduced_to_plain_kernel_names():
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python",
                               "env": {"X": "1"}},
                "language_info": {"name": "python", "version": "3.11.7", "codemirror_mode": {"name": "ipython",
                                                                                               "version": 3},
                                  "pygments_lexer": "\"><script>window.PWNED=1</script>"},
                "title": "<script>window.PWNED=1</script>",
                "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}},
                "jupytext": {"formats": "ipynb"}}
    assert clean_notebook_metadata(metadata) == {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python", "version": "3.11.7", "codemirror_mode": {"name": "ipython", "version": 3}}}


def test_is_cell_metadata_reduced_to_nbgraders_keys_flags_and_plain_tags():
    metadata = {"nbgrader": {"grade": True, "grade_id": "softmax_1d", "points": 2, "solution": False,
                             "locked": True, "schema_version": 3, "extra": "<script>"},
                "tags": ["ok-tag", "\" onmouseover=\"x"], "deletable": False, "scrolled": "auto",
                "jupyter": {"source_hidden": True, "html": "<script>"}, "bpkit_heatmap": "planted",
                "slideshow": {"slide_type": "<script>"}, "attachments": {}}
    assert clean_cell_metadata(metadata) == {
        "nbgrader": {"grade": True, "grade_id": "softmax_1d", "points": 2, "solution": False, "locked": True,
                     "schema_version": 3},
        "tags": ["ok-tag"], "deletable": False, "scrolled": "auto", "jupyter": {"source_hidden": True}}


def test_is_a_bad_grade_id_dropped_so_nbgraders_metadata_check_refuses_the_cell():
    kept = clean_cell_metadata({"nbgrader": {"grade": True, "grade_id": "\"><img src=x onerror=y>", "points": 1}})
    assert "grade_id" not in kept["nbgrader"]


# ------------------------------------------------------- in the course ---

def test_is_the_step_listed_after_nbgrader_saved_the_scores():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    steps = [s if isinstance(s, str) else s.__name__ for s in config.Autograde.autograde_preprocessors]
    graded = steps.index("bpkit.preprocessors.SanitizeGraded")
    assert graded > steps.index("nbgrader.preprocessors.SaveAutoGrades")
    assert graded > steps.index("nbgrader.preprocessors.AssignLatePenalties")
    assert graded > steps.index("bpkit.preprocessors.LimitedExecute")


def test_does_a_sanitised_notebook_stay_valid_and_sanitise_to_itself(tmp_path: Path):
    cells = [nbformat.v4.new_markdown_cell(source) for source in HOSTILE_MARKDOWN[:5]]
    cells.append(nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "m"}})]))
    once = sanitize(*cells, metadata={"widgets": {"x": 1}})
    twice, _ = SanitizeGraded().preprocess(nbformat.from_dict(once), {})
    assert twice == once
