"""Hidden checks for the chapter 4 notebook: softmax, cross-entropy and the
numerical gradient.  Each ``check_*`` is called by one grade cell with the
student's function and raises CheckFailure naming the mistake."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

import reference as ref
from bpkit.checks.core import (ATOL, CALLBACK_REFUSED, RTOL, CheckFailure, InOut, Mistake, Variant, What, call,
                               expect_a_return, expect_close, expect_unchanged, fail, fail_all, gives, guarded, hard_coded,
                               is_right, ja_of, one_number, over_all_cases, quietly, rng_for, simulate,
                               split_variants, any_value)
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

def any_of(*values) -> callable:
    """A mistake's model with variants: the answer matches if it matches any."""
    arrays = [np.asarray(v, dtype=np.float64) for v in values if v is not None]
    return lambda got: any(got.shape == a.shape and np.allclose(got, a, rtol=1e-6, atol=1e-9) for a in arrays)


def _softmax_mistakes(x: np.ndarray) -> list[Mistake]:
    """Each mistake with the max subtracted per row (as the notebook does),
    over the whole batch (the book's chapter-3 softmax, c = np.max(a)) or
    not at all: only a row maximum changes the wrong answers' values."""
    e_rows = np.exp(x - x.max(axis=-1, keepdims=True))
    e_all = np.exp(x - x.max())
    return [
        Mistake("softmax.wrong_axis",
                "softmax normalised over the wrong axis: each row (one sample) must sum to 1. "
                "Use axis=-1 with keepdims=True.",
                "softmax の正規化の軸が違います。各行（1 サンプル）の和が 1 になるように、"
                "axis=-1 と keepdims=True を使ってください。",
                any_of(e_rows / e_rows.sum(axis=0, keepdims=True), e_all / e_all.sum(axis=0, keepdims=True))),
        Mistake("softmax.whole_batch",
                "softmax divided by the sum over the whole batch (as the chapter-3 softmax for one sample does, "
                "np.sum(exp_a)): each row must sum to 1 on its own. Take the maximum and the sum per row, "
                "axis=-1 with keepdims=True.",
                "softmax をバッチ全体の和で割っています（1 サンプル用の第 3 章の softmax の np.sum(exp_a) のまま）。"
                "行ごとに和が 1 になるよう、最大値と和を axis=-1, keepdims=True で行ごとに取ってください。",
                any_of(e_rows / e_rows.sum(), e_all / e_all.sum())),
    ]


@over_all_cases
def check_softmax_1d(softmax) -> None:
    """softmax of a single score vector (C,) matches the reference."""
    rng = rng_for("softmax_1d")
    for c in (2, 3, 10):
        x = rng.normal(size=c) * 3
        what = What(f"softmax(x) for x of shape ({c},)", f"形状 ({c},) の x に対する softmax(x)")
        try:
            got = call("softmax", softmax, x.copy())
        except CheckFailure as exc:
            _batches_only(softmax, x, exc)
            raise
        expect_a_return(what, got, softmax, [(_AS_BATCH_OF_ONE, (x[np.newaxis, :],))])
        expect_close(what, got, ref.softmax(x), mistakes=[hard_coded([0.01821127, 0.24519181, 0.73659691])])


_AS_BATCH_OF_ONE = What("the same scores as a batch of shape (1, C)", "同じスコアを形状 (1, C) のバッチにしたもの")
_ONE_ROW = What("one row of the batch, of shape (C,)", "バッチの 1 行（形状 (C,)）")


def _right_for_batch_of_one(softmax, x: np.ndarray) -> bool:
    """Is the student's softmax right for the same scores as a batch (1, C)?"""
    return gives(softmax, (x[np.newaxis, :],), ref.softmax(x)[np.newaxis])


def _right_when_shifted(softmax, x: np.ndarray) -> bool:
    """Is the student's softmax right once each row's maximum is subtracted
    (so the nan came from exp overflowing, nothing else)?"""
    return gives(softmax, (x - x.max(axis=-1, keepdims=True),), ref.softmax(x))


def _batches_only(softmax, x: np.ndarray, error: CheckFailure) -> None:
    """softmax raised on a vector: name the mistake if it is right for the
    same scores as a batch of one, confirmed, not guessed; the cause is said
    only when the error shows it (axis 1 out of bounds)."""
    lines = str(error).splitlines()
    if "[raised]" not in lines or not _right_for_batch_of_one(softmax, x):
        return
    raised = lines[0].replace("softmax raised ", "")
    raised_ja = lines[1].replace("softmax の実行中に ", "")
    axis = "axis 1" in str(error)
    fail(f"softmax works for a batch (N, C) but raises {raised} for one score vector of shape {x.shape}."
         + (" axis=1 does not exist for a vector: use axis=-1 (the last axis) with keepdims=True, which works for "
            "both." if axis else " Make that line work for a vector too (x.ndim == 1)."),
         f"softmax がバッチ (N, C) では動きますが、形状 {x.shape} の 1 つのベクトルではエラーになります（{raised_ja}）。"
         + ("ベクトルには axis=1 がありません。axis=-1（最後の軸）と keepdims=True を使えば、どちらでも動きます。" if axis
            else "その行がベクトル（x.ndim == 1）でも動くようにしてください。"),
         key="softmax.batch_only")


@over_all_cases
def check_softmax_batch(softmax) -> None:
    """softmax of a batch (N, C) normalises each row, matching the reference."""
    rng = rng_for("softmax_batch")
    for shape in BATCH_SHAPES:
        x = rng.normal(size=shape) * 3
        what = What(f"softmax(x) for x of shape {shape}", f"形状 {shape} の x に対する softmax(x)")
        got = call("softmax", softmax, x.copy())
        expect_a_return(what, got, softmax, [(_ONE_ROW, (x[0],))])
        expect_close(what, got, ref.softmax(x), mistakes=_softmax_mistakes(x))


def _softmax_global_max(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=-1, keepdims=True)


