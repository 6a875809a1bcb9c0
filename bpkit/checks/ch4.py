"""Hidden checks for the chapter 4 notebook: softmax, cross-entropy and the
numerical gradient.  Each ``check_*`` is called by one grade cell with the
student's function and raises CheckFailure naming the mistake."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

import reference as ref
from bpkit.checks.core import (CheckFailure, Mistake, call, expect_close, expect_unchanged, fail,
                               hard_coded, rng_for, simulate)
from reference.functions import DELTA
from reference.gradient import H

__all__ = [
    "check_softmax_1d",
    "check_softmax_batch",
    "check_softmax_large_inputs",
    "check_cross_entropy_one_hot",
    "check_cross_entropy_labels",
    "check_cross_entropy_1d",
    "check_cross_entropy_zero_probability",
    "check_cross_entropy_keeps_inputs",
    "check_numerical_gradient_1d",
    "check_numerical_gradient_nd",
    "check_numerical_gradient_restores_x",
    "check_numerical_gradient_closure",
]

# Shapes (N, C): batch of one, non-square, square, and more samples than classes.
BATCH_SHAPES = [(1, 4), (2, 3), (5, 5), (7, 3)]


# ---------------------------------------------------------------- softmax ---

def _softmax_mistakes(x: np.ndarray) -> list[Mistake]:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return [
        Mistake("softmax.wrong_axis",
                "softmax normalised over the wrong axis: each row (one sample) must sum to 1. "
                "Use axis=-1 with keepdims=True.",
                "softmax の正規化の軸が違います。各行（1 サンプル）の和が 1 になるように、"
                "axis=-1 と keepdims=True を使ってください。",
                e / e.sum(axis=0, keepdims=True)),
        Mistake("softmax.whole_batch",
                "softmax divided by the sum over the whole batch: each row must sum to 1 on its own. "
                "Sum with axis=-1, keepdims=True.",
                "softmax をバッチ全体の和で割っています。行ごとに和が 1 になるよう、"
                "axis=-1, keepdims=True で和を取ってください。",
                e / e.sum()),
    ]


def check_softmax_1d(softmax) -> None:
    """softmax of a single score vector (C,) matches the reference."""
    rng = rng_for("softmax_1d")
    for c in (2, 3, 10):
        x = rng.normal(size=c) * 3
        expect_close(f"softmax(x) for x of shape ({c},)", call("softmax", softmax, x.copy()),
                     ref.softmax(x), mistakes=[hard_coded([0.01821127, 0.24519181, 0.73659691])])


def check_softmax_batch(softmax) -> None:
    """softmax of a batch (N, C) normalises each row, matching the reference."""
    rng = rng_for("softmax_batch")
    for shape in BATCH_SHAPES:
        x = rng.normal(size=shape) * 3
        expect_close(f"softmax(x) for x of shape {shape}", call("softmax", softmax, x.copy()),
                     ref.softmax(x), mistakes=_softmax_mistakes(x))


def _softmax_global_max(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=-1, keepdims=True)


def check_softmax_large_inputs(softmax) -> None:
    """softmax does not overflow for scores around +-1000."""
    rng = rng_for("softmax_large")
    # One sample around +1000, and a batch whose rows sit around +1000,
    # -1000, 0 and 500: exp overflows without the max, and one max for the
    # whole batch underflows the low rows to 0 / 0.
    offsets = np.array([[1000.0], [-1000.0], [0.0], [500.0]])
    for x in (rng.normal(size=3) * 3 + 1000, rng.normal(size=(4, 6)) * 3 + offsets):
        shape = x.shape
        got = call("softmax", softmax, x.copy())
        try:
            got_arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            got_arr = np.zeros(0)
        if got_arr.shape == x.shape and not np.all(np.isfinite(got_arr)):
            global_max = simulate(_softmax_global_max, x)
            if global_max is not None and np.array_equal(np.isnan(got_arr), np.isnan(global_max)):
                fail("softmax subtracts one maximum for the whole batch: a row whose scores are far below it "
                     "underflows to 0 / 0 = nan. Subtract each row's own maximum, "
                     "np.max(x, axis=-1, keepdims=True).",
                     "softmax がバッチ全体で 1 つの最大値を引いています。その最大値よりずっと小さい行は 0 / 0 = nan に"
                     "なります。行ごとの最大値 np.max(x, axis=-1, keepdims=True) を引いてください。",
                     key="softmax.global_max")
            fail("softmax overflowed (nan) for scores around 1000: exp(1000) is inf. "
                 "Subtract the maximum score first: exp(x - max(x)) gives the same softmax.",
                 "スコアが 1000 程度のとき softmax がオーバーフロー（nan）しました。exp(1000) は inf です。"
                 "先に最大値を引いてください：exp(x - max(x)) でも softmax の値は変わりません。",
                 key="softmax.overflow")
        # Normalising over the wrong axis is graded in the batch cell.
        expect_close(f"softmax(x) for large x of shape {shape}", got, ref.softmax(x),
                     excused=_softmax_mistakes(x))


# ---------------------------------------------------------- cross-entropy ---

def _probabilities(rng, n: int, c: int) -> np.ndarray:
    return ref.softmax(rng.normal(size=(n, c)) * 2)


def _as_batch(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    return y, t


# Known wrong cross-entropy implementations, run on the same inputs as the student's.

def _cee_labels_only(y, t):
    """The label version without the one-hot test (the learner's 6.21)."""
    y, t = _as_batch(y, t)
    n = y.shape[0]
    return -np.sum(np.log(y[np.arange(n), t] + DELTA)) / n


def _cee_one_hot_only(y, t):
    y, t = _as_batch(y, t)
    return -np.sum(t * np.log(y + DELTA)) / y.shape[0]


def _cee_labels(y, t):
    y, t = _as_batch(y, t)
    return y, (t.argmax(axis=1) if t.size == y.size else t.reshape(-1))


def _cee_sum(y, t):
    y, t = _cee_labels(y, t)
    return -np.sum(np.log(y[np.arange(y.shape[0]), t] + DELTA))


def _cee_mean_all(y, t):
    y, t = _cee_labels(y, t)
    return -np.sum(np.log(y[np.arange(y.shape[0]), t] + DELTA)) / y.size


def _cee_log10(y, t):
    y, t = _cee_labels(y, t)
    return -np.mean(np.log10(y[np.arange(y.shape[0]), t] + DELTA))


def _cee_wrong_sign(y, t):
    return -ref.cross_entropy_error(y, t)


CEE_LABELS_ONLY = Mistake(
    "cee.labels_only",
    "cross_entropy_error treats a one-hot t as class labels (the 6.21 example): when t has as many "
    "elements as y (t.size == y.size), turn it into labels first with t = t.argmax(axis=1).",
    "cross_entropy_error が one-hot の t をクラス番号として扱っています（6.21 の例）。t の要素数が y と同じ"
    "（t.size == y.size）ときは、先に t = t.argmax(axis=1) でラベルに変換してください。",
    None)
CEE_ONE_HOT_ONLY = Mistake(
    "cee.one_hot_only",
    "cross_entropy_error handles only one-hot targets: with integer labels t of shape (N,), pick each "
    "sample's probability with y[np.arange(N), t] instead of multiplying by t.",
    "cross_entropy_error が one-hot の教師データにしか対応していません。形状 (N,) の整数ラベルのときは、"
    "t を掛けるのではなく y[np.arange(N), t] で各サンプルの確率を取り出してください。",
    None)
CEE_NO_RESHAPE = Mistake(
    "cee.no_reshape_1d",
    "cross_entropy_error fails for a single sample y of shape (C,) (IndexError: too many indices): "
    "reshape it to a batch of one first, y = y.reshape(1, y.size) and t = t.reshape(1, t.size).",
    "形状 (C,) の 1 サンプルの y で cross_entropy_error が失敗します（IndexError: too many indices）。"
    "先に y = y.reshape(1, y.size)、t = t.reshape(1, t.size) で大きさ 1 のバッチにしてください。",
    None)


def _cee_formula_mistakes(y: np.ndarray, t: np.ndarray) -> list[Mistake]:
    """Mistakes in the loss formula itself; they cost points in the one-hot cell."""
    return [
        Mistake("cee.no_batch_mean",
                "cross_entropy_error returns the sum over the batch: divide by the batch size N "
                "(y.shape[0]) so the loss is an average.",
                "cross_entropy_error がバッチ全体の和を返しています。バッチサイズ N（y.shape[0]）で割って平均にしてください。",
                None if y.ndim == 1 or y.shape[0] == 1 else simulate(_cee_sum, y, t)),
        Mistake("cee.mean_over_classes",
                "cross_entropy_error averages over every element (samples and classes): divide by the "
                "batch size N only, not by N*C (np.mean(t * log y) does the latter).",
                "cross_entropy_error が全要素（サンプルとクラス）で平均しています。N*C ではなくバッチサイズ N だけで割ってください"
                "（np.mean(t * log y) は N*C で割ってしまいます）。",
                simulate(_cee_mean_all, y, t)),
        Mistake("cee.log10",
                "cross_entropy_error uses log10: the loss uses the natural logarithm np.log.",
                "cross_entropy_error が log10 を使っています。損失には自然対数 np.log を使います。",
                simulate(_cee_log10, y, t)),
        Mistake("cee.wrong_sign",
                "cross_entropy_error has the wrong sign: the loss is -log(y), which is never negative.",
                "cross_entropy_error の符号が逆です。損失は -log(y) で、負になることはありません。",
                simulate(_cee_wrong_sign, y, t)),
    ]


def _check_cee(what: str, cross_entropy_error, y: np.ndarray, t: np.ndarray, cell: str) -> None:
    """Call the student's function on copies of (y, t) and judge the loss.

    cell: "one_hot", "labels" or "single" -- which grade cell is asking.
    Each known mistake costs points in one cell only and is excused elsewhere.
    """
    hints = {}
    if y.ndim == 1:
        hints[IndexError] = CEE_NO_RESHAPE
    elif t.shape != y.shape:
        hints[ValueError] = CEE_ONE_HOT_ONLY  # t * log(y) cannot broadcast labels
    elif y.shape[0] not in (1, y.shape[-1]):
        hints[IndexError] = CEE_LABELS_ONLY  # y[np.arange(N), t] with a 2-D t
    got = call(what, cross_entropy_error, y.copy(), t.copy(), hints=hints)
    formula = _cee_formula_mistakes(y, t)
    form = (replace(CEE_LABELS_ONLY, value=simulate(_cee_labels_only, y, t)) if t.shape == y.shape
            else replace(CEE_ONE_HOT_ONLY, value=simulate(_cee_one_hot_only, y, t)))
    owned_keys = {"one_hot": {"cee.labels_only", "hard_coded", *(m.key for m in formula)},
                  "labels": {"cee.one_hot_only", "hard_coded"},
                  "single": {"hard_coded"}}[cell]
    known = [form, *formula, hard_coded(0.3566748010815999, 0.2899091136979087)]
    y2, labels = _cee_labels(y, t)
    # np.clip(y, 1e-7, None) is an equally correct way to keep log finite.
    clipped = -np.mean(np.log(np.clip(y2[np.arange(y2.shape[0]), labels], DELTA, None)))
    expect_close(what, got, ref.cross_entropy_error(y, t), scalar=True, alternatives=[clipped],
                 mistakes=[m for m in known if m.key in owned_keys],
                 excused=[m for m in known if m.key not in owned_keys])


def check_cross_entropy_one_hot(cross_entropy_error) -> None:
    """cross_entropy_error with one-hot targets (N, C) matches the reference."""
    rng = rng_for("cee_one_hot")
    for n, c in BATCH_SHAPES:
        y = _probabilities(rng, n, c)
        t = np.eye(c, dtype=int)[rng.integers(0, c, size=n)]
        _check_cee(f"cross_entropy_error(y, t) for one-hot t of shape {t.shape}", cross_entropy_error, y, t,
                   "one_hot")


def check_cross_entropy_labels(cross_entropy_error) -> None:
    """cross_entropy_error with integer labels (N,) matches the reference."""
    rng = rng_for("cee_labels")
    for n, c in BATCH_SHAPES:
        y = _probabilities(rng, n, c)
        t = rng.integers(0, c, size=n)
        _check_cee(f"cross_entropy_error(y, t) for labels t of shape ({n},)", cross_entropy_error, y, t,
                   "labels")


def check_cross_entropy_1d(cross_entropy_error) -> None:
    """cross_entropy_error accepts a single sample y of shape (C,)."""
    rng = rng_for("cee_1d")
    for c in (3, 10):
        y = _probabilities(rng, 1, c)[0]
        label = int(rng.integers(0, c))
        for t, kind in ((np.eye(c, dtype=int)[label], f"one-hot t of shape ({c},)"),
                        (np.array(label), "a single integer label")):
            _check_cee(f"cross_entropy_error(y, t) for y of shape ({c},) and {kind}",
                       cross_entropy_error, y, t, "single")


def _run_either_form(what: str, cross_entropy_error, y: np.ndarray, labels: np.ndarray):
    """Run the student's function with one-hot targets, or with labels if the
    one-hot form raises: a cell about another behaviour should not fail
    because one form of t is unsupported (that costs points in its own cell).
    Returns (t, y_passed, t_passed, result)."""
    one_hot = np.eye(y.shape[-1], dtype=int)[labels]
    error = None
    for t in (one_hot, labels):
        y_in, t_in = y.copy(), t.copy()
        try:
            return t, y_in, t_in, call(what, cross_entropy_error, y_in, t_in)
        except CheckFailure as exc:
            if "NotImplementedError" in str(exc) or "not implemented" in str(exc):
                raise
            error = error or exc
    raise error


def check_cross_entropy_zero_probability(cross_entropy_error) -> None:
    """cross_entropy_error stays finite when the true class has probability 0."""
    y = np.array([[0.0, 0.4, 0.6], [0.1, 0.0, 0.9]])
    _, _, _, got = _run_either_form("cross_entropy_error(y, t)", cross_entropy_error, y, np.array([0, 1]))
    try:
        finite = bool(np.isfinite(float(got)))
    except (TypeError, ValueError):
        fail(f"cross_entropy_error should return a single number, but it returned {got!r}.",
             f"cross_entropy_error は 1 つの数を返すべきですが、{got!r} を返しました。",
             key="wrong_type")
    if not finite:
        fail("cross_entropy_error returned inf when the true class has probability 0: log(0) is -inf. "
             "Add a tiny delta inside the log: np.log(y + 1e-7).",
             "正解クラスの確率が 0 のとき cross_entropy_error が inf を返しました。log(0) は -inf です。"
             "log の中に小さな値を足してください：np.log(y + 1e-7)。",
             key="cee.no_delta")
    # Any finite value passes: the formula itself is graded in its own cells.


def check_cross_entropy_keeps_inputs(cross_entropy_error) -> None:
    """cross_entropy_error does not modify y or t."""
    rng = rng_for("cee_keeps")
    y = _probabilities(rng, 4, 5)
    labels = rng.integers(0, 5, size=4)
    t, y_in, t_in, _ = _run_either_form("cross_entropy_error(y, t)", cross_entropy_error, y, labels)
    expect_unchanged("cross_entropy_error (argument y)", y, y_in)
    expect_unchanged("cross_entropy_error (argument t)", t, t_in)


# ---------------------------------------------------- numerical gradient ---

def _cubic(c: np.ndarray):
    """f(x) = sum(c * x**3 + x**2): its gradient 3 c x**2 + 2 x is known exactly,
    and its curvature makes a forward difference visibly wrong (error ~ h)."""
    return lambda x: float(np.sum(c * x ** 3 + x ** 2))


def _forward_difference(f, x: np.ndarray) -> np.ndarray:
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        base = f(x)
        old = x[idx]
        x[idx] = old + H
        grad[idx] = (f(x) - base) / H
        x[idx] = old
    return grad


def _first_axis_only(f, x: np.ndarray) -> np.ndarray:
    """The loop `for i in range(x.shape[0])` on a matrix: x[i] is a whole row,
    so each row is shifted at once and gets one directional derivative."""
    grad = np.zeros_like(x)
    for i in range(x.shape[0]):
        old = x[i].copy()
        x[i] = old + H
        f_plus = f(x)
        x[i] = old - H
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * H)
    return grad


