"""The feedback page: nbgrader's feedback exporter and template, laid out
for the student and in both languages.

FeedbackExporter (what ``c.GenerateFeedback.exporter_class`` names, and what
``bpkit check`` writes its page with) renders the notebook the feedback
steps prepared (SanitizeFeedback, FeedbackSummary, HideHiddenTests) with
nbgrader's feedback template, extended:

- the page opens with the notebook's name and score, then the kit's table
  (FeedbackSummary's first cell); nbgrader's English list of test cells,
  which repeats the table, is left out;
- then only what the student needs open: their answers (solution cells)
  and the tests they did not pass.  Every other run of cells (instructions,
  given code, tests passed, outputs of cells that are not graded) is
  folded into one ``<details>`` element that names its headings (no script:
  the browser opens it);
- every label is bilingual (nbgrader's "Student's answer", "Grade cell:",
  "Score:", "(Top)", "Comments:" and its automatic "No response."), with
  no input or output prompts;
- markdown cells are cleaned after rendering with SanitizeFeedback's
  allow-list and their TeX drawn as MathML (bpkit.mathml: no MathJax, so it
  renders offline), sized like the text around it;
- a Content-Security-Policy that lets no script run is the first element
  of the head.
"""
from __future__ import annotations

import html
import re

from jinja2 import DictLoader
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown import markdown2html
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool

from bpkit import fonts
from bpkit.mathml import math_in_html
from bpkit.preprocessors.feedback_summary import behaviour_of
from bpkit.preprocessors.sanitize_feedback import add_csp, clean_html

__all__ = ["FeedbackExporter", "fold_cells", "is_shown", "page_head", "comment_html", "FOLD", "SHOW",
           "NO_RESPONSE"]

#: cell.metadata[FOLD] on the first cell of a folded run: the fold's summary line (HTML, escaped here);
#: on its last cell, cell.metadata[FOLD + "_end"] = True.
FOLD = "bpkit_fold"
#: A cell with cell.metadata[SHOW] true is never folded (``bpkit check``'s note at the top of its page).
SHOW = "bpkit_show"

#: nbgrader's automatic comment on an answer left as handed out (nbgrader.preprocessors.SaveAutoGrades).
NO_RESPONSE = "No response."

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
MAX_HEADINGS = 4  # headings a fold's summary names
MAX_HEADING_CHARS = 100


