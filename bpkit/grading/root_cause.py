"""Point a NameError at the earlier cell that failed to define the name.

A SyntaxError (or any exception) in the cell that defines ``Sigmoid`` makes
every later cell that uses it fail with ``NameError: name 'Sigmoid' is not
defined``: true, but the cause is elsewhere.  In a graded notebook, such a
NameError is rewritten to name the cell that should have defined the name,
its error and the line, in English and Japanese, with the key
``earlier_cell_failed`` (so the instructor's table and the report count the
real cause).  Only a cell that really defines the name and really failed is
named; any other NameError is left as it is.
"""
from __future__ import annotations

import ast
import re

__all__ = ["explain_name_errors", "defined_names", "KEY"]

KEY = "earlier_cell_failed"
_UNDEFINED = re.compile(r"name '(\w+)' is not defined")
_LINE = re.compile(r"line (\d+)")


def defined_names(source: str) -> set[str]:
    """Names a cell defines at top level (def, class, assignment, import),
    read even from a cell with a syntax error (by its def/class lines)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"^(?:def|class)\s+(\w+)", source, re.MULTILINE))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _meant(cell) -> set[str]:
    """What a failed cell defines, or was meant to: its top-level names, and
    for a solution cell the name it is there for (its grade id, e.g.
    cross_entropy_error for `def cross_entropy error(y, t):`)."""
    names = defined_names(cell.get("source", ""))
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return names | {grade_id} if grade_id else names


def _error(cell) -> dict | None:
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


def _where(cell, error: dict) -> str:
    """The line of the failing cell the error points at, if it can be found."""
    source = cell.get("source", "")
    try:
        compile(source, "<cell>", "exec")
    except SyntaxError as exc:
        if exc.text:
            return f"line {exc.lineno}: `{exc.text.strip()[:120]}`"
    found = _LINE.findall(str(error.get("evalue", "")))
    lines = source.splitlines()
    if found and 0 < int(found[-1]) <= len(lines):
        return f"line {found[-1]}: `{lines[int(found[-1]) - 1].strip()[:120]}`"
    return ""


def explain_name_errors(nb) -> bool:
    """Rewrite, in place, each NameError caused by an earlier failed cell;
    returns True if anything changed."""
    changed = False
    failed: list[tuple[object, dict]] = []  # earlier code cells with an error, in order
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        error = _error(cell)
        if error is None:
            continue
        match = _UNDEFINED.search(str(error.get("evalue", ""))) if error.get("ename") == "NameError" else None
        culprit = next(((c, e) for c, e in reversed(failed) if match and match.group(1) in _meant(c)), None)
        if culprit is not None:
            c, e = culprit
            name, ename = match.group(1), str(e.get("ename", "an error"))[:60]
            label = c.get("metadata", {}).get("nbgrader", {}).get("grade_id") or "an earlier cell"
            where = _where(c, e)
            error["evalue"] = (
                f"`{name}` is not defined because the cell that defines it ({label}) failed earlier with "
                f"{ename}{' at ' + where if where else ''}. Fix that cell first; this cell may then pass.\n"
                f"`{name}` が定義されていません。定義するセル（{label}）が先に {ename} で失敗しているためです"
                f"{'（' + where + '）' if where else ''}。まずそのセルを直してください。このセルはそれで合格するかもしれません。\n"
                f"[{KEY}]\nNameError: {error.get('evalue', '')}")
            changed = True
        failed.append((cell, error))
    return changed
