"""Student-controlled text made safe where it lands: the instructor's
terminal (no control characters, no rich markup), CSV files (no formulas),
matplotlib labels (no mathtext) and HTML pages (a Content-Security-Policy).

Exception names and messages, student ids and reasons come from student
code; every string the kit prints or writes goes through one of these."""
from __future__ import annotations

import re
import unicodedata

from rich.text import Text

__all__ = ["clip", "terminal_text", "rich_text", "csv_cell", "csv_row", "mathtext_safe", "CSP_STATIC",
           "csp_meta"]


def clip(text, limit: int) -> str:
    """text as a string of at most limit characters (cut before any regex
    or decoder runs over it)."""
    text = text if isinstance(text, str) else str(text)
    return text if len(text) <= limit else text[:limit] + "…"


# bidirectional overrides and isolates reorder what the terminal shows
_BIDI = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C}


_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _visible(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def terminal_text(text, limit: int = 500, multiline: bool = False) -> str:
    """text with every control character (C0 incl. ESC, DEL, C1, bidi
    controls) shown as a visible escape such as ``\\x1b``, cut to limit
    characters.  Newlines stay only if multiline (else they become
    ``\\n``)."""
    text = clip(text, limit)
    out = []
    for char in text:
        if char == "\n" and multiline:
            out.append(char)
        elif unicodedata.category(char) == "Cc" or ord(char) in _BIDI or char in "\u2028\u2029":
            out.append(_visible(char))
        else:
            out.append(char)
    return "".join(out)


def rich_text(text, limit: int = 500, multiline: bool = False, style: str = "") -> Text:
    """A rich Text (never parsed as markup) of terminal_text(text)."""
    return Text(terminal_text(text, limit, multiline), style=style)


# OWASP: a cell starting with one of these is a formula in a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value) -> str:
    """value as a CSV cell a spreadsheet never runs: a string starting with
    = + - @ (also full-width), tab, CR or LF gets a leading ', OWASP
    style.  Numbers (-1.5) stay numbers."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_row(values) -> list[str]:
    return [csv_cell(v) for v in values]


def mathtext_safe(text) -> str:
    """A matplotlib label shown literally: no ``$...$`` mathtext (a malformed
    one makes savefig raise), no control characters."""
    return terminal_text(text, 80).replace("$", r"\$")


#: For pages with no script at all (class report, failure pages).
CSP_STATIC = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def csp_meta(policy: str = CSP_STATIC) -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
