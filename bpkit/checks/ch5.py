"""Hidden checks for the chapter 5 notebook: the layers' forward and backward
passes.  Each ``check_*`` takes the student's layer *class*, builds fresh
instances through the public interface only (constructor arguments, forward,
backward, ``dW``, ``db``) and raises CheckFailure naming the mistake."""
from __future__ import annotations

import os
from dataclasses import replace

import numpy as np

import reference as ref
from bpkit.checks.core import (CheckFailure, InOut, Mistake, Raised, What, call, central_difference, expect_close,
                               expect_unchanged, fail, finite_differences, huge, is_right, note, outcome, over_all_cases,
                               raised_case, rng_for, self_consistency, simulate)
from reference.functions import DELTA

__all__ = [
    "check_mul_layer",
    "check_add_layer",
    "check_relu_forward",
    "check_relu_backward",
    "check_sigmoid_forward",
    "check_sigmoid_backward",
    "check_affine_forward",
    "check_affine_backward_dx",
    "check_affine_backward_dW",
    "check_affine_backward_db",
    "check_affine_nd_input",
    "check_softmax_with_loss_forward",
    "check_softmax_with_loss_backward",
]

# (N, D, M): square weights first (with N != D), then non-square ones with
# D > M and D < M; batch sizes 1 and more.
SQUARE_SHAPES = [(1, 3, 3), (5, 4, 4)]
NON_SQUARE_SHAPES = [(1, 3, 2), (4, 5, 3), (6, 2, 7)]
AFFINE_SHAPES = SQUARE_SHAPES + NON_SQUARE_SHAPES


def _pair(what: str, got) -> tuple:
    if not (isinstance(got, tuple) or isinstance(got, list)) or len(got) != 2:
        fail(f"{what} must return two gradients, (dx, dy), e.g. `return dx, dy`.",
             f"{what} は 2 つの勾配 (dx, dy) を返す必要があります（例：`return dx, dy`）。",
             key="not_a_pair")
    return got