@over_all_cases
def check_softmax_large_inputs(softmax) -> None:
    """softmax does not overflow for scores around +-1000."""
    rng = rng_for("softmax_large")
    # One sample around +1000, and a batch whose rows sit around +1000,
    # -1000, 0 and 500: exp overflows without the max, and one max for the
    # whole batch underflows the low rows to 0 / 0.
    offsets = np.array([[1000.0], [-1000.0], [0.0], [500.0]])
    for x in (rng.normal(size=3) * 3 + 1000, rng.normal(size=(4, 6)) * 3 + offsets):
        shape = x.shape
        try:
            got = call("softmax", softmax, x.copy())
        except CheckFailure as exc:
            if x.ndim == 1 and _right_for_batch_of_one(softmax, x):
                continue  # fails only for a single vector: graded in the 1-D cell
            if x.ndim == 2 and _fails_on_ordinary_batches(softmax, exc):
                continue  # fails for every batch, large or not: graded in the batch cell
            raise
        if got is None and x.ndim == 1 and _right_for_batch_of_one(softmax, x):
            continue  # returns nothing for a single vector: graded in the 1-D cell
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
            if _right_when_shifted(softmax, x):
                fail("softmax overflowed (nan) for scores around 1000: exp(1000) is inf. "
                     "Subtract the maximum score first: exp(x - max(x)) gives the same softmax.",
                     "スコアが 1000 程度のとき softmax がオーバーフロー（nan）しました。exp(1000) は inf です。"
                     "先に最大値を引いてください：exp(x - max(x)) でも softmax の値は変わりません。",
                     key="softmax.overflow")
        # Normalising over the wrong axis is graded in the batch cell.
        expect_close(What(f"softmax(x) for large x of shape {shape}", f"形状 {shape} の大きな x に対する softmax(x)"),
                     got, ref.softmax(x), excused=_softmax_mistakes(x))


def _fails_on_ordinary_batches(softmax, error: CheckFailure) -> bool:
    """Does softmax fail the same way (same key) on ordinary scores of shape (2, 3)?"""
    x = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.7]])
    try:
        call("softmax", softmax, x)
    except CheckFailure as exc:
        return str(exc).splitlines()[2:3] == str(error).splitlines()[2:3]
    return False


# ---------------------------------------------------------- cross-entropy ---

def _probabilities(rng, n: int, c: int) -> np.ndarray:
    return ref.softmax(rng.normal(size=(n, c)) * 2)


