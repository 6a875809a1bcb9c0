"""The heatmap of a wrong array answer: |yours - correct| per element, as a
small PNG.  A module of its own, with nothing but NumPy and Matplotlib, so
that a "Check my work" cell in the learner's kernel can draw one without
importing nbconvert (the feedback page's summary table draws the same one,
bpkit.preprocessors.feedback_summary)."""
from __future__ import annotations

import io

__all__ = ["heatmap_png"]


def heatmap_png(got, expected) -> bytes:
    """|got - expected| per element as a small PNG (vectors drawn as one row).

    Drawn on a Figure of its own, without pyplot: no backend is chosen and no
    global state changes, so it is safe inside a learner's kernel (whose
    inline plots keep working)."""
    import numpy as np
    from matplotlib.figure import Figure

    diff = np.abs(np.asarray(got, dtype=float) - np.asarray(expected, dtype=float))
    diff = diff.reshape(1, -1) if diff.ndim < 2 else diff.reshape(diff.shape[0], -1)
    fig = Figure(figsize=(min(1 + 0.5 * diff.shape[1], 6), min(0.8 + 0.4 * diff.shape[0], 4)), dpi=90)
    ax = fig.add_subplot()
    image = ax.imshow(diff, cmap="Reds", vmin=0)
    ax.set_title("|yours - correct| per element", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
