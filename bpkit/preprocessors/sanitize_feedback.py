"""Feedback pages without live script from the student.

A student's notebook can carry HTML and script: ``IPython.display.HTML``,
``display({...}, raw=True)``, ``Javascript``, SVG, markdown cells with raw
HTML or ``javascript:`` links.  nbgrader's feedback template passes all of
it through.  Here:

- SanitizeFeedback (a preprocessor, nbconvert's SanitizeHTML with bleach)
  cleans every code cell output (``text/html`` and ``text/markdown``,
  rendered first, so a ``[x](javascript:...)`` link is seen as a link) and
  drops every other output type that is not plain data (JavaScript, SVG,
  widgets, PDF, ...), and cleans raw cells.  It runs before FeedbackSummary,
  whose table escapes what it shows itself.
- clean_html (the allow-list) and add_csp (a Content-Security-Policy that
  lets no script run at all) are what the page's exporter,
  bpkit.preprocessors.feedback_page.FeedbackExporter, cleans each markdown
  cell with after rendering and puts first in the page's head.
"""
from __future__ import annotations

import re

import bleach
from nbconvert.filters.markdown import markdown2html
from nbconvert.preprocessors.sanitize import SanitizeHTML
from traitlets import Bool

__all__ = ["SanitizeFeedback", "clean_html", "clean_output_metadata", "add_csp", "FEEDBACK_CSP", "TAGS",
           "IMAGE_TYPES", "ATTRIBUTES", "PROTOCOLS"]

TAGS = sorted(bleach.ALLOWED_TAGS | {
    "p", "div", "span", "br", "hr", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "img", "table", "thead", "tbody",
    "tfoot", "tr", "th", "td", "caption", "colgroup", "col", "dl", "dt", "dd", "del", "ins", "s", "sub", "sup",
    "u", "kbd", "samp", "var", "small", "mark", "q", "cite", "details", "summary", "figure", "figcaption"})
ATTRIBUTES = {
    "*": ["class", "title"],
    "a": ["href", "title", "name"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align", "scope"],
    "ol": ["start"],
    "col": ["span"],
}
PROTOCOLS = ["http", "https", "mailto"]  # no javascript:, data:, vbscript: ...


def clean_html(text) -> str:
    """HTML with only the allow-listed tags, attributes and URL schemes;
    anything else is shown as text (escaped), comments are dropped."""
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return bleach.clean(text, tags=TAGS, attributes=ATTRIBUTES, protocols=PROTOCOLS, strip=False,
                        strip_comments=True)


#: An image output's metadata that is kept (nbconvert writes it into the <img>, escaped): its size.
#: Anything else goes (``isolated``: an iframe of its own, ``filenames``: a path as the image's source).
IMAGE_TYPES = ("image/png", "image/jpeg")


def _is_size(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 100_000


def clean_output_metadata(output) -> None:
    """An output's metadata reduced to the width, height and ``unconfined``
    of its PNG or JPEG image."""
    metadata = output.get("metadata")
    if not metadata:
        return
    kept = {}
    for mimetype in IMAGE_TYPES:
        entries = metadata.get(mimetype)
        if isinstance(entries, dict):
            size = {k: entries[k] for k in ("width", "height") if _is_size(entries.get(k))}
            if isinstance(entries.get("unconfined"), bool):
                size["unconfined"] = entries["unconfined"]
            if size:
                kept[mimetype] = size
    output["metadata"] = kept


class SanitizeFeedback(SanitizeHTML):
    """Clean code cell outputs and raw cells of an autograded notebook
    before it becomes a feedback page (markdown cells are cleaned after
    rendering, by FeedbackExporter)."""

    # nbgrader registers preprocessors without enabling them; this one always runs.
    enabled = Bool(True).tag(config=True)

    #: What an output whose every type was removed says instead (its types are put in {types}).
    removed_note = "(output not shown in feedback: {types} / フィードバックには表示されない出力です)"

    def sanitize_html_tags(self, html_str):
        return clean_html(html_str)

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)  # widget state is written into the page as-is
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            cell.outputs = self.clean_outputs(cell.get("outputs", []))
        elif cell.cell_type == "raw":
            cell.source = clean_html(cell.source)
        return cell, resources

    def clean_outputs(self, outputs: list) -> list:
        """Code cell outputs with HTML and markdown cleaned (markdown
        rendered first: a markdown link or image is HTML only after
        rendering), every type that is not plain data dropped, image
        metadata reduced to its size; an output left with nothing says so."""
        for output in outputs:
            data = output.get("data") or {}
            if isinstance(data.get("text/markdown"), str):
                rendered = markdown2html(data.pop("text/markdown"))
                data.setdefault("text/html", rendered)
            clean_output_metadata(output)
        before = [sorted(o.get("data") or {}) for o in outputs]
        outputs = self.sanitize_code_outputs(outputs)
        for output, types in zip(outputs, before):
            if "data" in output and not output["data"]:  # everything it had was removed: say so
                output["data"]["text/plain"] = self.removed_note.format(types=", ".join(types)[:200])
        return outputs


#: No script at all (math is MathML, see bpkit.mathml), images only
#: embedded (data:), fonts only the page's own (bootstrap's glyphicons) or
#: embedded, nothing fetched from another origin.
FEEDBACK_CSP = ("default-src 'none'; style-src 'unsafe-inline'; font-src 'self' data:; "
                "img-src data:; base-uri 'none'; form-action 'none'")

CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{FEEDBACK_CSP}">'


_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.DOTALL | re.IGNORECASE)


def add_csp(header) -> str:
    """The page's <head> with the policy as its first element and without
    its scripts (nbgrader's template loads MathJax from a CDN there)."""
    return _SCRIPT.sub("", str(header)).replace("<head>", "<head>\n" + CSP_META, 1)