def _passed(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    try:
        return float(meta.get("score") or 0) >= float(meta.get("points") or 0)
    except (TypeError, ValueError):
        return False


def is_shown(cell, index: int) -> bool:
    """Whether a cell stays open on the page: the kit's table (the first
    cell), the student's answers, the tests they did not pass, and cells
    marked SHOW."""
    if cell.get("metadata", {}).get(SHOW) is True:
        return True
    if index == 0 and cell.get("metadata", {}).get("transient", {}).get("remove_source"):
        return True  # FeedbackSummary's table
    if is_solution(cell):
        return True
    return is_grade(cell) and not _passed(cell)


def _fold_summary(cells: list) -> str:
    """One line naming what a fold holds: how many cells, of which kinds,
    and the headings of its markdown cells (the student's text, escaped)."""
    kinds_en, kinds_ja = [], []
    if any(c.cell_type == "markdown" for c in cells):
        kinds_en.append("instructions")
        kinds_ja.append("説明")
    if any(c.cell_type == "code" and not is_grade(c) for c in cells):
        kinds_en.append("given code and examples")
        kinds_ja.append("配布されたコードと例")
    if any(is_grade(c) for c in cells):
        kinds_en.append("tests passed")
        kinds_ja.append("合格したテスト")
    headings = [h.replace("$", "").strip() for c in cells if c.cell_type == "markdown"
                for h in _HEADING.findall(str(c.source)[:20_000])]
    named = [html.escape(h[:MAX_HEADING_CHARS]) for h in headings[:MAX_HEADINGS]]
    if len(headings) > MAX_HEADINGS:
        named.append("…")
    count = len(cells)
    what = (f"{count} more cell{'s' if count != 1 else ''} ({', '.join(kinds_en) or 'other'}) / "
            f"ほかのセル {count} 個（{'・'.join(kinds_ja) or 'その他'}）")
    return (f"<span class='bpkit-fold-what'>{what}</span>"
            + (f"<span class='bpkit-fold-headings'>{' · '.join(named)}</span>" if named else ""))


def fold_cells(nb) -> None:
    """Mark each run of cells that is not shown (is_shown) as one fold:
    FOLD (its summary) on the run's first cell, FOLD_end on its last."""
    run: list = []

    def close() -> None:
        if run:
            run[0].metadata[FOLD] = _fold_summary(run)
            run[-1].metadata[FOLD + "_end"] = True
            run.clear()

    for index, cell in enumerate(nb.cells):
        cell.setdefault("metadata", {})
        cell.metadata.pop(FOLD, None)  # never one the notebook brought
        cell.metadata.pop(FOLD + "_end", None)
        if is_shown(cell, index):
            close()
        else:
            run.append(cell)
    close()


def comment_html(comment) -> str:
    """A comment on an answer: nbgrader's automatic one in both languages,
    a grader's own as cleaned Markdown."""
    text = str(comment or "").strip()
    if text == NO_RESPONSE:
        return "No response: the answer is as it was handed out. / 未解答です（配布されたときのままです）。"
    return clean_html(markdown2html(text))


#: Sizes and folds (inline styles only: the policy allows no other source).  Chromium draws inline
#: MathML in "compact" style, where a fraction's numerator and denominator are a script level smaller
#: than the text (∂L/∂out came out at about 9 px); here every fraction is drawn at the size of the text
#: around it (math-style: normal) and the math font a little larger than the text's.
PAGE_CSS = """<style>
:root { --jp-ui-font-family: %(text)s; --jp-content-font-family: %(text)s; --jp-code-font-family: %(code)s; }
%(css)sbody { padding-top: 1em; }
.bpkit-title { font-size: 22px; margin: 0 0 2px; }
.bpkit-score { font-size: 16px; margin: 0; }
.bpkit-score .late-penalty { color: #d2413a; }
details.bpkit-fold { margin: 8px 0; padding: 2px 10px; border-left: 3px solid #d0d7de; background: #f6f8fa; }
details.bpkit-fold > summary { display: list-item; cursor: pointer; color: #444; font-size: 13px; padding: 4px 0; }
div.output_area pre, div.output_text pre { white-space: pre-wrap; word-break: break-word; }
details.bpkit-fold[open] > summary { margin-bottom: 6px; }
.bpkit-fold-headings { display: block; color: #666; margin-left: 1.2em; }
math { font-size: 1.15em; math-style: normal; }
math[display="block"] { font-size: 1.25em; margin: 0.4em 0; }
a.anchor-link { display: none; }
div.nbgrader_cell .panel-heading { height: auto; min-height: 37px; }
.bpkit-behaviour { color: #fff; }
</style>
""" % {"text": fonts.TEXT, "code": fonts.CODE, "css": fonts.CSS}


def page_head(header) -> str:
    """The page's <head>: the policy first, no script, the page's own styles last."""
    return add_csp(header).replace("</head>", PAGE_CSS + "</head>", 1)


TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block header -%}{{ super() | bpkit_page_head }}{%- endblock header -%}

{%- macro bpkit_score(cell) -%}
Score / 得点: {{ '%g' | format(cell.metadata.nbgrader.score | float) }} / {{ '%g' | format(cell.metadata.nbgrader.points | float) }}
{%- endmacro -%}

{%- macro bpkit_heading(cell) -%}
{%- set meta = cell.metadata.nbgrader -%}
{%- if meta.solution or meta.task -%}<a name="comment-{{ meta.grade_id | e }}"></a>{%- endif -%}
{%- if meta.grade -%}<a name="{{ meta.grade_id | e }}"></a>{%- endif -%}
<div class="panel-heading">
{%- if meta.solution -%}
  <span class="nbgrader-label">Your answer / あなたの解答</span>
{%- elif meta.task -%}
  <span class="nbgrader-label">Your task / 課題</span>
{%- elif meta.grade -%}
  <span class="nbgrader-label">Test / テスト: <span class="bpkit-behaviour">{{ cell | bpkit_behaviour | e }}</span></span>
{%- endif -%}
  <span class="pull-right">{% if meta.grade or meta.task %}{{ bpkit_score(cell) }} {% endif %}<a href="#top">↑ top / 先頭へ</a></span>