_NUMGRAD_ZERO = (
    "numerical_gradient returned all zeros: h is so small that x + h == x in floating point, so "
    "f(x + h) - f(x - h) is 0. Use h = 1e-4.",
    "numerical_gradient がすべて 0 を返しました。h が小さすぎて浮動小数点では x + h == x となり、"
    "f(x + h) - f(x - h) が 0 になっています。h = 1e-4 を使ってください。")


def _numerical_gradient_mistakes(f, x: np.ndarray) -> list[Mistake]:
    return [
        hard_coded([6.0, 8.0], [0.0, 4.0], [6.0, 0.0]),
        Mistake("numgrad.forward_difference",
                "numerical_gradient uses a forward difference (f(x+h) - f(x)) / h: use the central "
                "difference (f(x+h) - f(x-h)) / (2h), whose error is much smaller.",
                "numerical_gradient が前方差分 (f(x+h) - f(x)) / h になっています。誤差のずっと小さい"
                "中心差分 (f(x+h) - f(x-h)) / (2h) を使ってください。",
                _forward_difference(f, x.copy())),
        Mistake("numgrad.first_axis_only",
                "numerical_gradient only visits some elements: loop over every index of x "
                "(np.nditer with multi_index, or np.ndindex(x.shape)), not just range(x.shape[0]) or x.size of the first row.",
                "numerical_gradient が一部の要素しか計算していません。range(x.shape[0]) ではなく、x のすべての添字"
                "（multi_index 付きの np.nditer や np.ndindex(x.shape)）でループしてください。",
                _first_axis_only(f, x.copy())),
        Mistake("numgrad.zero", *_NUMGRAD_ZERO, np.zeros_like(x)),
    ]


