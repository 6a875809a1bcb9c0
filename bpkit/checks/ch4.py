"""Hidden checks for the chapter 4 notebook: softmax, cross-entropy and the
numerical gradient.  Each ``check_*`` is called by one grade cell with the
student's function and raises CheckFailure naming the mistake."""
from __future__ import annotations

import numpy as np

import reference as ref
from bpkit.checks.core import Mistake, call, expect_close, expect_unchanged, fail, rng_for
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
    e = np.exp(x - x.max())
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
                     ref.softmax(x))


def check_softmax_batch(softmax) -> None:
    """softmax of a batch (N, C) normalises each row, matching the reference."""
    rng = rng_for("softmax_batch")
    for shape in BATCH_SHAPES:
        x = rng.normal(size=shape) * 3
        expect_close(f"softmax(x) for x of shape {shape}", call("softmax", softmax, x.copy()),
                     ref.softmax(x), mistakes=_softmax_mistakes(x))


def check_softmax_large_inputs(softmax) -> None:
    """softmax does not overflow for scores around +-1000."""
    rng = rng_for("softmax_large")
    for shape in [(3,), (4, 6)]:
        x = rng.uniform(-1000, 1000, size=shape)
        got = call("softmax", softmax, x.copy())
        got_arr = np.asarray(got, dtype=np.float64) if got is not None else None
        if got_arr is not None and got_arr.shape == x.shape and not np.all(np.isfinite(got_arr)):
            fail("softmax overflowed (nan) for scores around 1000: exp(1000) is inf. "
                 "Subtract the maximum score first: exp(x - max(x)) gives the same softmax.",
                 "スコアが 1000 程度のとき softmax がオーバーフロー（nan）しました。exp(1000) は inf です。"
                 "先に最大値を引いてください：exp(x - max(x)) でも softmax の値は変わりません。")
        expect_close(f"softmax(x) for large x of shape {shape}", got, ref.softmax(x))


# ---------------------------------------------------------- cross-entropy ---

def _probabilities(rng, n: int, c: int) -> np.ndarray:
    return ref.softmax(rng.normal(size=(n, c)) * 2)


def _cee_mistakes(y: np.ndarray, labels: np.ndarray) -> list[Mistake]:
    n, c = y.shape
    p = y[np.arange(n), labels]
    nll = -np.log(p + DELTA)
    return [
        Mistake("cee.no_batch_mean",
                "cross_entropy_error returns the sum over the batch: divide by the batch size N "
                "(y.shape[0]) so the loss is an average.",
                "cross_entropy_error がバッチ全体の和を返しています。バッチサイズ N（y.shape[0]）で割って平均にしてください。",
                nll.sum()),
        Mistake("cee.mean_over_classes",
                "cross_entropy_error averages over every element (samples and classes): divide by the "
                "batch size N only, not by N*C (np.mean(t * log y) does the latter).",
                "cross_entropy_error が全要素（サンプルとクラス）で平均しています。N*C ではなくバッチサイズ N だけで割ってください"
                "（np.mean(t * log y) は N*C で割ってしまいます）。",
                nll.sum() / (n * c)),
        Mistake("cee.log10",
                "cross_entropy_error uses log10: the loss uses the natural logarithm np.log.",
                "cross_entropy_error が log10 を使っています。損失には自然対数 np.log を使います。",
                -np.mean(np.log10(p + DELTA))),
        Mistake("cee.wrong_sign",
                "cross_entropy_error has the wrong sign: the loss is -log(y), which is never negative.",
                "cross_entropy_error の符号が逆です。損失は -log(y) で、負になることはありません。",
                np.mean(np.log(p + DELTA))),
    ]


def _expect_cee(what: str, got, y: np.ndarray, labels: np.ndarray, extra=()) -> None:
    n = y.shape[0]
    p = y[np.arange(n), labels]
    # np.clip(y, 1e-7, None) is an equally correct way to keep log finite.
    clipped = -np.mean(np.log(np.clip(p, DELTA, None)))
    expect_close(what, got, ref.cross_entropy_error(y, labels), scalar=True,
                 alternatives=[clipped], mistakes=[*extra, *_cee_mistakes(y, labels)])


def check_cross_entropy_one_hot(cross_entropy_error) -> None:
    """cross_entropy_error with one-hot targets (N, C) matches the reference."""
    rng = rng_for("cee_one_hot")
    for n, c in BATCH_SHAPES:
        y = _probabilities(rng, n, c)
        labels = rng.integers(0, c, size=n)
        t = np.eye(c, dtype=int)[labels]
        got = call("cross_entropy_error(y, t)", cross_entropy_error, y.copy(), t.copy())
        _expect_cee(f"cross_entropy_error(y, t) for one-hot t of shape {t.shape}", got, y, labels)