</div>
{%- endmacro -%}

{%- macro bpkit_footer(cell) -%}
{%- set meta = cell.metadata.nbgrader -%}
{%- if (meta.solution or meta.task) and meta.comment -%}
<div class="panel-footer"><b>Comment / コメント:</b> {{ meta.comment | bpkit_comment }}</div>
{%- endif -%}
{%- endmacro -%}

{%- block body -%}
<body>
<a name="top"></a>
<div class="container bpkit-feedback">
<div class="panel panel-default">
<div class="panel-heading">
<h1 class="bpkit-title">{{ resources.nbgrader.notebook | e }}</h1>
<p class="bpkit-score">Score / 得点: <b>{{ '%g' | format(resources.nbgrader.score | float) }} / {{ '%g' | format(resources.nbgrader.max_score | float) }}</b>
{%- if resources.nbgrader.late_penalty > 0 %}
 <span class="late-penalty">(late submission / 提出遅れ: −{{ '%g' | format(resources.nbgrader.late_penalty | float) }})</span>
{%- endif -%}
</p>
</div>
<div class="panel-body">
<div id="notebook" class="border-box-sizing">
<div class="container" id="notebook-container">
{{ super.super() }}
</div>
</div>
</div>
</div>
</div>
</body>
{%- endblock body -%}
{%- block body_header -%}{%- endblock body_header -%}
{%- block body_footer -%}{%- endblock body_footer -%}

{%- block any_cell scoped -%}
{%- if cell.metadata.bpkit_fold -%}<details class="bpkit-fold"><summary>{{ cell.metadata.bpkit_fold }}</summary>{%- endif -%}
{{ super() }}
{%- if cell.metadata.bpkit_fold_end -%}</details>{%- endif -%}
{%- endblock any_cell -%}

{% block markdowncell scoped %}
{%- if cell.metadata.nbgrader and (cell.metadata.nbgrader.solution or cell.metadata.nbgrader.grade or cell.metadata.nbgrader.task) -%}
<div class="cell border-box-sizing text_cell rendered">
<div class="panel panel-primary nbgrader_cell">
{{ bpkit_heading(cell) }}
<div class="panel-body"><div class="text_cell_render border-box-sizing rendered_html">
{{ cell.source | markdown2html | strip_files_prefix | bpkit_clean_html | bpkit_mathml }}
</div></div>
{{ bpkit_footer(cell) }}
</div>
</div>
{%- else -%}
{{ super() | bpkit_clean_html | bpkit_mathml }}
{%- endif -%}
{% endblock markdowncell %}

{% block input %}
{%- if cell.metadata.nbgrader and (cell.metadata.nbgrader.solution or cell.metadata.nbgrader.grade) -%}
<div class="panel panel-primary nbgrader_cell">
{{ bpkit_heading(cell) }}
<div class="panel-body"><div class="input_area">{{ cell.source | highlight_code(metadata=cell.metadata) }}</div></div>
{{ bpkit_footer(cell) }}
</div>
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock input %}
"""


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback page (its template, extended): the score and the
    kit's table first, then the student's answers and failed tests, the
    rest folded; bilingual labels; markdown cleaned after rendering with its
    math as MathML; a Content-Security-Policy without script."""

    exclude_input_prompt = Bool(True, help="no In [n]: prompts on the feedback page").tag(config=True)
    exclude_output_prompt = Bool(True, help="no Out[n]: prompts on the feedback page").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_loaders = [DictLoader({"bpkit_feedback.html.j2": TEMPLATE}), *self.extra_loaders]
        self.template_file = "bpkit_feedback.html.j2"

    def _preprocess(self, nb, resources):
        # after the configured feedback steps (the table is the first cell by then): mark the folds
        nb, resources = super()._preprocess(nb, resources)
        fold_cells(nb)
        return nb, resources

    def default_filters(self):
        yield from super().default_filters()
        yield ("bpkit_clean_html", clean_html)
        yield ("bpkit_page_head", page_head)
        yield ("bpkit_mathml", math_in_html)
        yield ("bpkit_behaviour", behaviour_of)
        yield ("bpkit_comment", comment_html)
