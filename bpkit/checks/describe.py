"""What differs, said precisely, when no known mistake explains a wrong answer.

A check that cannot name the mistake still owes the student evidence: which
elements, rows or columns are wrong, whether the answer is the expected one
times a constant, shifted by one, all zeros, the same in every row, or
right for some inputs and wrong for others.  Each description is a fact
measured on the answers (over every failing input of the cell), never a
guess at the cause.

describe(failing, passing) -> (English, Japanese) sentence, or None.
- failing: [(what, got, expected, where)] for the inputs the answer got
  wrong; got and expected are float64 arrays of the same shape; where is an
  optional input array of that shape (e.g. ReLU's x) or None.
- passing: the `what` of the inputs the answer got exactly right (never one
  accepted only because its mistake is graded in another cell).
Each `what` may be a bpkit.checks.core.What, said in Japanese in the
Japanese sentence.
"""
from __future__ import annotations

import numpy as np

__all__ = ["describe", "close"]

RTOL, ATOL = 1e-6, 1e-9


def ja_of(what: str) -> str:
    """The Japanese rendering of a case description (core.What's .ja), else the text itself."""
    return getattr(what, "ja", None) or str(what)


def close(a, b) -> np.ndarray:
    return np.isclose(a, b, rtol=RTOL, atol=ATOL)


def _number(k: float) -> str:
    for n in range(2, 101):
        if abs(k - n) <= 1e-6 * n:
            return f"{n}"
        if abs(k - 1 / n) <= 1e-6 / n:
            return f"1/{n}"
    return f"{k:.4g}"


def _factor(gots: np.ndarray, exps: np.ndarray) -> float | None:
    """k if gots == k * exps for one k over every failing element (k != 1)."""
    if not np.any(exps) or not np.any(gots):
        return None
    k = float(np.dot(gots, exps) / np.dot(exps, exps))
    if abs(k - 1) > 1e-6 and np.all(close(gots, k * exps)):
        return k
    return None


def _offset(gots: np.ndarray, exps: np.ndarray) -> float | None:
    d = gots - exps
    if d.size and np.ptp(d) <= 1e-9 + 1e-6 * np.max(np.abs(exps)) and abs(float(d[0])) > 1e-9:
        return float(np.mean(d))
    return None


def _indices(mask: np.ndarray) -> str:
    return ", ".join(str(tuple(int(i) for i in idx)) if len(idx) > 1 else str(int(idx[0]))
                     for idx in np.argwhere(mask)[:6]) + (" ..." if mask.sum() > 6 else "")


def _structure(got: np.ndarray, expected: np.ndarray, where) -> tuple[str, str, str] | None:
    """A pattern in one answer, (kind, English, Japanese): identical rows,
    wrong only where x <= 0 (or > 0), one wrong entry per row, wrong
    rows, columns or entries."""
    wrong = ~close(got, expected)
    if got.ndim >= 2 and got.shape[0] > 1:
        rows_same = bool(np.all(close(got, got[:1])))
        if rows_same and not np.all(close(expected, expected[:1])):
            return ("rows", "every row of your answer is the same, though the expected rows differ: is one row "
                    "computed and repeated (or every row from the same value)?",
                    "答えのすべての行が同じですが、期待値の行はそれぞれ異なります。1 つの行を計算して繰り返して"
                    "（あるいは全行を同じ値から計算して）いませんか？")
    if where is not None and np.shape(where) == got.shape:
        for region_en, region_ja, mask in (("x <= 0", "x <= 0", where <= 0), ("x > 0", "x > 0", where > 0)):
            if np.any(wrong) and not np.any(wrong & ~mask):
                return (region_en, f"it differs only where {region_en}; everywhere else it is right.",
                        f"{region_ja} の位置だけが違い、それ以外は正しい値です。")
    if got.ndim == 2 and got.shape[0] > 1:
        per_row = wrong.sum(axis=1)
        bad_cols = np.flatnonzero(wrong.sum(axis=0))
        if bad_cols.size == 1 and got.shape[1] > 1:
            return ("some columns", f"only column {int(bad_cols[0])} is wrong; the other columns are right.",
                    f"列 {int(bad_cols[0])} だけが違い、他の列は正しい値です。")
        if np.all(per_row == 1):
            cols = ", ".join(str(int(np.argmax(r))) for r in wrong)
            return ("one per row", f"exactly one entry per row is wrong (columns {cols}); the other entries are right. "
                    "For a loss's gradient, these are usually the true classes.",
                    f"各行でちょうど 1 つの要素だけが違います（列 {cols}）。他の要素は正しい値です。"
                    "損失の勾配なら、たいていは正解クラスの位置です。")
        bad_rows = np.flatnonzero(per_row)
        if 0 < bad_rows.size < got.shape[0]:
            return ("some rows", f"only row{'s' if bad_rows.size > 1 else ''} {_indices(per_row > 0)} "
                                 f"{'are' if bad_rows.size > 1 else 'is'} wrong; the other rows are right.",
                    f"行 {_indices(per_row > 0)} だけが違い、他の行は正しい値です。")
        if 0 < bad_cols.size < got.shape[1]:
            return ("some columns", f"only columns {_indices(wrong.sum(axis=0) > 0)} are wrong; the other columns are right.",
                    f"列 {_indices(wrong.sum(axis=0) > 0)} だけが違い、他の列は正しい値です。")
    if got.size > 1 and 0 < wrong.sum() <= min(6, got.size // 2):
        return ("some entries", f"only the entries at {_indices(wrong)} are wrong; the rest are right.",
                f"{_indices(wrong)} の要素だけが違い、残りは正しい値です。")
    return None


def describe(failing: list, passing: list[str]) -> tuple[str, str] | None:
    gots = np.concatenate([np.ravel(g) for _, g, _, _ in failing])
    exps = np.concatenate([np.ravel(e) for _, _, e, _ in failing])
    sentence = None
    if not np.any(gots) and np.any(exps):
        sentence = ("your answer is all zeros where non-zero values were expected.",
                    "期待値は 0 ではないのに、答えがすべて 0 です。")
    elif (k := _factor(gots, exps)) is not None:
        sentence = ((f"your answer has the opposite sign everywhere (it is -1 times the expected one)."
                     if abs(k + 1) < 1e-6 else
                     f"your answer is {_number(k)} times the expected one everywhere."),
                    (f"答えの符号がすべて逆です（期待値の -1 倍）。" if abs(k + 1) < 1e-6 else
                     f"答えがどこでも期待値の {_number(k)} 倍になっています。"))
    elif (d := _offset(gots, exps)) is not None and gots.size > 1:
        sentence = (f"your answer is off by the same amount everywhere ({d:+.4g}).",
                    f"答えがどこでも同じだけずれています（{d:+.4g}）。")
    else:
        shapes = [(g, e, w) for _, g, e, w in failing if np.ndim(g) >= 1]
        found = [_structure(g, e, w) for g, e, w in shapes]
        if shapes and all(found) and len({kind for kind, _, _ in found}) == 1:
            sentence = found[0][1:]
    where_en = where_ja = ""
    if passing:
        right = "; ".join(passing[:4])
        wrong = "; ".join(w for w, _, _, _ in failing[:4])
        where_en = f" It is right for {right}, and wrong for {wrong}."
        where_ja = (f" {'、'.join(ja_of(w) for w in passing[:4])} では正しく、"
                    f"{'、'.join(ja_of(w) for w, _, _, _ in failing[:4])} では間違っています。")
    if sentence is None and not where_en:
        return None
    en, ja = sentence or ("", "")
    return (en + where_en).strip(), (ja + where_ja).strip()
