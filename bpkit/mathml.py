"""TeX in the kit's pages as MathML, converted when the page is written.

Feedback pages and the class report are read offline (students often read
feedback on a train), so no page loads MathJax from a CDN: each ``$...$``,
``$$...$$``, ``\\(...\\)``, ``\\[...\\]`` and ``\\begin{env}...\\end{env}``
in the page's text becomes MathML (latex2mathml), which Chromium, Firefox
and Safari draw natively, with no script (the pages' Content-Security-Policy
allows none).  What latex2mathml writes is cleaned with a MathML allow-list
(it passes ``\\text{<script>}`` and ``\\href{javascript:...}`` through as
markup); TeX it cannot convert stays as text.
"""
from __future__ import annotations

import html
import re

import bleach

__all__ = ["tex_to_mathml", "math_in_html", "MATHML_TAGS"]

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
    groups = match.groupdict()
    display = groups["inline"] is None and groups["parens"] is None
    tex = next(groups[k] for k in ("dollars", "brackets", "env", "parens", "inline") if groups[k] is not None)
    converted = tex_to_mathml(html.unescape(tex), display=display)
    return match.group(0) if converted is None else converted


def math_in_html(page) -> str:
    """HTML (already escaped or cleaned) with the TeX in its text as MathML."""
    parts = _SKIP.split(str(page))
    return "".join(part if i % 2 else _MATH.sub(_replace, part) for i, part in enumerate(parts))
