"""bpkit.presentation.formgrader: formgrader's exporter, configured by the
course's nbgrader_config.py, renders even an unsanitised graded notebook
inert with its math as MathML and no MathJax; the view's policy lets only
the template's own inline scripts and handlers run (by hash)."""
from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import nbformat
from traitlets.config import Config

from bpkit.course import Course
from bpkit.presentation.formgrader import FILES_POLICY, MATHJAX_STUB, template_part, view_policy
from conftest import ROOT

RESOURCES = {"assignment_id": "ch4_gradients", "notebook_id": "losses_and_gradients", "submission_id": "abc",
             "index": 0, "total": 1, "base_url": "", "student": "s", "last_name": None, "first_name": None,
             "notebook_path": "p"}


def formgraders_exporter(config: Config):
    """The exporter as nbgrader's formgrader makes it: its own extra config,
    then the course's configuration loaded over it."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    extra = Config()
    extra.HTMLExporter.template_name = "formgrade"
    extra.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    extra.merge(config)
    return HTMLExporter(config=extra)


def hostile_notebook():
    """A graded notebook as stock nbgrader (or bpkit before issue 19) left it."""
    script = nbformat.v4.new_output("display_data", data={"text/html": "<b>ok</b><script>window.PWNED=1</script>",
                                                          "application/javascript": "window.PWNED=2"})
    svg = nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload='window.PWNED=3'/>"})
    code = nbformat.v4.new_code_cell("softmax(x)", outputs=[script, svg])
    markdown = nbformat.v4.new_markdown_cell("<img src=x onerror=\"window.PWNED=4\">")
    math = nbformat.v4.new_markdown_cell("The softmax: $y_k = \\frac{\\exp(a_k)}{\\sum_i \\exp(a_i)}$")
    nb = nbformat.v4.new_notebook(cells=[markdown, math, code])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_does_formgraders_exporter_render_an_unsanitised_notebook_inert_with_mathml():
    exporter = formgraders_exporter(Course(ROOT).config)
    page, _ = exporter.from_notebook_node(hostile_notebook(), resources=dict(RESOURCES))
    head = template_part(page)
    notebook = page[len(head):]
    assert head and notebook.startswith("<div")
    tags = tags_of(notebook)
    assert not [t for t, attrs in tags if t in ("script", "svg", "iframe") or any(a.startswith("on") for a in attrs)]
    assert "<b>ok</b>" in notebook and "<mfrac>" in notebook and "shown as text" in notebook
    assert not re.search(r"<script[^>]*mathjax", page, re.IGNORECASE) and "MathJax.Hub.Config" not in page
    assert MATHJAX_STUB.strip() in head and "formgrade.js" in head


def test_does_the_same_page_without_the_course_config_run_the_students_script():
    """The premise: nbgrader's formgrader renders it live."""
    page, _ = formgraders_exporter(Config()).from_notebook_node(hostile_notebook(), resources=dict(RESOURCES))
    notebook = page[len(template_part(page)):]
    tags = tags_of(notebook)
    assert [t for t, _ in tags].count("script") >= 1 and "window.PWNED=2" in notebook  # the Javascript output
    assert ("img", {"alt": "No description has been provided for this image", "onerror": "window.PWNED=4",
                    "src": "x"}) in tags


def tags_of(page: str) -> list[tuple[str, dict]]:
    found = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Tags().feed(page)
    return found


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_does_the_views_policy_allow_the_templates_scripts_and_nothing_of_the_notebook():
    page = ('<html><head><script src="/formgrader/static/js/formgrade.js"></script><script>var a = 1;</script>'
            '</head><body><span onclick="toggle_name(true);">x</span>'
            '<div class="x" id="notebook"><script>window.PWNED=1</script><b onclick="steal()">y</b></div></body></html>')
    policy = view_policy(page, "http://127.0.0.1:8888/formgrader/static/")
    script_src = policy.split("script-src ", 1)[1].split(";", 1)[0].split()
    assert script_src == ["http://127.0.0.1:8888/formgrader/static/", sha("var a = 1;"), "'unsafe-hashes'",
                          sha("toggle_name(true);")]
    assert sha("window.PWNED=1") not in policy and sha("steal()") not in policy
    for directive in ("object-src 'none'", "frame-src 'none'", "base-uri 'none'", "img-src 'self' data:"):
        assert directive in policy
    assert FILES_POLICY.startswith("sandbox;") and "script" not in FILES_POLICY
    # a page whose notebook cannot be found trusts nothing inline
    assert "sha256" not in view_policy(page.replace('id="notebook"', 'id="other"'), "http://h/formgrader/static/")


def test_does_the_feedback_exporter_keep_its_own_steps():
    config = Course(ROOT).config
    assert config.FeedbackExporter.preprocessors == []
    assert config.HTMLExporter.preprocessors == ["bpkit.preprocessors.SanitizeGraded"]
