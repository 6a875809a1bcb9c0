"""Graded notebooks that hold only inert student content.

The graded notebook in ``autograded/`` is what formgrader renders as HTML on
the instructor's Jupyter origin (its submission and manual-grading views),
what JupyterLab opens, and what feedback pages are made from.  nbgrader
keeps outputs, markdown and metadata exactly as the student left them, so a
``<script>`` displayed by a correct cell or an ``<img onerror=...>`` in a
markdown cell would run as the instructor.  SanitizeGraded, an nbgrader
autograde step placed after SaveAutoGrades (the scores are saved from the
outputs as executed, so no score depends on it), leaves:

- code cell outputs as SanitizeFeedback cleans them (one implementation):
  HTML and markdown through the bleach allow-list, JavaScript, SVG, widget
  and every other non-data type dropped with a note, image metadata reduced
  to its size; raw cells cleaned;
- markdown cells unchanged when every raw HTML tag, attribute and link in
  them is on the allow-list; any other markdown cell is shown as text (a
  fenced block under a bilingual note), so nothing of it is live in any
  renderer (formgrader's nbconvert, JupyterLab, the feedback page);
- markdown attachments only as PNG or JPEG (an SVG attachment can carry
  script);
- notebook and cell metadata reduced to an allow-list of plain values
  (kernelspec and language_info strings; nbgrader's own keys; cell flags and
  tags): no ``widgets`` state, no ``title``, no kit-owned keys a student could
  plant (the kit's ``bpkit_heatmap`` is written afterwards, from the judge).
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nbformat
from nbconvert.filters.markdown_mistune import MarkdownWithMath

from bpkit.preprocessors.sanitize_feedback import (ATTRIBUTES, IMAGE_TYPES, PROTOCOLS, TAGS, SanitizeFeedback,
                                                   clean_html)

__all__ = ["SanitizeGraded", "markdown_problem", "inert_markdown", "clean_cell_metadata", "clean_notebook_metadata",
           "INERT_NOTE"]

#: Said above a markdown cell the grader shows as text.
INERT_NOTE = ("**(This markdown cell held HTML or a link that could run in a browser, so it is shown as text. / "
              "このマークダウンセルにはブラウザで実行されうる HTML やリンクがあったため、テキストとして表示しています。)**")

_URL_ATTRIBUTES = {"href", "src"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def url_problem(url: str, image: bool = False) -> str | None:
    """Why a link or image target could run code, or None: a scheme other
    than http, https, mailto (and ``attachment:`` for an image), read as a
    browser reads it (entities decoded, tabs, newlines and control
    characters removed)."""
    plain = _INVISIBLE.sub("", html.unescape(html.unescape(str(url)))).lower()
    scheme = _SCHEME.match(plain)
    if scheme and scheme.group(1) not in PROTOCOLS and not (image and scheme.group(1) == "attachment"):
        return f"a {scheme.group(1)}: URL"
    return None


class _Markup(HTMLParser):
    """The tags of a raw HTML fragment, checked against the allow-list."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.problems: list[str] = []
        self.stream: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.stream.append(("<", tag, tuple(sorted((k, v or "") for k, v in attrs))))
        if tag not in TAGS:
            self.problems.append(f"<{tag}>")
        allowed = set(ATTRIBUTES.get("*", ())) | set(ATTRIBUTES.get(tag, ()))
        for name, value in attrs:
            if name not in allowed:
                self.problems.append(f"{name}= on <{tag}>")
            elif name in _URL_ATTRIBUTES and url_problem(value or "", image=tag == "img"):
                self.problems.append(f"{url_problem(value or '')} in <{tag}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self.stream.append(("/", tag))
        if tag not in TAGS:
            self.problems.append(f"</{tag}>")

    def handle_data(self, data):
        if data.strip():
            self.stream.append(("text", html.unescape(data).strip()))

    def handle_entityref(self, name):
        self.handle_data(f"&{name};")

    def handle_charref(self, name):
        self.handle_data(f"&#{name};")

    def handle_comment(self, data):
        self.problems.append("an HTML comment")

    def handle_decl(self, decl):
        self.problems.append("a declaration")

    handle_pi = unknown_decl = handle_decl


def _read(fragment: str) -> _Markup:
    markup = _Markup()
    markup.feed(fragment)
    if markup.rawdata.strip():  # an unfinished tag: a browser would finish it with what follows
        markup.problems.append("an unfinished tag")
    markup.close()
    return markup


def _implied(stream: list) -> list:
    """A tag stream without the <tbody> a browser adds to a table by itself."""
    return [item for item in stream if item[:2] not in (("<", "tbody"), ("/", "tbody"))]


def html_problem(fragment: str, whole: bool = True) -> str | None:
    """Why a raw HTML fragment is not inert, or None: a tag, attribute or
    URL scheme off the allow-list, a comment, an unfinished tag, or (for a
    whole fragment, not a lone tag of one) markup that the allow-list
    cleaner (bleach, which parses as browsers do) would change."""
    markup = _read(fragment)
    if markup.problems:
        return markup.problems[0]
    if whole and _implied(_read(clean_html(fragment)).stream) != _implied(markup.stream):
        return "markup a browser reads differently"
    return None


_PARSE = MarkdownWithMath(renderer=None)  # nbconvert's own markdown parser (with math), as an AST


def markdown_problem(source: str, attachments=()) -> str | None:
    """Why a markdown cell would not be inert once rendered, or None: its
    raw HTML (each piece, and all of it together), a link or image target
    (see html_problem, url_problem), or an ``attachment:`` image that is not
    among the cell's (kept) attachments (nbconvert refuses to render the
    whole notebook for one)."""
    pieces, found = [], []

    def walk(tokens):
        for token in tokens:
            kind = token.get("type")
            if kind in ("inline_html", "block_html"):
                pieces.append(token.get("raw", ""))
                found.append(html_problem(token.get("raw", ""), whole=False))
            elif kind in ("link", "image"):
                url = (token.get("attrs") or {}).get("url", "")
                found.append(url_problem(url, image=kind == "image"))
                if url.startswith("attachment:") and url[len("attachment:"):] not in attachments:
                    found.append(f"a missing attachment {url[:100]!r}")
            walk(token.get("children") or ())

    walk(_PARSE(source))
    if pieces:
        found.append(html_problem("".join(pieces)))
    return next((problem for problem in found if problem), None)


def inert_markdown(source: str, attachments=()) -> str:
    """The markdown cell as the instructor and the student may see it: the
    source itself if it is inert (markdown_problem), else INERT_NOTE and the
    source as a fenced block of text (fenced with more backticks than any
    run inside it, so nothing closes it early)."""
    if not markdown_problem(source, attachments):
        return source
    longest = max((len(run) for run in re.findall(r"`+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{INERT_NOTE}\n\n{fence}text\n{source}\n{fence}"


# ------------------------------------------------------------ metadata ---

_NAME = re.compile(r"^[\w.+\-/ ()]{0,100}$")  # names and versions: no markup, no quotes
_GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]+$")


def _name(value) -> bool:
    return isinstance(value, str) and bool(_NAME.match(value))


def _kept(values: dict, rules: dict) -> dict:
    """values reduced to the keys of rules whose value passes the rule."""
    if not isinstance(values, dict):
        return {}
    return {key: values[key] for key, fits in rules.items() if key in values and fits(values[key])}


def _flag(value) -> bool:
    return isinstance(value, bool)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_NBGRADER = {"grade": _flag, "solution": _flag, "locked": _flag, "task": _flag, "points": _number,
             "schema_version": lambda v: isinstance(v, int) and not isinstance(v, bool),
             "grade_id": lambda v: isinstance(v, str) and bool(_GRADE_ID.match(v)),
             "cell_type": lambda v: v in ("code", "markdown", "raw"),
             "checksum": lambda v: isinstance(v, str) and bool(re.match(r"^[0-9a-f]{0,128}$", v))}
_JUPYTER = {"source_hidden": _flag, "outputs_hidden": _flag}
_CELL = {"deletable": _flag, "editable": _flag, "collapsed": _flag, "scrolled": lambda v: v is True or v is False
         or v == "auto"}
_TAG = re.compile(r"^[\w\-.:]{1,64}$")


def clean_cell_metadata(metadata: dict) -> dict:
    """A cell's metadata reduced to nbgrader's keys, Jupyter's display flags
    and plain tags; anything else (a kit-owned key, slideshow or tool
    settings, anything a front-end might render) is dropped."""
    kept = _kept(metadata, _CELL)
    if isinstance(metadata.get("nbgrader"), dict):
        kept["nbgrader"] = _kept(metadata["nbgrader"], _NBGRADER)
    if isinstance(metadata.get("jupyter"), dict) and _kept(metadata["jupyter"], _JUPYTER):
        kept["jupyter"] = _kept(metadata["jupyter"], _JUPYTER)
    tags = metadata.get("tags")
    if isinstance(tags, list) and [t for t in tags if isinstance(t, str) and _TAG.match(t)]:
        kept["tags"] = [t for t in tags if isinstance(t, str) and _TAG.match(t)][:20]
    return kept


_KERNELSPEC = {"name": _name, "display_name": _name, "language": _name}
_LANGUAGE_INFO = {key: _name for key in ("name", "version", "mimetype", "file_extension", "pygments_lexer",
                                         "nbconvert_exporter")}
_LANGUAGE_INFO["codemirror_mode"] = lambda v: _name(v) or (isinstance(v, dict) and set(v) <= {"name", "version"}
                                                           and _name(v.get("name", "")) and
                                                           isinstance(v.get("version", 0), int))


def clean_notebook_metadata(metadata: dict) -> dict:
    """A notebook's metadata reduced to its kernelspec and language_info,
    as plain names (no widget state, no title, nothing else)."""
    kept = {}
    for key, rules in (("kernelspec", _KERNELSPEC), ("language_info", _LANGUAGE_INFO)):
        values = _kept(metadata.get(key), rules)
        if values:
            kept[key] = values
    return kept


def _clean_attachments(cell) -> None:
    attachments = cell.get("attachments")
    if attachments is None:
        return
    kept = {}
    for name, bundle in (attachments.items() if isinstance(attachments, dict) else ()):
        images = {k: v for k, v in bundle.items() if k in IMAGE_TYPES and isinstance(v, str)} \
            if isinstance(bundle, dict) else {}
        if images and _name(name):
            kept[name] = images
    if kept:
        cell["attachments"] = kept
    else:
        del cell["attachments"]


class SanitizeGraded(SanitizeFeedback):
    """nbgrader autograde step: the graded notebook holds only inert student
    content (see the module docstring).  Listed after SaveAutoGrades in
    ``c.Autograde.autograde_preprocessors``."""

    removed_note = "(output removed by the grader: {types} / 採点時に取り除かれた出力です)"

    def preprocess(self, nb, resources):
        nb.metadata = nbformat.from_dict(clean_notebook_metadata(nb.get("metadata") or {}))
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type in ("markdown", "raw"):
            _clean_attachments(cell)
        if cell.cell_type == "markdown":
            cell.source = inert_markdown(cell.source, cell.get("attachments") or {})
        cell.metadata = nbformat.from_dict(clean_cell_metadata(cell.get("metadata") or {}))
        return cell, resources
