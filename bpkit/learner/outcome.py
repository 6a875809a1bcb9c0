"""One graded behaviour's outcome on the learner's side, and how it is shown.

``bpkit check`` (a terminal table and a feedback page) and the "Check my
work" cells (HTML in the notebook, plain text elsewhere) show the same
thing: each behaviour, its points, pass or fail, and for a failure the
diagnosis in English and Japanese, its mistake key, and where the answer is
an array a heatmap of ``|yours - correct|`` per element.
"""
from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass

from bpkit.checks.core import DATA_PREFIX, decode_arrays
from bpkit.escaping import clip, rich_text

__all__ = ["Outcome", "from_message", "heatmap", "html_table", "text_table", "rich_table", "MAX_SHOWN"]

#: Characters of one diagnosis shown (a check's message quotes the learner's own exception).
MAX_SHOWN = 4_000
#: A message's [key] line: bpkit.grading.records.mistake_key's rule, here without importing nbformat
#: (a check cell imports this module in the learner's kernel, where nbformat costs over a second).
_KEY = re.compile(r"^\[([\w.]{1,100})\][ \t]*$", re.MULTILINE)


def mistake_key(message: str) -> str | None:
    found = _KEY.search(clip(message or "", 20_000))
    return found.group(1) if found else None


@dataclass
class Outcome:
    """The outcome of one graded behaviour (one grade cell)."""

    grade_id: str
    behaviour: str  # what is graded: an English line, then (after a newline) a Japanese one
    points: float
    score: float
    key: str | None = None  # the mistake key of a failure ("affine.dW_transposed"), None when passed
    message: str = ""  # the diagnosis without its [data] line
    data: str = ""  # the [data] line of the heatmap, "" when there is none
    notes: str = ""  # remarks that cost no points

    @property
    def passed(self) -> bool:
        return self.score >= self.points

    def to_dict(self) -> dict:
        """Plain data (what a check cell leaves in its output's metadata)."""
        return {"grade_id": self.grade_id, "points": self.points, "score": self.score, "key": self.key,
                "passed": self.passed}


def from_message(grade_id: str, behaviour: str, points: float, passed: bool, message: str,
                 notes: str = "", key: str | None = None) -> Outcome:
    """An Outcome from a verdict's message (its [key] line gives the key
    unless one is given)."""
    lines = clip(message or "", 200_000).splitlines()
    data = next((line for line in lines if line.startswith(DATA_PREFIX)), "")
    text = "\n".join(line for line in lines if not line.startswith(DATA_PREFIX))
    if passed:
        return Outcome(grade_id, behaviour, points, points, None, "", "", notes)
    return Outcome(grade_id, behaviour, points, 0.0, key or mistake_key(message) or "failed", text, data, notes)


def heatmap(outcome: Outcome) -> bytes | None:
    """The PNG of a failure's heatmap, or None (a scalar answer, no data)."""
    arrays = decode_arrays(outcome.data) if outcome.data else None
    if arrays is None or arrays[0].size <= 1:
        return None
    from bpkit.heatmap import heatmap_png

    return heatmap_png(*arrays)


def _status(outcome: Outcome) -> str:
    return "pass / 合格" if outcome.passed else "FAIL / 不合格"


def text_table(title: str, outcomes: list[Outcome]) -> str:
    """The outcomes as plain text (a terminal without rich, nbclient, a log)."""
    score, top = sum(o.score for o in outcomes), sum(o.points for o in outcomes)
    lines = [f"{title}: {score:g} / {top:g}"]
    for o in outcomes:
        first, *more = o.behaviour.splitlines() or [""]
        lines.append(f"  [{_status(o)}] {o.score:g}/{o.points:g}  {first}")
        lines += ["      " + line for line in more]
        if not o.passed:
            lines += ["      " + line for line in clip(o.message, MAX_SHOWN).splitlines()]
        if o.notes:
            lines += ["      " + line for line in clip(o.notes, MAX_SHOWN).splitlines()]
    return "\n".join(lines)


def rich_table(title: str, outcomes: list[Outcome]):
    """The outcomes as a rich Table for the terminal (every cell plain Text,
    control characters shown as escapes: messages quote the learner's code)."""
    from rich.table import Table

    score, top = sum(o.score for o in outcomes), sum(o.points for o in outcomes)
    table = Table(title=rich_text(f"{title}: {score:g} / {top:g}"), show_lines=True)
    table.add_column("behaviour / 確認項目 (diagnosis / 診断)")
    table.add_column("points", justify="right")
    table.add_column("result")
    for o in outcomes:
        text = o.behaviour if o.passed else f"{o.behaviour}\n{clip(o.message, MAX_SHOWN)}"
        if o.notes:
            text += f"\n{clip(o.notes, MAX_SHOWN)}"
        table.add_row(rich_text(text, MAX_SHOWN * 3, multiline=True), f"{o.score:g} / {o.points:g}",
                      rich_text(_status(o), style="green" if o.passed else "bold red"))
    return table


def html_table(title: str, outcomes: list[Outcome], images: bool = True) -> str:
    """The outcomes as an HTML table (a notebook output, a feedback page):
    everything from a check's message is escaped; heatmaps are embedded PNGs."""
    score, top = sum(o.score for o in outcomes), sum(o.points for o in outcomes)
    rows = []
    for o in outcomes:
        colour = "#1a7f37" if o.passed else "#cf222e"
        detail = ""
        if not o.passed:
            detail = ("<pre style='white-space:pre-wrap;word-break:break-word;margin:4px 0;text-align:left'>"
                      + html.escape(clip(o.message, MAX_SHOWN)) + "</pre>")
            png = heatmap(o) if images else None
            if png:
                detail += ("<img class='bpkit-heatmap' alt='heatmap: |yours - correct| per element' "
                           f"src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}'>")
        if o.notes:
            detail += ("<pre style='white-space:pre-wrap;margin:4px 0;color:#555;text-align:left'>"
                       + html.escape(clip(o.notes, MAX_SHOWN)) + "</pre>")
        name = html.escape(o.behaviour).replace("\n", "<br>")  # English<br>Japanese
        rows.append(f"<tr><td style='text-align:left'>{name}{detail}</td>"
                    f"<td>{o.score:g} / {o.points:g}</td>"
                    f"<td style='color:{colour};font-weight:bold'>{_status(o)}</td></tr>")
    return (f"<div class='bpkit-self-check'><h4 style='margin:4px 0'>{html.escape(title)}: "
            f"{score:g} / {top:g}</h4>"
            "<table style='border-collapse:collapse;width:100%;table-layout:auto'>"
            "<thead><tr><th style='text-align:left'>behaviour / 確認項目</th><th>points / 点数</th>"
            "<th>result / 結果</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")