def _as_batch(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    return y, t


# The cross-entropy family.  A student's cross_entropy_error is one of many
# known ways of computing the loss: each a combination of independent
# choices (how the true class is picked, the 1e-7, the base of the log, the
# normalisation, the sign), each wrong choice a known mistake graded in one
# cell.  _cee_variants lists them all on the case's inputs, so a cell
# accepts every combination of mistakes graded elsewhere and names its own
# mistakes in any combination (core.split_variants): the verdict and the key
# never depend on which inputs were drawn.

#: How log(y) is kept finite: + 1e-7 (the book), np.clip (as correct), or not at all.
_LOGS = ((frozenset(), lambda v: np.log(v + DELTA)),
         (frozenset(), lambda v: np.log(np.clip(v, DELTA, None))),
         (frozenset({"cee.no_delta"}), np.log))
_LN10 = float(np.log(10.0))


def _cee_variants(y: np.ndarray, t: np.ndarray) -> list[Variant]:
    """Every known way to compute cross_entropy_error(y, t): the reference
    (with + 1e-7 or np.clip) and every combination of the known mistakes,
    each with its value on these inputs (None where that way raises)."""
    yb, tb = _as_batch(y, t)
    n, c = yb.shape
    one_hot = tb.shape == yb.shape
    labels = tb.argmax(axis=1) if one_hot else tb.reshape(-1)
    rows = np.arange(n)
    form_key = "cee.labels_only" if one_hot else "cee.one_hot_only"
    sums = []  # (keys, sum over the batch before sign, normalisation and log base, log base is a factor)
    for log_keys, log in _LOGS:
        picked = yb[rows, labels]
        sums.append((log_keys, _quiet_sum(lambda: log(picked)), True))
        sums.append((log_keys | {"cee.index_and_multiply"}, _quiet_sum(lambda: labels * log(picked)), True))
        # one-hot t used as labels (the 6.21 example), or labels multiplied as if one-hot
        sums.append((log_keys | {form_key}, _quiet_sum(lambda: log(yb[rows, tb]) if one_hot else tb * log(yb)), True))
        for base_keys, base in ((frozenset(), 1.0), (frozenset({"cee.log10"}), _LN10)):
            plus_keys = log_keys | base_keys | {"cee.plus_instead_of_times"} | (set() if one_hot else {form_key})
            sums.append((plus_keys, _quiet_sum(lambda: tb + log(yb) / base), False))
    variants = []
    for keys, total, log_factor in sums:
        if total is None:
            continue
        for sign_keys, sign in ((frozenset(), -1.0), (frozenset({"cee.wrong_sign"}), 1.0)):
            for norm_keys, norm in ((frozenset(), 1.0 / n), (frozenset({"cee.no_batch_mean"}), 1.0),
                                    (frozenset({"cee.mean_over_classes"}), 1.0 / (n * c))):
                bases = ((frozenset(), 1.0), (frozenset({"cee.log10"}), 1.0 / _LN10))
                for base_keys, base in (bases if log_factor else bases[:1]):
                    variants.append(Variant(sign * norm * base * total,
                                            frozenset(keys | sign_keys | norm_keys | base_keys)))
    return variants


def _quiet_sum(compute) -> float | None:
    """sum(compute()) as a float, or None where that computation raises."""
    try:
        with quietly():
            return float(np.sum(compute()))
    except Exception:  # noqa: BLE001 -- that way of computing the loss raises for these inputs
        return None


def _explained(value, y, t, allowed: frozenset | None, needed: frozenset = frozenset()) -> bool:
    """Is `value` cross_entropy_error(y, t) computed in one of the known
    ways whose mistakes are all in `allowed` (None: any known way) and
    include every mistake in `needed`?"""
    try:
        got = one_number(value)
    except (TypeError, ValueError):
        return False
    return any(v.value is not None and np.isfinite(v.value) and (allowed is None or v.keys <= allowed)
               and needed <= v.keys and np.isclose(got, v.value, rtol=RTOL, atol=ATOL) for v in _cee_variants(y, t))


def _confirmed(mistake: Mistake, cross_entropy_error, y2, t2, failing: tuple | None = None):
    """A hint (see core.call) naming `mistake` only if the student's function,
    given the same loss in the form the mistake's fix would handle (y2, t2),
    computes it in a known way (right, or with mistakes graded anywhere).
    failing: the (y, t) that raised; with it, a function taking its
    arguments in the other order (graded in the one-hot cell) is confirmed
    too, if it also raises for (t, y) and computes the loss for (t2, y2)."""
    def hint(_exc) -> Mistake | None:
        orders = [(y2, t2)]
        if failing is not None and not _gives_a_value(cross_entropy_error, failing[1], failing[0]):
            orders.append((t2, y2))
        for args in orders:
            try:
                got = call("", cross_entropy_error, *args)
            except CheckFailure:
                continue
            if _explained(got, y2, t2, None):
                return mistake
        return None
    return hint


def _gives_a_value(fn, *args) -> bool:
    try:
        call("", fn, *(np.copy(a) for a in args))
    except CheckFailure:
        return False
    return True


def _swapped(cross_entropy_error, y, t, allowed: frozenset | None, also: tuple = (), seen: dict | None = None
             ) -> Mistake:
    """cee.swapped_arguments, confirmed by a second call: the student's
    function called with (t, y) (for one sample, also as a batch of one)
    computes the loss in a known way whose other mistakes are all in
    `allowed` (None: any) and include those of `also` (Mistakes named
    together with it).  seen: the answers of those calls, shared by the
    Mistakes of one input (the student's function is called once)."""
    needed = frozenset(m.key for m in also)
    allowed = None if allowed is None else allowed | needed
    forms = [(t, y, y, t)]
    if y.ndim == 1:
        yb, tb = _as_batch(y.copy(), t.copy())
        forms.append((tb, yb, yb, tb))
    seen = {} if seen is None else seen

    def answer(i: int, first, second):
        if i not in seen:
            try:
                seen[i] = (call("", cross_entropy_error, first, second),)
            except CheckFailure:
                seen[i] = None
        return seen[i]

    def matches(_got) -> bool:
        for i, (first, second, y_, t_) in enumerate(forms):
            got = answer(i, first, second)
            if got is not None and _explained(got[0], y_, t_, allowed, needed):
                return True
        return False
    return replace(CEE_SWAPPED, value=matches, also=tuple(also))


CEE_SWAPPED = Mistake(
    "cee.swapped_arguments",
    "cross_entropy_error takes its arguments in the other order: it is called as cross_entropy_error(y, t) "
    "(the network's output first, then the target), and your function gives the loss when called with "
    "(t, y). Write def cross_entropy_error(y, t).",
    "cross_entropy_error の引数の順番が逆です。呼び出しは cross_entropy_error(y, t)（ネットワークの出力が先、"
    "教師データが後）ですが、あなたの関数は (t, y) の順で呼ぶと損失を計算します。"
    "def cross_entropy_error(y, t) としてください。",
    None)


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

#: Mistakes in the loss formula itself; they cost points in the one-hot cell.
CEE_FORMULA = (
    Mistake("cee.no_batch_mean",
            "cross_entropy_error returns the sum over the batch: divide by the batch size N "
            "(y.shape[0]) so the loss is an average.",
            "cross_entropy_error がバッチ全体の和を返しています。バッチサイズ N（y.shape[0]）で割って平均にしてください。",
            None),
    Mistake("cee.mean_over_classes",
            "cross_entropy_error averages over every element (samples and classes): divide by the "
            "batch size N only, not by N*C (np.mean(t * log y) does the latter).",
            "cross_entropy_error が全要素（サンプルとクラス）で平均しています。N*C ではなくバッチサイズ N だけで割ってください"
            "（np.mean(t * log y) は N*C で割ってしまいます）。",
            None),
    Mistake("cee.log10",
            "cross_entropy_error uses log10: the loss uses the natural logarithm np.log.",
            "cross_entropy_error が log10 を使っています。損失には自然対数 np.log を使います。",
            None),
    Mistake("cee.wrong_sign",
            "cross_entropy_error has the wrong sign: the loss is -log(y), which is never negative.",
            "cross_entropy_error の符号が逆です。損失は -log(y) で、負になることはありません。",
            None),
    Mistake("cee.index_and_multiply",
            "cross_entropy_error both picks the true class with y[np.arange(N), t] and multiplies by t: with "
            "labels that weights each sample by its class number (class 0 counts for nothing). Use one or "
            "the other: t * np.log(y) for one-hot t, or y[np.arange(N), t] for labels.",
            "cross_entropy_error が y[np.arange(N), t] で正解クラスを取り出したうえに、さらに t を掛けています。"
            "ラベルでは各サンプルがクラス番号で重み付けされます（クラス 0 は数えられません）。one-hot なら "
            "t * np.log(y)、ラベルなら y[np.arange(N), t] と、どちらか一方だけを使ってください。",
            None),
    Mistake("cee.plus_instead_of_times",
            "cross_entropy_error adds t to log(y) instead of multiplying: the loss is -sum(t * log(y)) / N.",
            "cross_entropy_error が log(y) に t を掛けずに足しています。損失は -sum(t * log(y)) / N です。",
            None),
)

#: The mistakes each cross-entropy cell grades, in the order it names them
#: (cee.no_delta is graded by the zero-probability cell); every other known
#: mistake, alone or combined, passes in that cell.
CEE_OWNED = {
    "one_hot": ("hard_coded", "cee.labels_only", "cee.swapped_arguments", *(m.key for m in CEE_FORMULA)),
    "labels": ("hard_coded", "cee.one_hot_only"),
    "single": ("hard_coded", "cee.no_reshape_1d"),
}
_CEE_KEYS = frozenset(key for keys in CEE_OWNED.values() for key in keys) | {"cee.no_delta"}
_CEE_BY_KEY = {m.key: m for m in (CEE_LABELS_ONLY, CEE_ONE_HOT_ONLY, CEE_NO_RESHAPE, *CEE_FORMULA)}


def _check_cee(what: str, cross_entropy_error, y: np.ndarray, t: np.ndarray, cell: str) -> None:
    """Call the student's function on copies of (y, t) and judge the loss.

    cell: "one_hot", "labels" or "single" -- which grade cell is asking
    (CEE_OWNED: the mistakes it grades; it excuses every other one, alone
    or combined).
    """
    owned = CEE_OWNED[cell]
    elsewhere = _CEE_KEYS - set(owned)
    # Each hint is named only if a second call confirms it: the same loss in
    # the form the mistake's fix would handle comes out in a known way.
    hints = {}
    yb, labels_b = _cee_labels(y, t)
    if y.ndim == 1:  # ... as a batch of one
        hints[IndexError] = _confirmed(CEE_NO_RESHAPE, cross_entropy_error, yb,
                                       t.reshape(1, t.size) if t.size == y.size else labels_b)
    elif t.shape != y.shape:  # labels: ... with one-hot t
        hints[ValueError] = _confirmed(CEE_ONE_HOT_ONLY, cross_entropy_error, y,
                                       np.eye(y.shape[1], dtype=int)[labels_b], failing=(y, t))
    elif y.shape[0] not in (1, y.shape[-1]):  # one-hot: ... with labels
        hints[IndexError] = _confirmed(CEE_LABELS_ONLY, cross_entropy_error, y, labels_b)
    swapped_here = "cee.swapped_arguments" in owned
    seen: dict = {}
    swapped = _swapped(cross_entropy_error, y, t, elsewhere if swapped_here else None, seen=seen)
    # ... in the owned cell, alone or with one formula mistake of this cell (named together)
    swapped_with = ([_swapped(cross_entropy_error, y, t, elsewhere, (m,), seen) for m in CEE_FORMULA]
                    if swapped_here else [])
    try:
        got = call(what, cross_entropy_error, y.copy(), t.copy(), hints=hints)
    except CheckFailure as exc:  # swapped arguments cost points in the one-hot cell only
        if "[raised]" in str(exc).splitlines() and swapped_here:
            for m in (swapped, *swapped_with):
                if m.value(None):
                    fail_all(m.parts, str(exc).splitlines()[0])
        if "[raised]" in str(exc).splitlines() and not swapped_here and swapped.value(None):
            return
        raise
    if got is None and y.ndim == 2:  # a return reached for one sample only?
        expect_a_return(what, got, cross_entropy_error, [(_FIRST_SAMPLE, (y[0].copy(), np.array(t[0])))])
    if cell == "one_hot" and isinstance(got, np.ndarray) and got.ndim > 0 and got.size == 1:
        # the loss is one number: graded here (the examples of the labels and single-sample cells assert it too)
        fail(f"{what} should be one number (a float or a 0-d value), but it is an array of shape {got.shape}: "
             "sum without keepdims, or index the single element out.",
             f"{ja_of(what)} は 1 つの数（float か 0 次元の値）であるべきですが、形状 {got.shape} の配列でした。"
             "keepdims を使わずに和を取るか、要素を取り出してください。",
             key="wrong_type")
    if is_right(got, ref.cross_entropy_error(y, t), scalar=True):  # right: no need for the models of mistakes
        expect_close(what, got, ref.cross_entropy_error(y, t), scalar=True)
        return
    alternatives, mistakes = split_variants(_cee_variants(y, t), [_CEE_BY_KEY[k] for k in owned if k in _CEE_BY_KEY])
    hard = hard_coded(0.3566748010815999, 0.2899091136979087)
    expect_close(what, got, ref.cross_entropy_error(y, t), scalar=True, alternatives=alternatives,
                 mistakes=[hard, *mistakes, *([swapped, *swapped_with] if swapped_here else [])],
                 excused=[] if swapped_here else [swapped])


_FIRST_SAMPLE = What("the batch's first sample alone (y of shape (C,))", "バッチの最初のサンプルだけ（形状 (C,) の y）")


def _cee_labels(y, t):
    y, t = _as_batch(y, t)
    return y, (t.argmax(axis=1) if t.size == y.size else t.reshape(-1))


def _class_labels(rng, n: int, c: int) -> np.ndarray:
    """n class labels: their values are fixed, only their order is drawn.
    A batch holds class 0, class 1 and a class >= 2 (a single sample: the
    last class), so a loss weighted by the label (cee.index_and_multiply)
    is never the right one, nor zero, whatever the draw."""
    if n == 1:
        return np.array([c - 1])
    pattern = [c - 1, 0, 1] + list(range(2, c - 1))
    return rng.permutation(np.resize(pattern, n))


@over_all_cases
def check_cross_entropy_one_hot(cross_entropy_error) -> None:
    """cross_entropy_error with one-hot targets (N, C) matches the reference."""
    rng = rng_for("cee_one_hot")
    for n, c in BATCH_SHAPES:
        y = _probabilities(rng, n, c)
        t = np.eye(c, dtype=int)[_class_labels(rng, n, c)]
        _check_cee(What(f"cross_entropy_error(y, t) for one-hot t of shape {t.shape}",
                        f"形状 {t.shape} の one-hot の t に対する cross_entropy_error(y, t)"), cross_entropy_error, y, t,
                   "one_hot")


@over_all_cases
def check_cross_entropy_labels(cross_entropy_error) -> None:
    """cross_entropy_error with integer labels (N,) matches the reference."""
    rng = rng_for("cee_labels")
    for n, c in BATCH_SHAPES:
        y = _probabilities(rng, n, c)
        t = _class_labels(rng, n, c)
        _check_cee(What(f"cross_entropy_error(y, t) for labels t of shape ({n},)",
                        f"形状 ({n},) のラベル t に対する cross_entropy_error(y, t)"), cross_entropy_error, y, t,
                   "labels")


@over_all_cases
def check_cross_entropy_1d(cross_entropy_error) -> None:
    """cross_entropy_error accepts a single sample y of shape (C,)."""
    rng = rng_for("cee_1d")
    for c in (3, 10):
        y = _probabilities(rng, 1, c)[0]
        # never class 0 or 1: with label 0 a loss weighted by the label is 0 (the answer of a constant
        # function), with label 1 it is the right one
        label = int(rng.integers(2, c))
        for t, kind, kind_ja in ((np.eye(c, dtype=int)[label], f"one-hot t of shape ({c},)",
                                  f"形状 ({c},) の one-hot の t"),
                                 (np.array(label), "a single integer label", "1 つの整数ラベル")):
            _check_cee(What(f"cross_entropy_error(y, t) for y of shape ({c},) and {kind}",
                            f"形状 ({c},) の y と{kind_ja} に対する cross_entropy_error(y, t)"),
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
            got = call(what, cross_entropy_error, InOut(y_in), InOut(t_in))
        except CheckFailure as exc:
            if "NotImplementedError" in str(exc) or "not implemented" in str(exc):
                raise
            error = error or exc
            continue
        if got is None:  # a return reached for single samples only (graded in the batch cells): their mean
            got = _mean_of_samples(cross_entropy_error, y, t)
        return t, y_in, t_in, got
    raise error


def _mean_of_samples(cross_entropy_error, y: np.ndarray, t: np.ndarray):
    """The mean of the student's loss of each sample alone, or None if one
    of them is not a number."""
    values = []
    for i in range(y.shape[0]):
        try:
            values.append(one_number(call("", cross_entropy_error, y[i].copy(), np.array(t[i]))))
        except (CheckFailure, TypeError, ValueError):
            return None
    return float(np.mean(values))


def _scalar_or_fail(got) -> float:
    try:
        return one_number(got)
    except (TypeError, ValueError):
        fail(f"cross_entropy_error should return a single number, but it returned {_short(got)}.",
             f"cross_entropy_error は 1 つの数を返すべきですが、{_short(got)} を返しました。",
             key="wrong_type")


def _short(value) -> str:
    return repr(value)[:80]


def _expect_each_sample_counts(cross_entropy_error) -> None:
    """The loss depends on every sample: moving probability away from one
    sample's true class, the other samples unchanged, changes the answer,
    for each sample in turn.  Every known way of computing the loss, right
    or wrong, does that (the labels are never 0, which a loss weighted by
    the label would ignore); a constant, a function of the shapes or of a
    few entries of y does not."""
    labels = np.array([1, 3, 2])
    base = np.full((3, 4), 0.5 / 3)
    base[np.arange(3), labels] = 0.5
    first = _scalar_or_fail(_run_either_form("cross_entropy_error(y, t)", cross_entropy_error, base, labels)[3])
    for i in range(3):
        y = base.copy()
        y[i, labels[i]] = 0.2
        y[i, (labels[i] + 1) % 4] += 0.3
        value = _scalar_or_fail(_run_either_form("cross_entropy_error(y, t)", cross_entropy_error, y, labels)[3])
        if np.isclose(value, first, rtol=1e-6, atol=1e-9):  # every known formula changes by more than 1e-2
            fail(f"cross_entropy_error returned the same value, {first!r}, when the probability of sample {i}'s "
                 "true class went from 0.5 to 0.2 (the other samples unchanged): the loss must be computed from "
                 "every sample of y and t.",
                 f"サンプル {i} の正解クラスの確率を 0.5 から 0.2 に変えても（他のサンプルはそのまま）、cross_entropy_error が"
                 f"同じ値 {first!r} を返しました。損失は y と t のすべてのサンプルから計算してください。",
                 key="constant")


@over_all_cases
def check_cross_entropy_zero_probability(cross_entropy_error) -> None:
    """cross_entropy_error stays finite when the true class has probability 0."""
    for y, labels in ((np.array([[0.4, 0.0, 0.6], [0.1, 0.9, 0.0]]), np.array([1, 2])),
                      (np.array([[0.0, 0.3, 0.2, 0.5], [0.1, 0.7, 0.1, 0.1]]), np.array([0, 1]))):
        _, _, _, got = _run_either_form("cross_entropy_error(y, t)", cross_entropy_error, y, labels)
        if not np.isfinite(_scalar_or_fail(got)):
            fail("cross_entropy_error returned inf when the true class has probability 0: log(0) is -inf. "
                 "Add a tiny delta inside the log: np.log(y + 1e-7).",
                 "正解クラスの確率が 0 のとき cross_entropy_error が inf を返しました。log(0) は -inf です。"
                 "log の中に小さな値を足してください：np.log(y + 1e-7)。",
                 key="cee.no_delta")
    # Any finite value computed from every sample passes: the formula itself
    # is graded in its own cells (so a wrong sign or log10 costs points there).
    _expect_each_sample_counts(cross_entropy_error)


@over_all_cases
def check_cross_entropy_keeps_inputs(cross_entropy_error) -> None:
    """cross_entropy_error does not modify y or t."""
    rng = rng_for("cee_keeps")
    y = _probabilities(rng, 4, 5)
    labels = _class_labels(rng, 4, 5)
    t, y_in, t_in, got = _run_either_form("cross_entropy_error(y, t)", cross_entropy_error, y, labels)
    expect_unchanged(What("cross_entropy_error (argument y)", "cross_entropy_error（引数 y）"), y, y_in)
    expect_unchanged(What("cross_entropy_error (argument t)", "cross_entropy_error（引数 t）"), t, t_in)
    # ... and computes something: a constant leaves every input alone too.
    _expect_each_sample_counts(cross_entropy_error)


# ---------------------------------------------------- numerical gradient ---

def _cubic(c: np.ndarray):
    """f(x) = sum(c * x**3 + x**2): its gradient 3 c x**2 + 2 x is known exactly,
    and its curvature makes a forward difference visibly wrong (error ~ h)."""
    return lambda x: float(np.sum(c * x ** 3 + x ** 2))


def _forward_difference(f, x: np.ndarray, h: float = H) -> np.ndarray:
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        base = f(x)
        old = x[idx]
        x[idx] = old + h
        grad[idx] = (f(x) - base) / h
        x[idx] = old
    return grad


#: Steps h of a central difference that is still right here (within the tolerance on _cubic, whose
#: truncation error is c * h**2), and steps that are clearly too large (an error of 2.5e-5 c or more).
#: A step between the two (e.g. 2e-3) matches neither: only "does not match" is said.
GOOD_STEPS = (1e-3, 5e-4, 2e-4, 1e-5, 1e-6)
LARGE_STEPS = (1e-1, 5e-2, 2e-2, 1e-2, 5e-3)


def _returns_after_first(f, x: np.ndarray) -> np.ndarray:
    """The book's loop with `return grad` indented inside it: only the first
    element (in np.nditer's order) gets its central difference."""
    grad = np.zeros_like(x)
    first = (0,) * x.ndim
    old = x[first]
    x[first] = old + H
    f_plus = f(x)
    x[first] = old - H
    f_minus = f(x)
    x[first] = old
    grad[first] = (f_plus - f_minus) / (2 * H)
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


NUMGRAD_RETURNS_IN_LOOP = Mistake(
    "numgrad.returns_in_loop",
    "numerical_gradient returns inside its loop: only the first element of grad is computed, the others stay 0. "
    "Dedent `return grad` so it runs after the loop has visited every element.",
    "numerical_gradient がループの中で return しています。grad の最初の要素だけが計算され、残りは 0 のままです。"
    "`return grad` の字下げを戻し、ループがすべての要素を回った後に実行されるようにしてください。",
    None)
NUMGRAD_WRONG_STEP = Mistake(
    "numgrad.wrong_step",
    "numerical_gradient uses too large a step h (1e-2 or so): the central difference's error grows with h**2, "
    "and here it is far above the tolerance. Use h = 1e-4, as the book does.",
    "numerical_gradient の刻み幅 h が大きすぎます（1e-2 程度）。中心差分の誤差は h**2 に比例して大きくなり、"
    "ここでは許容範囲を大きく超えています。書籍のとおり h = 1e-4 を使ってください。",
    None)
NUMGRAD_FORWARD = Mistake(
    "numgrad.forward_difference",
    "numerical_gradient uses a forward difference (f(x+h) - f(x)) / h: use the central "
    "difference (f(x+h) - f(x-h)) / (2h), whose error is much smaller.",
    "numerical_gradient が前方差分 (f(x+h) - f(x)) / h になっています。誤差のずっと小さい"
    "中心差分 (f(x+h) - f(x-h)) / (2h) を使ってください。",
    None)


def _step_models(f, x: np.ndarray) -> tuple[list, list[Mistake]]:
    """(alternatives, mistakes): central differences with another good step
    are right; a large step, a forward difference, or both, are mistakes
    (both named together)."""
    good = [ref.numerical_gradient(f, x.copy(), h=h) for h in GOOD_STEPS]
    return good, [
        replace(NUMGRAD_FORWARD, value=any_value([_forward_difference(f, x.copy(), h) for h in (H, *GOOD_STEPS)])),
        replace(NUMGRAD_WRONG_STEP, value=any_value([ref.numerical_gradient(f, x.copy(), h=h) for h in LARGE_STEPS])),
        replace(NUMGRAD_FORWARD, also=(NUMGRAD_WRONG_STEP,),
                value=any_value([_forward_difference(f, x.copy(), h) for h in LARGE_STEPS])),
    ]


def _numerical_gradient_mistakes(f, x: np.ndarray) -> list[Mistake]:
    return [
        hard_coded([6.0, 8.0], [0.0, 4.0], [6.0, 0.0]),
        *_step_models(f, x)[1],
        replace(NUMGRAD_RETURNS_IN_LOOP, value=_returns_after_first(f, x.copy())),
        Mistake("numgrad.first_axis_only",
                "numerical_gradient only visits some elements: loop over every index of x "
                "(np.nditer with multi_index, or np.ndindex(x.shape)), not just range(x.shape[0]) or x.size of the first row.",
                "numerical_gradient が一部の要素しか計算していません。range(x.shape[0]) ではなく、x のすべての添字"
                "（multi_index 付きの np.nditer や np.ndindex(x.shape)）でループしてください。",
                _first_axis_only(f, x.copy())),
        Mistake("numgrad.zero", *_NUMGRAD_ZERO, np.zeros_like(x)),
        Mistake("numgrad.row_view",
                "numerical_gradient loops over the rows of x (range(x.shape[0])) and keeps tmp_val = x[idx]: for "
                "a matrix, x[idx] is a whole row and a *view* of x, so tmp_val changes with x[idx] = tmp_val + h "
                "and each row gets one half-size directional derivative. Loop over every element (np.nditer with "
                "multi_index), so that x[idx] is one number.",
                "numerical_gradient が x の行ごとに（range(x.shape[0])）ループし、tmp_val = x[idx] を保存しています。"
                "行列では x[idx] は行全体で、しかも x のビューなので、x[idx] = tmp_val + h で tmp_val も変わり、"
                "各行に半分の大きさの方向微分が 1 つ入ります。x[idx] が 1 つの数になるよう、すべての要素でループしてください"
                "（multi_index 付きの np.nditer）。",
                None if x.ndim < 2 else _row_view(f, x.copy())),
        Mistake("numgrad.precedence",
                "numerical_gradient computes (f(x+h) - f(x-h)) / 2 * h, which multiplies by h: Python evaluates "
                "/ and * from left to right. Write / (2 * h).",
                "numerical_gradient が (f(x+h) - f(x-h)) / 2 * h になっていて、h で割らずに掛けています"
                "（/ と * は左から順に計算されます）。/ (2 * h) と書いてください。",
                ref.numerical_gradient(f, x.copy()) * H * H),
    ]


#: The 1-D cell grades the difference formula, the any-shape cell the loop.
OWNED_BY_1D = {"hard_coded", "numgrad.forward_difference", "numgrad.wrong_step", "numgrad.precedence", "numgrad.zero",
               "numgrad.returns_in_loop"}
OWNED_BY_ND = {"hard_coded", "numgrad.first_axis_only", "numgrad.row_view", "numgrad.zero", "numgrad.returns_in_loop"}


def _row_view(f, x: np.ndarray) -> np.ndarray:
    """The row loop that saves tmp_val = x[i] without a copy (a view)."""
    grad = np.zeros_like(x)
    for i in range(x.shape[0]):
        tmp_val = x[i]
        x[i] = tmp_val + H
        f_plus = f(x)
        x[i] = tmp_val - H
        f_minus = f(x)
        grad[i] = (f_plus - f_minus) / (2 * H)
        x[i] = tmp_val
    return grad


NUMGRAD_F_OF_ROW = Mistake(
    "numgrad.f_of_row",
    "numerical_gradient calls f with part of x (a row, or one element): f takes the whole x. Perturb one element "
    "of x in place, x[idx] = tmp_val + h, and call f(x) (np.apply_along_axis and the book's gradient for 2-D "
    "batches call f on rows, which works only for an f written for one row).",
    "numerical_gradient が x の一部（行や要素）で f を呼んでいます。f は x 全体を受け取ります。x の要素を 1 つ"
    "その場で変えて（x[idx] = tmp_val + h）f(x) を呼んでください（np.apply_along_axis や書籍の 2 次元用の勾配は"
    "行ごとに f を呼ぶので、1 行用に書かれた f でしか使えません）。",
    None)


NUMGRAD_F_OF_FLAT_COPY = Mistake(
    "numgrad.f_of_flat_copy",
    "numerical_gradient calls f with a flattened copy of x (x.flatten() or x.reshape(-1).copy(), of shape "
    "(x.size,)): f takes x itself, in its own shape. Perturb x in place, x[idx] = tmp_val + h with idx from "
    "np.nditer(x, flags=['multi_index']), and call f(x): then an f that reads the network's weights (f = lambda "
    "w: net.loss(x, t)) sees the change too.",
    "numerical_gradient が x を平らにしたコピー（x.flatten() や x.reshape(-1).copy()、形状 (x.size,)）で f を"
    "呼んでいます。f は元の形状の x そのものを受け取ります。np.nditer(x, flags=['multi_index']) の idx で "
    "x[idx] = tmp_val + h と x をその場で変えて f(x) を呼んでください。そうすればネットワークの重みを読む f "
    "（f = lambda w: net.loss(x, t)）にも変化が伝わります。",
    None)


def _f_called_with(x_shape: tuple):
    """The hint for a TypeError raised by f itself: called with x flattened
    (the shape (x.size,) in f's refusal), or with some other part of x."""
    flat = f"an array of shape ({int(np.prod(x_shape))},) "

    def hint(exc: BaseException) -> Mistake | None:
        if CALLBACK_REFUSED not in str(exc):
            return None
        return NUMGRAD_F_OF_FLAT_COPY if len(x_shape) > 1 and flat in str(exc) else NUMGRAD_F_OF_ROW
    return hint


def _check_numerical_gradient(numerical_gradient, name: str, shapes, f_of) -> None:
    rng = rng_for(name)
    for shape in shapes:
        x = rng.normal(size=shape)
        f = guarded(f_of(rng.normal(size=shape)), shape)
        try:
            got = call("numerical_gradient(f, x)", numerical_gradient, f, x.copy(),
                       hints={TypeError: _f_called_with(x.shape)})
        except CheckFailure as exc:
            if x.ndim > 1 and "[raised]" in str(exc).splitlines():
                _vectors_only(numerical_gradient, f, x, exc)
            raise
        # each cell names the mistakes of its own behaviour and excuses the others'
        mistakes = _numerical_gradient_mistakes(f, x)
        owned = OWNED_BY_1D if name == "numgrad_1d" else OWNED_BY_ND
        expect_close(What(f"numerical_gradient(f, x) for x of shape {shape}", f"形状 {shape} の x に対する "
                          "numerical_gradient(f, x)"), got,
                     ref.numerical_gradient(f, x.copy()), alternatives=_step_models(f, x)[0],
                     mistakes=[m for m in mistakes if m.key in owned],
                     excused=[m for m in mistakes if m.key not in owned])


def _works_on_vectors(numerical_gradient, f, x: np.ndarray) -> bool:
    """Does the student's function give the right gradient for the same f
    and x flattened to a vector?  (The book's _numerical_gradient_no_batch.)"""
    shape = x.shape

    def flat_f(v):
        return f(np.reshape(v, shape))
    return gives(numerical_gradient, (flat_f, x.ravel()), ref.numerical_gradient(flat_f, x.ravel()),
                 rtol=1e-4, atol=1e-6)


def _vectors_only(numerical_gradient, f, x: np.ndarray, error: CheckFailure) -> None:
    """Name the mistake when a function that raised on a matrix is right for
    the same input as a vector (confirmed, not guessed)."""
    if _works_on_vectors(numerical_gradient, f, x):
        lines = str(error).splitlines()
        raised = lines[0].replace("numerical_gradient(f, x) raised ", "")
        raised_ja = lines[1].replace("numerical_gradient(f, x) の実行中に ", "")
        fail(f"numerical_gradient handles only vectors: it raised {raised}. It is right for the same input "
             "flattened to a vector, so the loop reaches only x[i] with one index. Loop over every index of "
             "x, e.g. np.nditer(x, flags=['multi_index']) with idx = it.multi_index, as the book's "
             "numerical_gradient does for a batch.",
             f"numerical_gradient がベクトルにしか対応していません（{raised_ja}）。"
             "同じ入力をベクトルにすると正しく計算できるので、ループが 1 つの添字 x[i] しか扱っていません。"
             "np.nditer(x, flags=['multi_index']) と idx = it.multi_index などで x のすべての添字をループしてください。",
             key="numgrad.vectors_only")


def _linear(c: np.ndarray):
    """f(x) = sum(c * x): every difference scheme gives exactly c, so this
    tests only that every element is visited (the 1-D check grades the
    central difference)."""
    return lambda x: float(np.sum(c * x))


@over_all_cases
def check_numerical_gradient_1d(numerical_gradient) -> None:
    """numerical_gradient matches the central difference for vectors (D,)."""
    _check_numerical_gradient(numerical_gradient, "numgrad_1d", [(2,), (3,), (6,)], _cubic)


@over_all_cases
def check_numerical_gradient_nd(numerical_gradient) -> None:
    """numerical_gradient visits every element of matrices and 3-D arrays."""
    _check_numerical_gradient(numerical_gradient, "numgrad_nd", [(2, 3), (3, 2), (2, 3, 2)], _linear)


def _counted(f):
    """f, counting its calls (a numerical gradient must evaluate f)."""
    def counted(x):
        counted.calls += 1
        return f(x)
    counted.calls = 0
    return counted


def _matrix_or_vector(run, matrix, vector):
    """run(matrix), or run(vector) when the student's function raises on a
    matrix: that costs points in the any-shape cell, not in the others."""
    try:
        return run(matrix)
    except CheckFailure as exc:
        if "[raised]" not in str(exc).splitlines():
            raise
        return run(vector)


def _expect_work(f, got, shape: tuple, name: str) -> None:
    """A numerical gradient evaluates f (at least at x + h and x - h) and
    returns an array of x's shape: a function that does nothing fails."""
    if f.calls < 2 or np.shape(got) != shape:
        fail(f"numerical_gradient evaluated f {f.calls} time(s) and returned {_describe_answer(got)} for {name} of "
             f"shape {shape}: it must evaluate f at x + h and x - h for each element and return an array "
             "of x's shape.",
             f"numerical_gradient は f を {f.calls} 回しか評価せず、形状 {shape} の {name} に対して "
             f"{_describe_answer(got)} を返しました。各要素で f(x + h) と f(x - h) を評価し、x と同じ形状の配列を"
             "返してください。",
             key="numgrad.no_work")


def _plus_slope(f, x0: np.ndarray):
    """f + sum(x - x0): the same value as f at x0, a gradient larger by 1
    everywhere.  A numerical gradient of it differs from the one of f in
    every element (by 1, or h**2 with `/ 2 * h`, or a row's count when a row
    is shifted at once); an answer computed from f at x0 alone does not."""
    return lambda x: f(x) + float(np.sum(np.asarray(x, dtype=np.float64) - x0))


def _expect_f_at_perturbed_points(got, got_sloped, shape: tuple, name: str, owns_return_in_loop: bool) -> None:
    """The answer must depend on f's values away from x: the student's
    answer for f and for _plus_slope(f) must differ in every element.  Where
    only the first element does, with zeros elsewhere, the loop returned
    after its first element: named here if this cell owns it
    (owns_return_in_loop), else graded in the value cells."""
    try:
        a, b = (np.asarray(v, dtype=np.float64) for v in (got, got_sloped))
    except (TypeError, ValueError):
        return  # not numbers: the value cells say what is wrong
    if a.shape != tuple(shape) or b.shape != tuple(shape) or not np.all(np.isfinite(a) & np.isfinite(b)):
        return
    same = np.isclose(a, b, rtol=1e-6, atol=0.0)
    first = np.arange(a.size).reshape(a.shape) == 0
    # zero elsewhere (for f and for f + slope): far below the answers here (about 1e-200), far above
    # what rounding makes of a 0 (about 1e-323)
    zero = np.all(np.abs(a[~first]) <= 1e-250) and np.all(np.abs(b[~first]) <= 1e-250)
    if a.size > 1 and zero and not np.all(same[first]):
        if not owns_return_in_loop:
            return
        fail(NUMGRAD_RETURNS_IN_LOOP.en, NUMGRAD_RETURNS_IN_LOOP.ja,
             f"grad for f: {_describe_answer(got)} with only its first element non-zero / 最初の要素だけが 0 以外",
             key=NUMGRAD_RETURNS_IN_LOOP.key)
    if np.any(same):
        fail(f"numerical_gradient gave the same answer at {int(same.sum())} of {a.size} elements of {name} for f and "
             "for f + sum(x - x0), which has the same value at x but a gradient larger by 1 everywhere: the answer "
             "must come from f(x + h) and f(x - h) for each element, not from f at x alone.",
             f"f と f + sum(x - x0)（x での値は同じで、勾配はどこでも 1 大きい）に対して、numerical_gradient が {name} の "
             f"{a.size} 要素のうち {int(same.sum())} 要素で同じ答えを返しました。答えは各要素の f(x + h) と f(x - h) から"
             "計算してください。x での f の値だけからは求まりません。",
             key="numgrad.no_work")


@over_all_cases
def check_numerical_gradient_restores_x(numerical_gradient) -> None:
    """numerical_gradient leaves x exactly as it found it."""
    rng = rng_for("numgrad_restores")

    def run(x, sloped: bool = False):
        x_in = x.copy()
        f = guarded(_cubic(np.ones_like(x)), x.shape)
        f = _counted(_plus_slope(f, x) if sloped else f)
        return x, x_in, f, call("numerical_gradient(f, x)", numerical_gradient, f, InOut(x_in))

    x = rng.normal(size=(3, 4))
    x, x_in, f, got = _matrix_or_vector(run, x, x.ravel())
    # x + h - h may differ from x in its last bit (a row restored from a view
    # does that); leaving x changed means a difference of the order of h.
    if x_in.shape != x.shape or not np.allclose(x_in, x, rtol=1e-12, atol=1e-14):
        fail("numerical_gradient changed x: after evaluating f(x+h) and f(x-h), put the original "
             "value back with x[idx] = tmp_val.",
             "numerical_gradient が x を変えたままにしています。f(x+h) と f(x-h) を計算した後、"
             "x[idx] = tmp_val で元の値に戻してください。",
             key="numgrad.not_restored")
    # ... and did the work: a function that never evaluates f, or only at x, leaves x alone too.
    _expect_work(f, got, x.shape, "x")
    # On tiny values (about 1e-200) any h > 0 changes x, even one too small to change an ordinary x
    # (graded as numgrad.zero in the value cells), so the work is seen whatever h is.
    tiny = rng.normal(size=x.shape) * 1e-200
    _expect_f_at_perturbed_points(run(tiny)[3], run(tiny, sloped=True)[3], x.shape, "x", owns_return_in_loop=True)


def _describe_answer(got) -> str:
    if got is None:
        return "None"
    shape = getattr(got, "shape", None)
    return f"an array of shape {tuple(shape)}" if shape is not None else f"a {getattr(got, 'remote_type', None) or type(got).__name__}"


# A loss like simpleNet.loss plus weight decay, reading W through a closure.
# Without the decay term, shifting a whole row of W by h would shift every
# score of a sample equally, which softmax ignores: such a loss difference is
# pure rounding noise (0 on one CPU, 1e-12 on another), and no verdict may
# rest on it.  The decay makes every element, and every row, matter.
DECAY = 0.5


def _closure_case(rng, vector: bool = False):
    """(W0, loss_of) for the closure cell: loss_of(W) reads W itself, like
    f = lambda w: net.loss(x, t) reads net.W.  W0 is simpleNet's (2, 3)
    weights, or the same six numbers as a vector (for a function that
    handles only vectors, graded in the any-shape cell)."""
    W0 = rng.normal(size=(2, 3))
    x = rng.normal(size=2)
    t = np.eye(3)[int(rng.integers(0, 3))]

    def loss_of(W):
        return ref.cross_entropy_error(ref.softmax(x @ np.reshape(W, (2, 3))), t) + DECAY * float(np.sum(W ** 2))
    return (W0.ravel() if vector else W0), loss_of


@over_all_cases
def check_numerical_gradient_closure(numerical_gradient) -> None:
    """numerical_gradient works for f = lambda w: net.loss(x, t), which ignores its argument."""
    def run(vector: bool):
        W0, loss_of = _closure_case(rng_for("numgrad_closure"), vector)
        W = W0.copy()  # the network's weights: the student's code perturbs them in place
        f = _counted(guarded(lambda _w: loss_of(W), W.shape))  # reads W through the closure, not the argument
        return W0, loss_of, f, call("numerical_gradient(f, net.W)", numerical_gradient, f, InOut(W))

    W0, loss_of, f, got = _matrix_or_vector(run, False, True)
    if got is not None and np.shape(got) == W0.shape and _all_zero(got):
        # All zeros: either f never saw the change (x was copied), or h is so
        # small that x + h == x -- then a function of its argument gets zeros too.
        probe = call("numerical_gradient(f, x)", numerical_gradient, _linear(np.ones(3)), np.ones(3))
        if probe is not None and np.shape(probe) == (3,) and _all_zero(probe):
            fail(*_NUMGRAD_ZERO, key="numgrad.zero")
        fail("numerical_gradient returned zeros for f = lambda w: net.loss(x, t): f reads net.W itself, "
             "so x must be perturbed in place (x[idx] = tmp_val + h), not a copy of it.",
             "f = lambda w: net.loss(x, t) に対して numerical_gradient が 0 を返しました。f は net.W を直接読むので、"
             "x のコピーではなく x そのものをその場で（x[idx] = tmp_val + h）変更してください。",
             key="numgrad.copies_x")
    _expect_work(f, got, W0.shape, "net.W")
    W_sloped = W0.copy()
    sloped = _plus_slope(lambda _w: loss_of(W_sloped), W0)  # reads W, like f, plus a slope
    _expect_f_at_perturbed_points(got, call("numerical_gradient(f, net.W)", numerical_gradient,
                                            guarded(sloped, W0.shape), InOut(W_sloped)), W0.shape, "net.W",
                                  owns_return_in_loop=False)
    # This cell grades one behaviour: f sees the in-place changes.  So the
    # answer is compared with the student's own answer for the same loss
    # written as a function of its argument (f = lambda w: loss(w)): a
    # numerical_gradient that perturbs x in place gives the same numbers for
    # both, whatever else it gets wrong (graded in the other cells).
    W_arg = W0.copy()
    own = call("numerical_gradient(f, x)", numerical_gradient, guarded(loss_of, W0.shape), InOut(W_arg))
    expect_close("numerical_gradient(f, net.W)", got, np.asarray(own, dtype=np.float64)
                 if np.shape(own) == W0.shape else ref.numerical_gradient(loss_of, W0.copy()))


def _all_zero(got) -> bool:
    """Zero: f never saw a change (x copied, or x + h == x), which gives
    exact zeros on any machine; the gradients here are of order 0.1 to 1,
    and even one multiplied by h**2 (/ 2 * h) is above 1e-11."""
    try:
        return bool(np.all(np.abs(np.asarray(got, dtype=np.float64)) <= 1e-11))
    except (TypeError, ValueError):
        return False