def _check_numerical_gradient(numerical_gradient, name: str, shapes, f_of) -> None:
    rng = rng_for(name)
    for shape in shapes:
        x = rng.normal(size=shape)
        f = f_of(rng.normal(size=shape))
        got = call("numerical_gradient(f, x)", numerical_gradient, f, x.copy())
        expect_close(f"numerical_gradient(f, x) for x of shape {shape}", got,
                     ref.numerical_gradient(f, x.copy()),
                     mistakes=_numerical_gradient_mistakes(f, x))


def _linear(c: np.ndarray):
    """f(x) = sum(c * x): every difference scheme gives exactly c, so this
    tests only that every element is visited (the 1-D check grades the
    central difference)."""
    return lambda x: float(np.sum(c * x))


def check_numerical_gradient_1d(numerical_gradient) -> None:
    """numerical_gradient matches the central difference for vectors (D,)."""
    _check_numerical_gradient(numerical_gradient, "numgrad_1d", [(2,), (3,), (6,)], _cubic)


def check_numerical_gradient_nd(numerical_gradient) -> None:
    """numerical_gradient visits every element of matrices and 3-D arrays."""
    _check_numerical_gradient(numerical_gradient, "numgrad_nd", [(2, 3), (3, 2), (2, 3, 2)], _linear)


