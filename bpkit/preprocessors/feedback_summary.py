"""Put a table at the top of the feedback: for each graded behaviour, the
points, pass or fail, and for a failure the diagnosis in English and
Japanese with an expected-vs-got summary and, for array answers, a heatmap of
where the answer is wrong."""
import base64
import html
import io

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool
from nbformat.v4 import new_code_cell, new_output

from bpkit.checks.core import DATA_PREFIX, decode_arrays
from bpkit.escaping import clip

__all__ = ["FeedbackSummary", "behaviour_of", "heatmap_png"]


def behaviour_of(cell) -> str:
    """The grade cell's one-line docstring, or its id."""
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
    if first.startswith('"""') and first.endswith('"""') and len(first) > 6:
        return first[3:-3]
    return cell.metadata["nbgrader"]["grade_id"]


def heatmap_png(got, expected) -> bytes:
    """|got - expected| per element as a small PNG (vectors drawn as one row)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    diff = np.abs(np.asarray(got, dtype=float) - np.asarray(expected, dtype=float))
    diff = diff.reshape(1, -1) if diff.ndim < 2 else diff.reshape(diff.shape[0], -1)
    fig, ax = plt.subplots(figsize=(min(1 + 0.5 * diff.shape[1], 6), min(0.8 + 0.4 * diff.shape[0], 4)), dpi=90)
    image = ax.imshow(diff, cmap="Reds", vmin=0)
    ax.set_title("|yours - correct| per element", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


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
            arrays = next((a for a in (decode_arrays(line) for line in lines if line.startswith(DATA_PREFIX))
                           if a is not None), None)
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
            if not meta.get("grade") or meta.get("solution"):
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