def check_cross_entropy_labels(cross_entropy_error) -> None:
    """cross_entropy_error with integer labels (N,) matches the reference."""
    rng = rng_for("cee_labels")
    for n, c in BATCH_SHAPES:
        y = _probabilities(rng, n, c)
        labels = rng.integers(0, c, size=n)
        got = call("cross_entropy_error(y, t) with labels", cross_entropy_error, y.copy(), labels.copy())
        one_hot_formula = -np.sum(labels[:, None] * np.log(y + DELTA)) / n
        only_one_hot = Mistake(
            "cee.one_hot_only",
            "cross_entropy_error treats integer labels as if they were one-hot (the 6.21 example): "
            "when t has fewer elements than y, pick y[np.arange(N), t] instead of multiplying by t.",
            "cross_entropy_error が整数ラベルを one-hot として扱っています（6.21 の例）。t の要素数が y より少ないときは、"
            "t を掛けるのではなく y[np.arange(N), t] で正解クラスの確率を取り出してください。",
            one_hot_formula)
        _expect_cee(f"cross_entropy_error(y, t) for labels t of shape ({n},)", got, y, labels, [only_one_hot])


def check_cross_entropy_1d(cross_entropy_error) -> None:
    """cross_entropy_error accepts a single sample y of shape (C,)."""
    rng = rng_for("cee_1d")
    for c in (3, 10):
        y = _probabilities(rng, 1, c)[0]
        label = int(rng.integers(0, c))
        for t, kind in ((np.eye(c, dtype=int)[label], f"one-hot t of shape ({c},)"),
                        (np.array(label), "a single integer label")):
            got = call(f"cross_entropy_error(y, t) for y of shape ({c},) and {kind}",
                       cross_entropy_error, y.copy(), t.copy())
            _expect_cee(f"cross_entropy_error(y, t) for y of shape ({c},) and {kind}",
                        got, y[None, :], np.array([label]))


def check_cross_entropy_zero_probability(cross_entropy_error) -> None:
    """cross_entropy_error stays finite when the true class has probability 0."""
    y = np.array([[0.0, 0.4, 0.6], [0.1, 0.0, 0.9]])
    labels = np.array([0, 1])
    t = np.eye(3, dtype=int)[labels]
    got = call("cross_entropy_error(y, t)", cross_entropy_error, y.copy(), t)
    try:
        finite = np.isfinite(float(got))
    except (TypeError, ValueError):
        finite = True  # let expect_close report the type problem
    if not finite:
        fail("cross_entropy_error returned inf when the true class has probability 0: log(0) is -inf. "
             "Add a tiny delta inside the log: np.log(y + 1e-7).",
             "正解クラスの確率が 0 のとき cross_entropy_error が inf を返しました。log(0) は -inf です。"
             "log の中に小さな値を足してください：np.log(y + 1e-7)。")
    _expect_cee("cross_entropy_error(y, t) with a zero probability", got, y, labels)


def check_cross_entropy_keeps_inputs(cross_entropy_error) -> None:
    """cross_entropy_error does not modify y or t."""
    rng = rng_for("cee_keeps")
    y = _probabilities(rng, 4, 5)
    labels = rng.integers(0, 5, size=4)
    for t in (np.eye(5, dtype=int)[labels], labels):
        y_in, t_in = y.copy(), t.copy()
        call("cross_entropy_error(y, t)", cross_entropy_error, y_in, t_in)
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


def _numerical_gradient_mistakes(f, x: np.ndarray) -> list[Mistake]:
    return [
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
        Mistake("numgrad.zero",
                "numerical_gradient returned all zeros: either h is so small that x + h == x in "
                "floating point (use h = 1e-4), or f never sees the change because x was copied.",
                "numerical_gradient がすべて 0 を返しました。h が小さすぎて浮動小数点で x + h == x になっている"
                "（h = 1e-4 を使う）か、x をコピーしたため f が変化を受け取っていません。",
                np.zeros_like(x)),
    ]


def _check_numerical_gradient(numerical_gradient, name: str, shapes) -> None:
    rng = rng_for(name)
    for shape in shapes:
        x = rng.normal(size=shape)
        c = rng.normal(size=shape)
        f = _cubic(c)
        got = call("numerical_gradient(f, x)", numerical_gradient, f, x.copy())
        expect_close(f"numerical_gradient(f, x) for x of shape {shape}", got,
                     ref.numerical_gradient(f, x.copy()),
                     mistakes=_numerical_gradient_mistakes(f, x))


def check_numerical_gradient_1d(numerical_gradient) -> None:
    """numerical_gradient matches the central difference for vectors (D,)."""
    _check_numerical_gradient(numerical_gradient, "numgrad_1d", [(2,), (3,), (6,)])


def check_numerical_gradient_nd(numerical_gradient) -> None:
    """numerical_gradient matches the central difference for matrices and 3-D arrays."""
    _check_numerical_gradient(numerical_gradient, "numgrad_nd", [(2, 3), (3, 2), (2, 3, 2)])


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
             "x[idx] = tmp_val で元の値に戻してください。")


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
        fail("numerical_gradient returned zeros for f = lambda w: net.loss(x, t): f reads net.W itself, "
             "so x must be perturbed in place (x[idx] = tmp_val + h), not a copy of it.",
             "f = lambda w: net.loss(x, t) に対して numerical_gradient が 0 を返しました。f は net.W を直接読むので、"
             "x のコピーではなく x そのものをその場で（x[idx] = tmp_val + h）変更してください。")
    expect_close("numerical_gradient(f, net.W)", got, expected)
