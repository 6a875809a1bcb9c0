"""TeX in the kit's pages as MathML, converted when the page is written.

Feedback pages and the class report are read offline (students often read
feedback on a train), so no page loads MathJax from a CDN: each ``$...$``,
``$$...$$``, ``\\(...\\)``, ``\\[...\\]`` and ``\\begin{env}...\\end{env}``
in the page's text becomes MathML (latex2mathml), which Chromium, Firefox
and Safari draw natively, with no script (the pages' Content-Security-Policy
allows none).  What latex2mathml writes is cleaned with a MathML allow-list
(it passes ``\\text{<script>}`` and ``\\href{javascript:...}`` through as
markup); TeX it cannot convert stays as text.

Cost is bounded (issue 20): a page converts at most MAX_FORMULAS formulas
and spends at most MAX_SECONDS converting them (``page_budget``, one per
feedback page); past either, the TeX stays as text.  A markdown cell of
51 200 ``$x$`` once held the grading command's main process for over a
minute; feedback pages are now also written in worker processes, each
under a time limit (bpkit.presentation.feedback).
"""
from __future__ import annotations

import html
import re
import time
from contextlib import contextmanager

import bleach

__all__ = ["tex_to_mathml", "math_in_html", "page_budget", "MATHML_TAGS", "MAX_FORMULAS", "MAX_SECONDS"]

MATHML_TAGS = ["math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac",
               "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded",
               "mphantom", "menclose", "mfenced", "merror"]
MATHML_ATTRIBUTES = {
    "math": ["display"],
    "mo": ["stretchy", "fence", "separator", "lspace", "rspace", "form", "minsize", "maxsize", "movablelimits",
           "largeop", "accent", "symmetric"],
    "mi": ["mathvariant"], "mn": ["mathvariant"], "mtext": ["mathvariant"],
    "mstyle": ["displaystyle", "scriptlevel", "mathvariant", "mathsize"],
    "mfrac": ["linethickness"],
    "mtable": ["columnalign", "rowspacing", "columnspacing", "displaystyle", "columnlines", "rowlines"],
    "mtd": ["columnalign", "columnspan", "rowspan"],
    "mspace": ["width", "height", "depth"],
    "mover": ["accent"], "munder": ["accentunder"], "munderover": ["accent", "accentunder"],
    "menclose": ["notation"],
    "mpadded": ["width", "height", "depth", "lspace", "voffset"],
}

#: The longest TeX converted (a longer one stays as text).
MAX_TEX = 2_000
#: Formulas converted per page (page_budget); later ones stay as TeX.  The
#: course's own notebooks hold fewer than 100.
MAX_FORMULAS = 1_000
#: Seconds spent converting per page (a safety net behind MAX_FORMULAS: a
#: formula costs about 0.3 ms).
MAX_SECONDS = 5.0


class _Budget:
    def __init__(self, formulas: int, seconds: float):
        self.left, self.until = formulas, time.monotonic() + seconds

    def take(self) -> bool:
        """One more formula may be converted (and is counted)."""
        if self.left <= 0 or time.monotonic() > self.until:
            self.left = 0
            return False
        self.left -= 1
        return True


_budget: _Budget | None = None


@contextmanager
def page_budget(formulas: int = MAX_FORMULAS, seconds: float = MAX_SECONDS):
    """Every conversion inside the block (one page: all its markdown cells)
    shares one budget of `formulas` formulas and `seconds` seconds.
    Outside any block, each math_in_html call has a budget of its own."""
    global _budget
    outer, _budget = _budget, _Budget(formulas, seconds)
    try:
        yield _budget
    finally:
        _budget = outer

_MATH = re.compile(
    r"\$\$(?P<dollars>.+?)\$\$"
    r"|\\\[(?P<brackets>.+?)\\\]"
    r"|(?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.+?\\end\{(?P=name)\})"
    r"|\\\((?P<parens>.+?)\\\)"
    r"|(?<![\\$\w])\$(?P<inline>[^\s$](?:[^$]*?[^\s\\$])?)\$(?!\w)",
    re.DOTALL)
# code, preformatted text and the tags themselves are left alone
_SKIP = re.compile(r"(<pre\b.*?</pre\s*>|<code\b.*?</code\s*>|<math\b.*?</math\s*>|<!--.*?-->|<[^>]*>)",
                   re.DOTALL | re.IGNORECASE)


def tex_to_mathml(tex: str, display: bool = False) -> str | None:
    """TeX (no delimiters) as cleaned MathML, or None if it cannot be converted."""
    from latex2mathml.converter import convert

    if len(tex) > MAX_TEX or not tex.strip():
        return None
    try:
        mathml = convert(tex, display="block" if display else "inline")
    except Exception:  # unknown command, unbalanced braces, ...: leave the TeX as it is
        return None
    return bleach.clean(mathml, tags=MATHML_TAGS, attributes=MATHML_ATTRIBUTES, protocols=[], strip=True,
                        strip_comments=True)


def _replace(match: re.Match) -> str:
    if not _budget.take():
        return match.group(0)
    groups = match.groupdict()
    display = groups["inline"] is None and groups["parens"] is None
    tex = next(groups[k] for k in ("dollars", "brackets", "env", "parens", "inline") if groups[k] is not None)
    converted = tex_to_mathml(html.unescape(tex), display=display)
    return match.group(0) if converted is None else converted


def math_in_html(page) -> str:
    """HTML (already escaped or cleaned) with the TeX in its text as MathML,
    within the page's budget (page_budget; a budget of its own outside one)."""
    if _budget is None:
        with page_budget():
            return math_in_html(page)
    parts = _SKIP.split(str(page))
    return "".join(part if i % 2 else _MATH.sub(_replace, part) for i, part in enumerate(parts))