def check_numerical_gradient_restores_x(numerical_gradient) -> None:
    """numerical_gradient leaves x exactly as it found it."""
    rng = rng_for("numgrad_restores")
    x = rng.normal(size=(3, 4))
    x_in = x.copy()
    call("numerical_gradient(f, x)", numerical_gradient, _cubic(np.ones_like(x)), x_in)
    if not np.array_equal(x, x_in):
        fail("numerical_gradient changed x: after evaluating f(x+h) and f(x-h), put the original "
             "value back with x[idx] = tmp_val.",
             "numerical_gradient が x を変えたままにしています。f(x+h) と f(x-h) を計算した後、"
             "x[idx] = tmp_val で元の値に戻してください。",
             key="numgrad.not_restored")


def check_numerical_gradient_closure(numerical_gradient) -> None:
    """numerical_gradient works for f = lambda w: net.loss(x, t), which ignores its argument."""
    rng = rng_for("numgrad_closure")
    W = rng.normal(size=(2, 3))
    x = np.array([0.6, 0.9])
    t = np.array([0, 0, 1])

    def loss(_w):  # like simpleNet.loss: reads W through the closure, not the argument
        return ref.cross_entropy_error(ref.softmax(x @ W), t)

    got = call("numerical_gradient(f, net.W)", numerical_gradient, loss, W)
    expected = ref.numerical_gradient(loss, W)
    if got is not None and np.shape(got) == W.shape and not np.any(got):
        # All zeros: either f never saw the change (x was copied), or h is so
        # small that x + h == x -- then a function of its argument gets zeros too.
        probe = call("numerical_gradient(f, x)", numerical_gradient, _linear(np.ones(3)), np.ones(3))
        if probe is not None and np.shape(probe) == (3,) and not np.any(probe):
            fail(*_NUMGRAD_ZERO, key="numgrad.zero")
        fail("numerical_gradient returned zeros for f = lambda w: net.loss(x, t): f reads net.W itself, "
             "so x must be perturbed in place (x[idx] = tmp_val + h), not a copy of it.",
             "f = lambda w: net.loss(x, t) に対して numerical_gradient が 0 を返しました。f は net.W を直接読むので、"
             "x のコピーではなく x そのものをその場で（x[idx] = tmp_val + h）変更してください。",
             key="numgrad.copies_x")
    # This cell grades only that f sees the in-place changes; the accuracy of
    # the difference scheme (forward vs central) and visiting every element
    # are graded in their own cells.
    def close_enough(g):
        return g.shape == W.shape and bool(np.allclose(g, expected, rtol=1e-2, atol=1e-3))
    # loss reads W through the closure, so the row-by-row variant must shift W itself (it restores it).
    rows = next(m for m in _numerical_gradient_mistakes(loss, W) if m.key == "numgrad.first_axis_only")
    rows = replace(rows, value=_first_axis_only(loss, W))
    expect_close("numerical_gradient(f, net.W)", got, expected, alternatives=[close_enough], excused=[rows])
