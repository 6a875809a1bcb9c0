"""Formgrader's views of a submission, as safe and as offline as the
feedback pages.

Formgrader renders each graded notebook with nbconvert as a live page on the
instructor's Jupyter origin, where a script could call formgrader's and
Jupyter's APIs as the instructor.  The graded notebook holds only inert
student content (bpkit.preprocessors.SanitizeGraded, at autograde); here,
set up from nbgrader_config.py (through bpkit.nbgrader_hooks):

- configure_exporter: formgrader's HTMLExporter runs SanitizeGraded again as
  it renders (a notebook graded before this kit, or by anything else, is
  shown inert too) and uses bpkit_formgrade.html.j2, nbgrader's own
  template with the course's TeX as MathML (bpkit.mathml), so math renders
  offline and no MathJax is fetched from a CDN;
- guard_server: in the Jupyter server that runs formgrader, every response
  under ``/formgrader/submissions/`` gets a Content-Security-Policy.  The
  submission view may run formgrader's own static scripts and the inline
  scripts and handlers of nbgrader's template (by hash, taken from the page
  above the notebook), nothing else: no inline script, handler, plugin,
  frame or other origin, even if a hole ever let markup through (the view
  is never cached, so its policy always comes with the page).  A student
  file served from the graded folder (``.../submissions/<id>/<file>``) is
  sandboxed and runs no script at all.
"""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

__all__ = ["TEMPLATE_DIR", "configure_exporter", "guard_server", "view_policy", "template_part", "FILES_POLICY",
           "without_mathjax", "MATHJAX_STUB", "NOTEBOOK_START"]

TEMPLATE_DIR = Path(__file__).with_name("formgrader_templates")


def configure_exporter(c) -> None:
    """Formgrader's exporter (nbgrader makes it as ``HTMLExporter(config)``)
    sanitises as it renders and draws math as MathML; the feedback exporter,
    a subclass, keeps its own template and steps."""
    c.HTMLExporter.template_file = "bpkit_formgrade.html.j2"
    c.HTMLExporter.extra_template_paths = [str(TEMPLATE_DIR)]
    c.HTMLExporter.preprocessors = ["bpkit.preprocessors.SanitizeGraded"]
    c.HTMLExporter.filters = {"bpkit_mathml": "bpkit.mathml.math_in_html",
                              "bpkit_without_mathjax": "bpkit.presentation.formgrader.without_mathjax"}
    c.FeedbackExporter.preprocessors = []


_MATHJAX = re.compile(r"<script\b[^>]*mathjax[^>]*>.*?</script\s*>", re.DOTALL | re.IGNORECASE)


#: Formgrader's own script waits for MathJax's "End" signal before it focuses the first score box; the
#: math is MathML here, so the signal comes at once.
MATHJAX_STUB = ("<script>window.MathJax = {Hub: {Startup: {signal: {Interest: function (listener) "
                "{ setTimeout(function () { listener('End'); }, 0); }}}}};</script>\n")


def without_mathjax(header) -> str:
    """The page's <head> without MathJax (the CDN script and its config),
    with MATHJAX_STUB for formgrader's script instead."""
    return _MATHJAX.sub("", str(header)).replace("</head>", MATHJAX_STUB + "</head>", 1)


#: Where the student's content starts in nbgrader's formgrade template (nbconvert re-serialises the page,
#: so the attributes may come in any order).
NOTEBOOK_START = re.compile(r"""<div\b[^>]*\sid=["']?notebook["'\s>]""", re.IGNORECASE)


def template_part(page: str) -> str:
    """The page above the notebook (nbgrader's template only); "" if the
    notebook cannot be found, so nothing inline is trusted."""
    found = NOTEBOOK_START.search(page)
    return page[:found.start()] if found else ""
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
_HANDLER = re.compile(r"""\son[a-z]+=(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def view_policy(page: str, static_url: str) -> str:
    """The policy of one submission view: scripts from formgrader's static
    folder (static_url, absolute, ending in /), and the inline scripts and
    event handlers of the page above NOTEBOOK_START (nbgrader's template) by
    hash; no script from the notebook part."""
    trusted = template_part(page)
    scripts = sorted({_hash(s) for s in _INLINE_SCRIPT.findall(trusted)})
    handlers = sorted({_hash(a or b) for a, b in _HANDLER.findall(trusted)})
    script_src = " ".join([static_url, *scripts, *(["'unsafe-hashes'", *handlers] if handlers else [])])
    return (f"default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; object-src 'none'; frame-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


#: A student's file served from the graded folder: an opaque sandbox, no script, nothing fetched but images.
FILES_POLICY = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'"

_SUBMISSION = re.compile(r"/formgrader/submissions/[^/]+/(.*)$")


def _transform():
    from tornado.web import OutputTransform

    class SubmissionPolicy(OutputTransform):
        """Adds the policies above to formgrader's submission responses."""

        def __init__(self, request):
            super().__init__(request)
            self.request = request

        def transform_first_chunk(self, status_code, headers, chunk, finishing):
            found = _SUBMISSION.search(self.request.path)
            if found:
                if found.group(1) == "":  # the view (in one chunk, as formgrader writes it; else no inline script)
                    base = self.request.path[:self.request.path.index("/formgrader/submissions/")]
                    static = f"{self.request.protocol}://{self.request.host}{base}/formgrader/static/"
                    page = chunk.decode("utf-8", "replace") if finishing and status_code == 200 else ""
                    headers["Content-Security-Policy"] = view_policy(page, static)
                    # never cached: a "304 Not Modified" has no page to take the hashes from, and its
                    # headers would replace the cached page's policy
                    headers["Cache-Control"] = "no-store"
                elif found.group(1) not in ("next", "prev", "next_incorrect", "prev_incorrect"):
                    headers["Content-Security-Policy"] = FILES_POLICY
                headers["X-Content-Type-Options"] = "nosniff"
            return status_code, headers, chunk

    return SubmissionPolicy


def guard_server(web_app) -> bool:
    """Add the policies to a Jupyter server's tornado application (once);
    returns whether they were added now."""
    if any(getattr(t, "__name__", "") == "SubmissionPolicy" for t in web_app.transforms):
        return False
    web_app.transforms.insert(0, _transform())  # before gzip: the policy is computed from the page itself
    return True
