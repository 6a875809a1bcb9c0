"""Put a table at the top of the feedback: for each graded behaviour, the
points, pass or fail, and for a failure the diagnosis in English and
Japanese with an expected-vs-got summary and, for array answers, a heatmap of
where the answer is wrong."""
import base64
import html
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool
from nbformat.v4 import new_code_cell, new_output
from nbgrader.utils import is_grade, is_solution

from bpkit.checks.core import DATA_PREFIX, decode_arrays
from bpkit.course import behaviour
from bpkit.escaping import clip
from bpkit.heatmap import heatmap_png

__all__ = ["FeedbackSummary", "behaviour_of", "heatmap_png", "HEATMAP_METADATA", "keep_heatmap_data",
           "tidy_error", "heatmap_arrays"]

#: Where a graded cell keeps the arrays of its heatmap: ``cell.metadata[HEATMAP_METADATA]``, one
#: ``[data] ...`` line (bpkit.checks.core.encode_arrays), so no viewer (formgrader, Jupyter) shows it.
HEATMAP_METADATA = "bpkit_heatmap"

# a traceback entry that is a frame of the kit (bpkit/probe.py, bpkit/checks/...), ANSI colours or not
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_KIT_FRAME = re.compile(r"[/\\]bpkit[/\\](?:probe|checks[/\\]\w+)\.py")


def keep_heatmap_data(cell, text: str) -> str:
    """text without its ``[data]`` lines; the first one is kept in the
    cell's metadata (HEATMAP_METADATA) for the feedback's heatmap."""
    lines = str(text).splitlines()
    data = [line for line in lines if line.startswith(DATA_PREFIX)]
    if data:
        cell.setdefault("metadata", {})[HEATMAP_METADATA] = data[0]
    return "\n".join(line for line in lines if not line.startswith(DATA_PREFIX))


def tidy_error(cell, output) -> None:
    """An error output of a graded cell as formgrader should show it: its
    message without ``[data]`` lines (kept in the cell's metadata) and its
    traceback without the kit's own frames (bpkit/probe.py, the checks)."""
    output["evalue"] = keep_heatmap_data(cell, output.get("evalue") or "")
    kept = []
    for entry in output.get("traceback") or []:
        plain = _ANSI.sub("", str(entry))
        if _KIT_FRAME.search(plain) and plain.lstrip().startswith(("File ", "Cell ", "~", "/")):
            continue
        kept.append("\n".join(line for line in str(entry).splitlines()
                               if not _ANSI.sub("", line).lstrip().startswith(DATA_PREFIX)))
    output["traceback"] = kept


def heatmap_arrays(cell, lines) -> tuple | None:
    """The arrays of a failed cell's heatmap: from its metadata (graded
    notebooks since issue 14), else from an old-style ``[data]`` line of its
    error message; None for a scalar answer (nothing to draw) or bad data."""
    stored = cell.get("metadata", {}).get(HEATMAP_METADATA)
    candidates = [stored] if isinstance(stored, str) else []
    candidates += [line for line in lines if line.startswith(DATA_PREFIX)]
    arrays = next((a for a in map(decode_arrays, candidates) if a is not None), None)
    if arrays is None or arrays[0].size <= 1:
        return None
    return arrays


def behaviour_of(cell) -> str:
    """The grade cell's docstring in both languages (bpkit.course.behaviour), or its id."""
    return behaviour(cell.source, cell.metadata["nbgrader"]["grade_id"])


#: What the summary shows of an error message (the rest is in the cell's own output).
MAX_MESSAGE_CHARS = 4_000
MAX_MESSAGE_LINES = 40


def _failure(cell):
    """(message lines, arrays or None) of a failed grade cell.  The message
    comes from the student's notebook: it is cut to MAX_MESSAGE_CHARS per
    line and MAX_MESSAGE_LINES lines, and a ``[data]`` line is never shown,
    only decoded (within decode_arrays' caps) for the heatmap."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            ename = clip(output.get("ename") or "error", 200)
            lines = clip(output.get("evalue") or ename, 200_000).splitlines()[:MAX_MESSAGE_LINES]
            arrays = heatmap_arrays(cell, lines)
            text = [clip(line, MAX_MESSAGE_CHARS) for line in lines if not line.startswith(DATA_PREFIX)]
            if ename == "NotImplementedError":
                text = ["Not implemented yet: replace `raise NotImplementedError()` with your code.",
                        "まだ実装されていません。`raise NotImplementedError()` をあなたのコードに置き換えてください。"]
            elif ename not in ("CheckFailure",):
                text = [f"{ename}: {' '.join(text)}"]
            return text, arrays
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return ["The cell wrote to stderr, which nbgrader counts as a failure.",
                    "このセルは標準エラー出力に書き込んだため、nbgrader では不合格になります。"], None
    return ["The test did not pass.", "テストに合格しませんでした。"], None


class FeedbackSummary(Preprocessor):
    """Insert the summary table as the notebook's first cell."""

    # nbgrader registers preprocessors without enabling them; these always run.
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        rows = []
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if not is_grade(cell) or is_solution(cell):
                continue
            score, points = float(meta.get("score") or 0), float(meta.get("points") or 0)
            passed = score >= points
            detail = ""
            if not passed:
                text, arrays = _failure(cell)
                detail = ("<pre class='bpkit-diagnosis' style='white-space:pre-wrap;word-break:break-word;"
                          "margin:4px 0'>" + html.escape("\n".join(text)) + "</pre>")
                if arrays is not None:
                    png = base64.b64encode(heatmap_png(*arrays)).decode("ascii")
                    detail += f"<img class='bpkit-heatmap' alt='heatmap' src='data:image/png;base64,{png}'>"
            status = ("<span style='color:#1a7f37'>pass / 合格</span>" if passed
                      else "<span style='color:#cf222e'>fail / 不合格</span>")
            rows.append(f"<tr><td><a href='#{html.escape(meta['grade_id'])}'>{html.escape(behaviour_of(cell))}</a>"
                        f"{detail}</td><td class='center'>{score:g} / {points:g}</td>"
                        f"<td class='center'>{status}</td></tr>")
        table = ("<div class='bpkit-summary'><h3>Your results / 採点結果</h3>"
                 "<table class='table table-condensed' style='table-layout:fixed;width:100%'>"
                 "<colgroup><col><col style='width:7em'><col style='width:9em'></colgroup>"
                 "<thead><tr><th>behaviour / 確認項目</th>"
                 "<th class='center'>points / 点数</th><th class='center'>result / 結果</th></tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table></div>")
        # An HTML output of a source-less code cell: nbconvert passes output
        # HTML through, while raw cells go through its HTML sanitizer.
        summary = new_code_cell("", outputs=[new_output("display_data", data={"text/html": table})])
        summary.metadata["transient"] = {"remove_source": True}
        nb.cells.insert(0, summary)
        return nb, resources