def _away_from_zero(rng, shape) -> np.ndarray:
    """Values with |x| >= 0.1: ReLU's kink at 0 has no derivative, so inputs
    stay away from it and every correct mask agrees (x > 0 versus x >= 0)."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < 0.1, np.sign(x + 1e-12) * 0.1 + x, x)


# ---------------------------------------------------------- Mul and Add ---

#: Backprop must be earned (issue 20): each backward check ends with a case where finite
#: differences of the forward pass cannot reach the tolerance (core.huge: x + h == x), so a
#: backward pass computed with numerical_gradient fails it (finite_differences) while the
#: formula is exact; the ordinary cases come first, and finite differences are right there.
EARNED = "earned"


def _earned(what: str, formula: str, expected, on_earned_case: bool, fd_value=None) -> Mistake:
    """The finite_differences mistake of one answer: on the earned case, its
    model is what finite differences give (zeros unless fd_value says
    otherwise); on an ordinary case, fd_value if given (finite differences
    of the reference's forward pass), else the right answer (they agree)."""
    if on_earned_case:
        value = np.zeros_like(np.asarray(expected, dtype=np.float64)) if fd_value is None else fd_value
    else:
        value = expected if fd_value is None else fd_value
    return finite_differences(what, formula, value)


@over_all_cases
def check_mul_layer(MulLayer) -> None:
    """MulLayer.forward multiplies; backward returns (dout * y, dout * x)."""
    rng = rng_for("mul")
    # Python numbers first, as in the book's apple example (MulLayer().forward(100, 2), backward(1)), then
    # arrays, then x and y so large that finite differences see no change (backprop must be earned)
    numbers = (int(rng.integers(50, 200)), int(rng.integers(2, 9)), 1)
    for shape in [None, (), (3,), (2, 4), EARNED]:
        if shape == EARNED:
            x, y, dout = huge(rng, (2, 3)), huge(rng, (2, 3)), rng.normal(size=(2, 3))
        else:
            x, y, dout = numbers if shape is None else (rng.normal(size=shape) for _ in range(3))
        layer = call("MulLayer()", MulLayer)
        expect_close("MulLayer.forward(x, y)", call("MulLayer.forward", (layer, "forward"), x, y), x * y)
        dx, dy = _pair("MulLayer.backward(dout)", call("MulLayer.backward", (layer, "backward"), dout))
        swapped = [Mistake("mul.swapped",
                           "MulLayer.backward swapped the inputs: dx must be dout * y and dy must be "
                           "dout * x (each input gets the *other* input).",
                           "MulLayer.backward で入力が入れ替わっています。dx = dout * y、dy = dout * x です"
                           "（それぞれ「もう一方の」入力を掛けます）。",
                           dout * x if i == 0 else dout * y) for i in (0, 1)]
        where, where_ja = (" for x and y around 1e13", "（x と y が 1e13 程度）") if shape == EARNED else ("", "")
        expect_close(What(f"dx of MulLayer.backward{where}", f"MulLayer.backward の dx{where_ja}"), dx, dout * y,
                     mistakes=[swapped[0], _earned("MulLayer.backward", "dx = dout * y", dout * y, shape == EARNED)])
        expect_close(What(f"dy of MulLayer.backward{where}", f"MulLayer.backward の dy{where_ja}"), dy, dout * x, mistakes=[
            swapped[1], _earned("MulLayer.backward", "dy = dout * x", dout * x, shape == EARNED)])


@over_all_cases
def check_add_layer(AddLayer) -> None:
    """AddLayer.forward adds; backward passes dout to both inputs."""
    rng = rng_for("add")
    for shape in [(), (3,), (2, 4), EARNED]:
        if shape == EARNED:  # x and y so large that finite differences see no change
            x, y, dout = huge(rng, (2, 3)), huge(rng, (2, 3)), rng.normal(size=(2, 3))
        else:
            x, y, dout = (rng.normal(size=shape) for _ in range(3))
        layer = call("AddLayer()", AddLayer)
        expect_close("AddLayer.forward(x, y)", call("AddLayer.forward", (layer, "forward"), x, y), x + y)
        dx, dy = _pair("AddLayer.backward(dout)", call("AddLayer.backward", (layer, "backward"), dout))
        where, where_ja = (" for x and y around 1e13", "（x と y が 1e13 程度）") if shape == EARNED else ("", "")
        expect_close(What(f"dx of AddLayer.backward{where}", f"AddLayer.backward の dx{where_ja}"), dx, dout,
                     mistakes=[_earned("AddLayer.backward", "dx = dout", dout, shape == EARNED)])
        expect_close(What(f"dy of AddLayer.backward{where}", f"AddLayer.backward の dy{where_ja}"), dy, dout,
                     mistakes=[_earned("AddLayer.backward", "dy = dout", dout, shape == EARNED)])


# ------------------------------------------------------------------ ReLU ---

@over_all_cases
def check_relu_forward(Relu) -> None:
    """Relu.forward matches the reference and does not modify x."""
    rng = rng_for("relu_forward")
    for shape in [(5,), (3, 4), (2, 3, 2)]:
        x = _away_from_zero(rng, shape)
        x_in = x.copy()
        got = call("Relu.forward(x)", (call("Relu()", Relu), "forward"), InOut(x_in))
        expect_close(What(f"Relu.forward(x) for x of shape {shape}", f"形状 {shape} の x に対する Relu.forward(x)"), got,
                     np.maximum(x, 0))
        expect_unchanged("Relu.forward", x, x_in)


@over_all_cases
def check_relu_backward(Relu) -> None:
    """Relu.backward passes dout where x > 0 and 0 elsewhere."""
    rng = rng_for("relu_backward")
    wrote_into_dout = False
    for shape in [(5,), (3, 4), (2, 3, 2), EARNED]:
        earned = shape == EARNED
        if earned:  # x so large that finite differences see no change; the mask is exact
            shape = (3, 4)
        x = huge(rng, shape) if earned else _away_from_zero(rng, shape)
        dout = _away_from_zero(rng, shape)
        layer = call("Relu()", Relu)
        call("Relu.forward(x)", (layer, "forward"), x.copy())
        dout_in = dout.copy()
        got = call("Relu.backward(dout)", (layer, "backward"), InOut(dout_in))
        wrote_into_dout = wrote_into_dout or not np.array_equal(dout_in, dout)
        mistakes = [
            Mistake("relu.no_mask",
                    "Relu.backward returns dout unchanged: set the gradient to 0 where the forward input x was <= 0 "
                    "(remember the mask in forward).",
                    "Relu.backward が dout をそのまま返しています。順伝播の入力 x が 0 以下だった位置の勾配を 0 にしてください"
                    "（forward でマスクを保存しておきます）。",
                    dout),
            Mistake("relu.inverted_mask",
                    "Relu.backward zeroes the wrong elements: the mask is inverted. Zero the gradient where x <= 0, "
                    "keep it where x > 0.",
                    "Relu.backward で 0 にする位置が逆です（マスクが反転しています）。x <= 0 の位置を 0 にし、x > 0 の位置は残します。",
                    np.where(x > 0, 0, dout)),
            Mistake("relu.mask_from_dout",
                    "Relu.backward takes its mask from dout: the mask must come from the forward input x, "
                    "saved in forward (self.mask = (x <= 0)).",
                    "Relu.backward が dout からマスクを作っています。マスクは forward で保存した入力 x から作ります"
                    "（self.mask = (x <= 0)）。",
                    np.where(dout > 0, dout, 0)),
            Mistake("relu.returns_forward_output",
                    "Relu.backward returns the forward output: backward must return the gradient dout * (x > 0), "
                    "which depends on dout.",
                    "Relu.backward が順伝播の出力を返しています。backward は dout に依存する勾配 dout * (x > 0) を返します。",
                    np.maximum(x, 0)),
        ]
        mistakes.append(_earned("Relu.backward", "dx = dout * (x > 0)", np.where(x > 0, dout, 0), earned))
        # ReLU is piecewise linear and |x| >= 0.1, so central differences are exact up to rounding.
        consistent = self_consistency("Relu.backward", lambda x_: np.sum(Relu().forward(x_) * dout), x, 1e-7)
        expect_close(What(f"Relu.backward(dout) for shape {shape}" + (" and x around 1e13" if earned else ""),
                          f"形状 {shape}{'（x は 1e13 程度）' if earned else ''} の Relu.backward(dout)"), got,
                     np.where(x > 0, dout, 0), mistakes=mistakes, gradient_check=None if earned else consistent)
    if wrote_into_dout:
        inplace_dout_found()


INPLACE_DOUT = Mistake(
    "relu.inplace_dout",
    "Relu.backward writes into dout in place (dout[self.mask] = 0, as in the book). It gives the right "
    "dx here, but the caller's dout changes too: if the same gradient also flows into another branch of "
    "the network (a value used twice), that branch now receives zeros. Start with dx = dout.copy(), or "
    "use np.where(self.mask, 0, dout).",
    "Relu.backward が dout をその場で書き換えています（書籍の dout[self.mask] = 0）。ここでの dx は正しいのですが、"
    "呼び出し元の dout も変わってしまいます。同じ勾配がネットワークの別の枝にも流れる場合（1 つの値を 2 か所で使う場合）、"
    "その枝には 0 が届きます。dx = dout.copy() から始めるか、np.where(self.mask, 0, dout) を使いましょう。",
    None)


def inplace_dout_found() -> None:
    """The course decides whether writing into dout costs points.

    Set BPKIT_INPLACE_DOUT=fail (nbgrader_config.py does it for the whole
    course) to make it a mistake; by default it is a warning printed into the
    student's feedback (stdout, which never affects the score).
    """
    if os.environ.get("BPKIT_INPLACE_DOUT", "warn").strip().lower() == "fail":
        fail(INPLACE_DOUT.en, INPLACE_DOUT.ja, key=INPLACE_DOUT.key)
    note(f"Note (no points lost): {INPLACE_DOUT.en}\n"
         f"注意（減点なし）: {INPLACE_DOUT.ja}\n[{INPLACE_DOUT.key}]")


# --------------------------------------------------------------- Sigmoid ---

@over_all_cases
def check_sigmoid_forward(Sigmoid) -> None:
    """Sigmoid.forward matches the reference, also for inputs around +-1000."""
    rng = rng_for("sigmoid_forward")
    for x in (rng.normal(size=(3, 4)) * 3, rng.uniform(-1000, 1000, size=(2, 5))):
        got = call("Sigmoid.forward(x)", (call("Sigmoid()", Sigmoid), "forward"), x.copy())
        expect_close(What(f"Sigmoid.forward(x) for x of shape {x.shape}", f"形状 {x.shape} の x に対する Sigmoid.forward(x)"),
                     got, ref.sigmoid(x))


@over_all_cases
def check_sigmoid_backward(Sigmoid) -> None:
    """Sigmoid.backward returns dout * y * (1 - y) with y the forward output."""
    rng = rng_for("sigmoid_backward")
    for shape in [(5,), (3, 4), EARNED]:
        earned = shape == EARNED
        if earned:
            x, dout, fd_value = _sigmoid_earned_case(rng)
            shape = x.shape
        else:
            x = rng.normal(size=shape) * 2
            dout = rng.normal(size=shape)
        layer = call("Sigmoid()", Sigmoid)
        y = call("Sigmoid.forward(x)", (layer, "forward"), x.copy())
        got = call("Sigmoid.backward(dout)", (layer, "backward"), dout.copy())
        # A wrong forward costs points only in the forward cell: backward may
        # also be right for the student's own forward output -- but only for
        # an output a sigmoid can give (strictly between 0 and 1, not one
        # constant), so zeros from both passes earn nothing here.
        s_ref = ref.sigmoid(x)
        y = _plausible_sigmoid(y, s_ref)
        uses_x = Mistake("sigmoid.uses_input",
                         "Sigmoid.backward uses the input x in the derivative: it is dout * y * (1 - y) with y the "
                         "forward *output* (save it in forward as self.out).",
                         "Sigmoid.backward の微分に入力 x を使っています。正しくは dout * y * (1 - y) で、y は順伝播の"
                         "「出力」です（forward で self.out に保存します）。",
                         dout * x * (1 - x))
        consistent = self_consistency("Sigmoid.backward", lambda x_: np.sum(Sigmoid().forward(x_) * dout), x, 1e-6)
        fd = _earned("Sigmoid.backward", "dx = dout * y * (1 - y)", dout * s_ref * (1 - s_ref), earned,
                     fd_value if earned else None)
        expect_close(What(f"Sigmoid.backward(dout) for shape {shape}" + (" and one dout of 2**52" if earned else ""),
                          f"形状 {shape}{'（dout の 1 つが 2**52）' if earned else ''} の Sigmoid.backward(dout)"), got,
                     dout * s_ref * (1 - s_ref), mistakes=[uses_x, fd],
                     alternatives=[] if y is None else [dout * y * (1 - y)], gradient_check=None if earned else consistent)


def _sigmoid_earned_case(rng) -> tuple[np.ndarray, np.ndarray, object]:
    """(x, dout, what finite differences give) for Sigmoid.backward: one
    element of dout is 2**52 (and its sigmoid between 0.62 and 0.88), so the
    sum of forward(x) * dout that finite differences compare lies in
    [2**51, 2**52), where doubles are 0.5 apart: each other element's finite
    difference is a multiple of 0.5 / (2h) = 2500, never its gradient
    (between 0.09 and 0.25 in size), while the formula is exact."""
    x = rng.choice([-1.0, 1.0], size=6) * rng.uniform(0.2, 1.0, size=6)
    dout = rng.choice([-1.0, 1.0], size=6) * rng.uniform(0.5, 1.0, size=6)
    k = int(rng.integers(0, 6))
    x[k], dout[k] = rng.uniform(0.5, 2.0), 2.0 ** 52
    step = 0.5 / (2 * 1e-4)
    small = np.arange(6) != k

    def on_the_grid(got: np.ndarray) -> bool:
        return got.shape == x.shape and bool(np.all(np.abs(got[small] - step * np.round(got[small] / step))
                                                    <= 1e-6 * step))
    return x, dout, on_the_grid


def _plausible_sigmoid(value, like: np.ndarray) -> np.ndarray | None:
    """value as a float array if a sigmoid could have given it (like's shape,
    every element strictly between 0 and 1, not all equal), else None."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.shape != like.shape or not np.all((arr > 0) & (arr < 1)) or np.ptp(arr) == 0:
        return None
    return arr


# ---------------------------------------------------------------- Affine ---

def _affine_case(rng, n: int, d: int, m: int, x_shape=None):
    x = rng.normal(size=x_shape or (n, d))
    W = rng.normal(size=(d, m))
    b = rng.normal(size=m)
    dout = rng.normal(size=(n, m))
    return x, W, b, dout


def _run_affine(Affine, x, W, b, dout, hints=None):
    """Forward and backward on copies; returns (layer, out, dx)."""
    layer = call("Affine(W, b)", Affine, W.copy(), b.copy())
    out = call("Affine.forward(x)", (layer, "forward"), x.copy(), hints=hints)
    dx = call("Affine.backward(dout)", (layer, "backward"), dout.copy())
    return layer, out, dx


def _affine_param_cases(Affine, name: str):
    """Yield (layer, x, W, b, dout, earned) for the dW and db checks.

    Square weights come first.  With non-square weights, `dout @ W` (W where
    W.T belongs) raises inside backward before dW and db are even set; that
    mistake costs points in the dx cell, so here such a case is skipped once
    the square cases have run.  The last case (earned) has W and b so large
    that finite differences see no change in them (core.huge).
    """
    rng = rng_for(name)
    for n, d, m in AFFINE_SHAPES + [AFFINE_EARNED]:
        earned = (n, d, m) == AFFINE_EARNED
        x, W, b, dout = _affine_case(rng, n, d, m)
        if earned:
            W, b = huge(rng, W.shape), huge(rng, b.shape)
        layer = call("Affine(W, b)", Affine, W.copy(), b.copy())
        call("Affine.forward(x)", (layer, "forward"), x.copy())
        try:
            call("Affine.backward(dout)", (layer, "backward"), dout.copy())
        except CheckFailure as exc:
            # An error in backward after dW and db were stored (e.g. in
            # computing or reshaping dx) costs points in the dx cell only.
            raised = "[raised]" in str(exc).splitlines()
            if raised and getattr(layer, "dW", None) is not None and getattr(layer, "db", None) is not None:
                yield layer, x, W, b, dout, earned
                continue
            if raised and d != m:
                continue
            raise
        yield layer, x, W, b, dout, earned


#: (N, D, M) of the case where finite differences cannot reach the tolerance (square: a dx that
#: uses W instead of W.T, graded in the dx cell, does not stop it).
AFFINE_EARNED = (4, 3, 3)


def _stored(layer, name: str):
    value = getattr(layer, name, None)
    if value is None and isinstance(getattr(layer, "grads", None), (list, tuple)):
        fail(f"Affine.backward keeps its gradients in a list, self.grads (the second book's layer style), but "
             f"this book's layers store them as attributes: self.dW and self.db, which TwoLayerNet.gradient and "
             f"the optimizers read. Write self.dW = ... and self.db = ... in backward.",
             f"Affine.backward が勾配をリスト self.grads に入れています（続編の書籍のレイヤの書き方）。この本のレイヤは"
             f"属性 self.dW と self.db に保存し、TwoLayerNet.gradient やオプティマイザがそれを読みます。backward で "
             f"self.dW = ...、self.db = ... と書いてください。",
             key="affine.grads_in_list")
    if value is None:
        fail(f"Affine.backward did not store self.{name}: assign it (self.{name} = ...) so an optimizer can read it.",
             f"Affine.backward が self.{name} を保存していません。オプティマイザが読めるよう self.{name} = ... と代入してください。",
             key="affine.not_stored")
    return value


@over_all_cases
def check_affine_forward(Affine) -> None:
    """Affine.forward computes x @ W + b."""
    rng = rng_for("affine_forward")
    for n, d, m in AFFINE_SHAPES:
        x, W, b, _ = _affine_case(rng, n, d, m)
        layer = call("Affine(W, b)", Affine, W.copy(), b.copy())
        expect_close(What(f"Affine.forward(x) for x {x.shape}, W {W.shape}",
                          f"x が {x.shape}、W が {W.shape} のときの Affine.forward(x)"),
                     call("Affine.forward(x)", (layer, "forward"), x.copy()), x @ W + b)


AFFINE_DX_USES_W = Mistake(
    "affine.dx_uses_W",
    "Affine.backward uses W instead of W.T for dx: dx = dout @ W.T has x's shape (N, D). "
    "(With non-square W, dout @ W cannot even be computed.)",
    "Affine.backward の dx で W.T ではなく W を使っています。dx = dout @ W.T で、x と同じ形状 (N, D) です"
    "（W が正方行列でないと dout @ W は計算できません）。",
    None)


@over_all_cases
def check_affine_backward_dx(Affine) -> None:
    """Affine.backward returns dx = dout @ W.T."""
    rng = rng_for("affine_dx")
    for n, d, m in AFFINE_SHAPES + [AFFINE_EARNED]:
        earned = (n, d, m) == AFFINE_EARNED
        x, W, b, dout = _affine_case(rng, n, d, m)
        if earned:  # x so large that finite differences see no change in it
            x = huge(rng, x.shape)
        layer = call("Affine(W, b)", Affine, W.copy(), b.copy())
        call("Affine.forward(x)", (layer, "forward"), x.copy())
        dx = call("Affine.backward(dout)", (layer, "backward"), dout.copy(),
                  hints={ValueError: AFFINE_DX_USES_W} if d != m else None)
        uses_W = replace(AFFINE_DX_USES_W, value=dout @ W if d == m else None)
        # Affine is linear: central differences are exact up to rounding.
        consistent = self_consistency("dx", lambda x_: np.sum(Affine(W, b).forward(x_) * dout), x, 1e-7)
        expect_close(What(f"dx of Affine.backward for x {x.shape}, W {W.shape}" + (", x around 1e13" if earned else ""),
                          f"x が {x.shape}{'（1e13 程度）' if earned else ''}、W が {W.shape} のときの Affine.backward の dx"),
                     dx, dout @ W.T, gradient_check=None if earned else consistent,
                     mistakes=[uses_W, _earned("Affine.backward's dx", "dx = dout @ W.T", dout @ W.T, earned)])


def _dW_mistakes(x, dout) -> list[Mistake]:
    """Each dW mistake alone, then both together (named together)."""
    n = x.shape[0]
    dW = x.T @ dout
    transposed = Mistake("affine.dW_transposed",
                         "Affine.backward's dW is transposed: dW = x.T @ dout has W's shape (D, M).",
                         "Affine.backward の dW が転置されています。dW = x.T @ dout で、W と同じ形状 (D, M) になります。",
                         dW.T)
    divided = Mistake("affine.dW_divided_by_N",
                      "Affine.backward divides dW by the batch size: the 1/N of the mean loss is already in dout "
                      "(SoftmaxWithLoss divides by N), so dW = x.T @ dout.",
                      "Affine.backward で dW をバッチサイズで割っています。平均の 1/N はすでに dout に含まれている"
                      "（SoftmaxWithLoss が N で割る）ので、dW = x.T @ dout です。",
                      dW / n)
    return [transposed, divided, replace(transposed, value=dW.T / n, also=(divided,))]


@over_all_cases
def check_affine_backward_dW(Affine) -> None:
    """Affine.backward stores dW = x.T @ dout with W's shape."""
    for layer, x, W, b, dout, earned in _affine_param_cases(Affine, "affine_dW"):
        mistakes = _dW_mistakes(x, dout)
        if x.shape[0] == 1:  # dividing by N = 1 changes nothing
            mistakes = mistakes[:1]
        mistakes.append(_earned("Affine.dW", "dW = x.T @ dout", x.T @ dout, earned))
        consistent = self_consistency("dW", lambda W_: np.sum(Affine(W_, b).forward(x) * dout), W, 1e-7)
        expect_close(What(f"Affine.dW for x {x.shape}, W {W.shape}" + (" around 1e13" if earned else ""),
                          f"x が {x.shape}、W が {W.shape}{'（1e13 程度）' if earned else ''} のときの Affine.dW"),
                     _stored(layer, "dW"), x.T @ dout, mistakes=mistakes, gradient_check=None if earned else consistent)


@over_all_cases
def check_affine_backward_db(Affine) -> None:
    """Affine.backward stores db = dout summed over the batch axis, shape (M,)."""
    for layer, x, W, b, dout, earned in _affine_param_cases(Affine, "affine_db"):
        mistakes = [
            Mistake("affine.db_sum_all",
                    "Affine.backward sums db over every element: sum over the batch axis only, "
                    "db = np.sum(dout, axis=0), shape (M,).",
                    "Affine.backward の db が全要素の和になっています。バッチの軸だけで和を取ってください："
                    "db = np.sum(dout, axis=0)（形状 (M,)）。",
                    np.asarray(dout.sum())),
            Mistake("affine.db_not_summed",
                    "Affine.backward stores db without summing: the bias is added to every sample, so its "
                    "gradient is the sum over the batch, db = np.sum(dout, axis=0).",
                    "Affine.backward の db が和を取っていません。バイアスは全サンプルに足されるので、勾配はバッチ方向の和 "
                    "db = np.sum(dout, axis=0) です。",
                    dout),
            Mistake("affine.db_mean",
                    "Affine.backward averages db over the batch: use the sum, db = np.sum(dout, axis=0).",
                    "Affine.backward の db がバッチの平均になっています。和 db = np.sum(dout, axis=0) を使ってください。",
                    dout.mean(axis=0)),
        ]
        mistakes.append(_earned("Affine.db", "db = np.sum(dout, axis=0)", dout.sum(axis=0), earned))
        consistent = self_consistency("db", lambda b_: np.sum(Affine(W, b_).forward(x) * dout), b, 1e-7)
        expect_close(What(f"Affine.db for dout {dout.shape}" + (", b around 1e13" if earned else ""),
                          f"dout が {dout.shape}{'、b が 1e13 程度' if earned else ''} のときの Affine.db"), _stored(layer, "db"),
                     dout.sum(axis=0), mistakes=mistakes, gradient_check=None if earned else consistent)


def _backward_fails_on_matrices(Affine, rng) -> bool:
    """Does Affine.backward raise for ordinary (N, D) input as well?"""
    x, W, b, dout = _affine_case(rng, 3, 4, 2)
    try:
        _run_affine(Affine, x, W, b, dout)
    except CheckFailure as exc:
        return "[raised]" in str(exc).splitlines()
    return False


AFFINE_NO_FLATTEN = Mistake(
    "affine.no_flatten",
    "Affine.forward does not flatten image-shaped input: reshape x of shape (N, d1, ..., dk) to (N, D) "
    "first, x.reshape(x.shape[0], -1), and keep the original shape for backward.",
    "Affine.forward が画像のような形状の入力を平坦化していません。形状 (N, d1, ..., dk) の x を先に "
    "x.reshape(x.shape[0], -1) で (N, D) にし、元の形状は backward のために保存してください。",
    None)


@over_all_cases
def check_affine_nd_input(Affine) -> None:
    """Affine flattens an (N, d1, d2) input and returns dx in that shape."""
    rng = rng_for("affine_nd")
    for x_shape in [(2, 3, 4), (1, 2, 2, 3)]:
        n, d = x_shape[0], int(np.prod(x_shape[1:]))
        # Square W (D = M): a dx that uses W instead of W.T is graded in the
        # dx cell, and with square W it does not stop this one.
        x, W, b, dout = _affine_case(rng, n, d, d, x_shape=x_shape)
        try:
            _, out, dx = _run_affine(Affine, x, W, b, dout, hints={ValueError: AFFINE_NO_FLATTEN})
        except CheckFailure as exc:
            if "[raised]" not in str(exc).splitlines() or not _backward_fails_on_matrices(Affine, rng):
                raise
            # backward fails for plain (N, D) input too: that costs points in the dx
            # cell; this cell grades what it can, the forward pass on image-shaped x.
            layer = call("Affine(W, b)", Affine, W.copy(), b.copy())
            out = call("Affine.forward(x)", (layer, "forward"), x.copy(), hints={ValueError: AFFINE_NO_FLATTEN})
            expect_close(What(f"Affine.forward(x) for x of shape {x_shape}", f"形状 {x_shape} の x に対する Affine.forward(x)"),
                         out, x.reshape(n, -1) @ W + b)
            continue
        flat = x.reshape(n, -1)
        expect_close(What(f"Affine.forward(x) for x of shape {x_shape}", f"形状 {x_shape} の x に対する Affine.forward(x)"),
                     out, flat @ W + b)
        not_reshaped = Mistake("affine.dx_not_reshaped",
                               "Affine.backward returns dx flattened: reshape it to the input's original shape "
                               "(save x.shape in forward, then dx.reshape(*original_x_shape)).",
                               "Affine.backward の dx が平坦化されたままです。入力の元の形状に戻してください"
                               "（forward で x.shape を保存し、dx.reshape(*original_x_shape)）。",
                               dout @ W.T)
        expect_close(What(f"dx of Affine.backward for x of shape {x_shape}", f"形状 {x_shape} の x に対する Affine.backward の dx"), dx,
                     (dout @ W.T).reshape(x_shape), mistakes=[not_reshaped],
                     excused=[replace(AFFINE_DX_USES_W, value=(dout @ W).reshape(x_shape))])


# ------------------------------------------------------- SoftmaxWithLoss ---

@over_all_cases
def check_softmax_with_loss_forward(SoftmaxWithLoss) -> None:
    """SoftmaxWithLoss.forward returns the mean cross-entropy of softmax(x)."""
    rng = rng_for("swl_forward")
    for n, c in [(1, 3), (4, 5), (6, 2)]:
        x = rng.normal(size=(n, c)) * 2
        labels = rng.integers(0, c, size=n)
        for t in (np.eye(c, dtype=int)[labels], labels):
            layer = call("SoftmaxWithLoss()", SoftmaxWithLoss)
            got = call("SoftmaxWithLoss.forward(x, t)", (layer, "forward"), x.copy(), t.copy())
            expect_close(What(f"SoftmaxWithLoss.forward(x, t) for x {x.shape}, t {t.shape}",
                              f"x が {x.shape}、t が {t.shape} のときの SoftmaxWithLoss.forward(x, t)"), got,
                         ref.cross_entropy_error(ref.softmax(x), labels), scalar=True,
                         mistakes=[replace(SWL_WHOLE_BATCH, value=None if n == 1 else
                                           ref.cross_entropy_error(_whole_batch_softmax(x), labels)),
                                   replace(SWL_OWN_PREDICTION, value=_loss_of_own_prediction(x, labels))])


def _loss_of_own_prediction(x: np.ndarray, labels: np.ndarray) -> float | None:
    """cross_entropy_error(y, y): the loss with each sample's highest score as
    its target; None where that is the true class for every sample (then it
    is the right loss, and no evidence of anything)."""
    y = ref.softmax(x)
    own = y.argmax(axis=1)
    return None if np.array_equal(own, labels) else ref.cross_entropy_error(y, own)


SWL_OWN_PREDICTION = Mistake(
    "swl.loss_of_own_prediction",
    "SoftmaxWithLoss.forward computes the loss of y against y itself (cross_entropy_error(self.y, self.y)?): "
    "its target is each sample's highest score, not t. Pass the targets: cross_entropy_error(self.y, self.t).",
    "SoftmaxWithLoss.forward が y を y 自身と比べた損失を計算しています（cross_entropy_error(self.y, self.y) に"
    "なっていませんか？）。正解が t ではなく各サンプルの最大スコアのクラスになっています。"
    "cross_entropy_error(self.y, self.t) と教師データを渡してください。",
    None)


def _whole_batch_softmax(x: np.ndarray) -> np.ndarray:
    """The chapter-3 softmax for one vector used on a batch: one sum for all."""
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


SWL_WHOLE_BATCH = Mistake(
    "swl.softmax_whole_batch",
    "SoftmaxWithLoss normalises the softmax over the whole batch (the chapter-3 softmax for one vector, "
    "np.sum(exp_a)): each sample's scores must sum to 1 on their own. Take the maximum and the sum per row, "
    "axis=-1 with keepdims=True.",
    "SoftmaxWithLoss の softmax がバッチ全体で正規化されています（1 ベクトル用の第 3 章の softmax の np.sum(exp_a)）。"
    "サンプルごとに和が 1 になるよう、最大値と和を axis=-1, keepdims=True で行ごとに取ってください。",
    None)


SWL_ONE_HOT_ONLY = Mistake(
    "swl.one_hot_only",
    "SoftmaxWithLoss.backward handles only one-hot targets: with integer labels t of shape (N,), copy y "
    "and subtract 1 at each sample's true class, dx[np.arange(N), t] -= 1, then divide by N.",
    "SoftmaxWithLoss.backward が one-hot の教師データにしか対応していません。形状 (N,) の整数ラベルのときは、"
    "y をコピーして各サンプルの正解クラスの位置で 1 を引き（dx[np.arange(N), t] -= 1）、N で割ってください。",
    None)


SWL_NO_BATCH_MEAN = Mistake(
    "swl.no_batch_mean",
    "SoftmaxWithLoss.backward does not divide by the batch size: the loss is a mean over N "
    "samples, so dx = (y - t) / N.",
    "SoftmaxWithLoss.backward がバッチサイズで割っていません。損失は N 個の平均なので dx = (y - t) / N です。",
    None)


def _broadcast_or_index_error(exc: tuple) -> bool:
    """Is (type name, message) what y - t (or indexing y by t) raises for labels t of shape (N,)?"""
    return exc[0] in ("ValueError", "IndexError")


@over_all_cases
def check_softmax_with_loss_backward(SoftmaxWithLoss) -> None:
    """SoftmaxWithLoss.backward returns (y - t) / N for one-hot and label targets."""
    rng = rng_for("swl_backward")
    for case in [(1, 3), (4, 5), (6, 2), EARNED]:
        earned = case == EARNED
        if earned:
            x, labels = _saturated_scores(rng)
            n, c = x.shape
        else:
            n, c = case
            x = rng.normal(size=(n, c)) * 2
            labels = rng.integers(0, c, size=n)
        one_hot = np.eye(c)[labels]
        y = ref.softmax(x)
        expected = (y - one_hot) / n
        for t in (one_hot.astype(int), labels):
            layer = call("SoftmaxWithLoss()", SoftmaxWithLoss)
            call("SoftmaxWithLoss.forward(x, t)", (layer, "forward"), x.copy(), t.copy())
            what = What(f"SoftmaxWithLoss.backward() for x {x.shape}, t {t.shape}"
                        + (" with saturated scores" if earned else ""),
                        f"x が {x.shape}、t が {t.shape}{'（飽和したスコア）' if earned else ''} のときの "
                        "SoftmaxWithLoss.backward()")
            got = outcome(what, (layer, "backward"))
            no_mean = replace(SWL_NO_BATCH_MEAN, value=None if n == 1 else expected * n)
            if isinstance(got, Raised):
                # y - t with labels t of shape (N,): NumPy cannot broadcast them (or index with them)
                one_hot_only = replace(SWL_ONE_HOT_ONLY, value=_broadcast_or_index_error if t.ndim == 1 else None)
                raised_case(what, got.failure, got.exc,
                            [one_hot_only, replace(one_hot_only, also=(SWL_NO_BATCH_MEAN,))])
                continue
            mistakes = [no_mean]
            mistakes.append(Mistake(
                "swl.sign_at_true_class",
                "SoftmaxWithLoss.backward adds 1 at each sample's true class instead of subtracting it "
                "(dx[np.arange(N), t] -= -1, or y + t): the gradient is (y - t) / N.",
                "SoftmaxWithLoss.backward が正解クラスの位置で 1 を引かずに足しています（dx[np.arange(N), t] -= -1、"
                "または y + t）。勾配は (y - t) / N です。",
                (y + one_hot) / n))
            if t.ndim == 1:
                mistakes.append(replace(SWL_ONE_HOT_ONLY, value=simulate(lambda y_, t_: (y_ - t_) / n, y, t)))
                mistakes.append(replace(SWL_ONE_HOT_ONLY, also=(SWL_NO_BATCH_MEAN,),
                                        value=None if n == 1 else simulate(lambda y_, t_: y_ - t_, y, t)))
            # finite differences see the 1e-7 inside the log, which (y - t) / N leaves out
            fd = None if earned or is_right(got, expected) else central_difference(
                lambda x_: ref.cross_entropy_error(ref.softmax(x_), labels), x, h=1e-4)
            mistakes.append(_earned("SoftmaxWithLoss.backward", "dx = (y - t) / N", expected, earned, fd))
            # The 1e-7 inside the log makes (y - t) / N differ from the exact
            # gradient of the forward loss by about 1e-7 / y[true class].
            consistent = None if earned else self_consistency(
                "SoftmaxWithLoss.backward", lambda x_: SoftmaxWithLoss().forward(x_, t), x,
                1e-6 + 2 * DELTA / float(np.min(y[np.arange(n), labels])))
            # A softmax over the whole batch costs points in the forward cell.
            whole = None if n == 1 else replace(SWL_WHOLE_BATCH, value=(_whole_batch_softmax(x) - one_hot) / n)
            expect_close(what, got, expected,
                         mistakes=mistakes, gradient_check=consistent, excused=[whole] if whole else [])


def _saturated_scores(rng) -> tuple[np.ndarray, np.ndarray]:
    """(x, labels) where softmax is exactly one-hot: each row's largest score
    is 0 and the others are below -800, where exp underflows to 0 (and
    stays 0 for a step of h = 1e-4), so the loss is flat to finite
    differences while backprop's (y - t) / N is not zero.  Two rows' true
    class is their largest score, two rows' is not; only the order and the
    classes are drawn."""
    n, c = 4, 3
    top = rng.integers(0, c, size=n)
    x = -rng.uniform(800.0, 900.0, size=(n, c))
    x[np.arange(n), top] = 0.0
    labels = np.where(np.arange(n) < 2, top, (top + rng.integers(1, c, size=n)) % c)
    order = rng.permutation(n)
    return x[order], labels[order]
