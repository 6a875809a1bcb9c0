"""The checks library: the reference passes every check, and each known
mistake fails the check of its behaviour with its own key and a message in
English and Japanese.  (Fast, in-process; the same mistakes are also graded
through real notebooks in test_sample_class.py.)"""
import re

import numpy as np
import pytest

import reference as ref
import course_facts as facts
from bpkit.checks import ch4, ch5, registry
from bpkit.checks.core import CheckFailure, expect_close, quietly

TARGETS = {"softmax": ref.softmax, "cross_entropy": ref.cross_entropy_error,
           "numerical_gradient": ref.numerical_gradient, "mul": ref.MulLayer, "add": ref.AddLayer,
           "relu": ref.Relu, "sigmoid": ref.Sigmoid, "affine": ref.Affine,
           "softmax_with_loss": ref.SoftmaxWithLoss}


def target_for(check_name: str):
    """The reference a check of ch4/ch5 grades, for the mistakes below (by the function's name)."""
    name = check_name.removeprefix("check_")
    return max(((k, v) for k, v in TARGETS.items() if name.startswith(k)), key=lambda kv: len(kv[0]))[1]


#: Every registered check (bpkit.checks.registry), graded with the reference of the object its cells hand it.
ALL_CHECKS = sorted(registry.checks())


@pytest.mark.parametrize("name", ALL_CHECKS)
def test_the_reference_passes_every_check(name):
    assert registry.get(name).function(facts.reference_for(name)) is None


def has_japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def failure_of(check, target) -> str:
    with pytest.raises(CheckFailure) as info:
        check(target)
    message = str(info.value)
    english = message.splitlines()[0]
    assert english.isascii() or not has_japanese(english), message
    assert has_japanese(message), message
    return message


# ------------------------------------------------------------ mistakes ---
# Each entry: (check, wrong implementation, key the failure must name).

def softmax_no_max(x):
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_axis0(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=0, keepdims=True)


def cee_labels_only(y, t):
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    n = y.shape[0]
    return -np.sum(np.log(y[np.arange(n), t] + 1e-7)) / n


def cee_one_hot_only(y, t):
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]


def _cee_with(log=np.log, divide=lambda y: y.shape[0], delta=1e-7, sign=-1, reshape=True):
    def cee(y, t):
        if y.ndim == 1 and reshape:
            t, y = t.reshape(1, t.size), y.reshape(1, y.size)
        if t.size == y.size:
            t = t.argmax(axis=1)
        return sign * np.sum(log(y[np.arange(y.shape[0]), t] + delta)) / divide(y)
    return cee


def numgrad_forward(f, x):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        fx = f(x)
        old = x[idx]
        x[idx] = old + 1e-4
        grad[idx] = (f(x) - fx) / 1e-4
        x[idx] = old
    return grad


def numgrad_copy(f, x):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += 1e-4
        xm[idx] -= 1e-4
        grad[idx] = (f(xp) - f(xm)) / 2e-4
    return grad


def numgrad_no_restore(f, x):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + 1e-4
        up = f(x)
        x[idx] = old - 1e-4
        grad[idx] = (up - f(x)) / 2e-4
    return grad


def numgrad_rows(f, x):
    grad = np.zeros_like(x)
    for i in range(x.shape[0]):
        old = x[i].copy()
        x[i] = old + 1e-4
        up = f(x)
        x[i] = old - 1e-4
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / 2e-4
    return grad


def numgrad_tiny_h(f, x):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + 1e-50
        up = f(x)
        x[idx] = old - 1e-50
        down = f(x)
        x[idx] = old
        grad[idx] = (up - down) / 2e-50
    return grad


class MulSwapped(ref.MulLayer):
    def backward(self, dout):
        return dout * self.x, dout * self.y


class MulOneGradient(ref.MulLayer):
    def backward(self, dout):
        return dout * self.y


class ReluNoMask(ref.Relu):
    def backward(self, dout):
        return dout


class ReluInverted(ref.Relu):
    def backward(self, dout):
        return np.where(self.mask, dout, 0)


class ReluMaskFromDout(ref.Relu):
    def backward(self, dout):
        return np.where(dout > 0, dout, 0)


class ReluReturnsOutput(ref.Relu):
    def forward(self, x):
        self.out = super().forward(x)
        return self.out

    def backward(self, dout):
        return self.out


class ReluModifiesX(ref.Relu):
    def forward(self, x):
        self.mask = x <= 0
        x[self.mask] = 0
        return x


class SigmoidUsesX(ref.Sigmoid):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, dout):
        return dout * self.x * (1 - self.x)


def affine_with(backward):
    class Wrong(ref.Affine):
        pass
    Wrong.backward = backward
    return Wrong


def _flat(self):
    return self.x


AffineDWTransposed = affine_with(lambda self, dout: (setattr(self, "dW", dout.T @ self.x), setattr(
    self, "db", dout.sum(0)), (dout @ self.W.T).reshape(self.x_shape))[-1])
AffineDWOverN = affine_with(lambda self, dout: (setattr(self, "dW", self.x.T @ dout / len(dout)), setattr(
    self, "db", dout.sum(0)), (dout @ self.W.T).reshape(self.x_shape))[-1])
AffineDbSumAll = affine_with(lambda self, dout: (setattr(self, "dW", self.x.T @ dout), setattr(
    self, "db", np.sum(dout)), (dout @ self.W.T).reshape(self.x_shape))[-1])
AffineDbNotSummed = affine_with(lambda self, dout: (setattr(self, "dW", self.x.T @ dout), setattr(
    self, "db", dout), (dout @ self.W.T).reshape(self.x_shape))[-1])
AffineDbMean = affine_with(lambda self, dout: (setattr(self, "dW", self.x.T @ dout), setattr(
    self, "db", dout.mean(0)), (dout @ self.W.T).reshape(self.x_shape))[-1])
AffineDxFlat = affine_with(lambda self, dout: (setattr(self, "dW", self.x.T @ dout), setattr(
    self, "db", dout.sum(0)), dout @ self.W.T)[-1])
AffineNoStore = affine_with(lambda self, dout: (dout @ self.W.T).reshape(self.x_shape))
AffineReturnsNothing = affine_with(lambda self, dout: (setattr(self, "dW", self.x.T @ dout), setattr(
    self, "db", dout.sum(0)), None)[-1])


class SWLNoMean(ref.SoftmaxWithLoss):
    def backward(self, dout=1):
        return super().backward(dout) * self.y.shape[0]


class SWLOneHotOnly(ref.SoftmaxWithLoss):
    def backward(self, dout=1):
        return (self.y - self.t) / self.y.shape[0]


def softmax_global_max(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=-1, keepdims=True)


def cee_modifies_y(y, t):
    y += 1e-7  # "add delta" in place: the caller's y changes
    return ref.cross_entropy_error(y - 1e-7, t)


def cee_hard_coded(y, t):
    return 0.2899091136979087


def softmax_hard_coded(x):
    return np.array([0.01821127, 0.24519181, 0.73659691])


class AffineUsesW(ref.Affine):
    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W).reshape(self.x_shape)


class AffineNoFlatten(ref.Affine):
    def forward(self, x):
        self.x, self.x_shape = x, x.shape
        return x @ self.W + self.b


MISTAKES = [
    (ch4.check_softmax_large_inputs, softmax_global_max, "softmax.global_max"),
    (ch4.check_softmax_1d, softmax_hard_coded, "hard_coded"),
    (ch4.check_cross_entropy_one_hot, cee_hard_coded, "hard_coded"),
    (ch4.check_cross_entropy_labels, cee_hard_coded, "hard_coded"),
    (ch4.check_cross_entropy_keeps_inputs, cee_modifies_y, "modified_input"),
    (ch5.check_affine_backward_dx, AffineUsesW, "affine.dx_uses_W"),
    (ch5.check_affine_nd_input, AffineNoFlatten, "affine.no_flatten"),
    (ch4.check_softmax_large_inputs, softmax_no_max, "softmax.overflow"),
    (ch4.check_softmax_batch, softmax_axis0, "softmax.wrong_axis"),
    (ch4.check_cross_entropy_one_hot, cee_labels_only, "cee.labels_only"),
    (ch4.check_cross_entropy_labels, cee_one_hot_only, "cee.one_hot_only"),
    (ch4.check_cross_entropy_one_hot, _cee_with(divide=lambda y: 1), "cee.no_batch_mean"),
    (ch4.check_cross_entropy_one_hot, _cee_with(divide=lambda y: y.size), "cee.mean_over_classes"),
    (ch4.check_cross_entropy_one_hot, _cee_with(log=np.log10), "cee.log10"),
    (ch4.check_cross_entropy_one_hot, _cee_with(sign=1), "cee.wrong_sign"),
    (ch4.check_cross_entropy_zero_probability, _cee_with(delta=0), "cee.no_delta"),
    (ch4.check_cross_entropy_1d, _cee_with(reshape=False), "cee.no_reshape_1d"),
    (ch4.check_numerical_gradient_1d, numgrad_forward, "numgrad.forward_difference"),
    (ch4.check_numerical_gradient_closure, numgrad_copy, "numgrad.copies_x"),
    (ch4.check_numerical_gradient_restores_x, numgrad_no_restore, "numgrad.not_restored"),
    (ch4.check_numerical_gradient_nd, numgrad_rows, "numgrad.first_axis_only"),
    (ch4.check_numerical_gradient_1d, numgrad_tiny_h, "numgrad.zero"),
    (ch5.check_mul_layer, MulSwapped, "mul.swapped"),
    (ch5.check_mul_layer, MulOneGradient, "not_a_pair"),
    (ch5.check_relu_backward, ReluNoMask, "relu.no_mask"),
    (ch5.check_relu_backward, ReluInverted, "relu.inverted_mask"),
    (ch5.check_relu_backward, ReluMaskFromDout, "relu.mask_from_dout"),
    (ch5.check_relu_backward, ReluReturnsOutput, "relu.returns_forward_output"),
    (ch5.check_relu_forward, ReluModifiesX, "modified_input"),
    (ch5.check_sigmoid_backward, SigmoidUsesX, "sigmoid.uses_input"),
    (ch5.check_affine_backward_dW, AffineDWTransposed, "affine.dW_transposed"),
    (ch5.check_affine_backward_dW, AffineDWOverN, "affine.dW_divided_by_N"),
    (ch5.check_affine_backward_db, AffineDbSumAll, "affine.db_sum_all"),
    (ch5.check_affine_backward_db, AffineDbNotSummed, "affine.db_not_summed"),
    (ch5.check_affine_backward_db, AffineDbMean, "affine.db_mean"),
    (ch5.check_affine_nd_input, AffineDxFlat, "affine.dx_not_reshaped"),
    (ch5.check_affine_backward_dW, AffineNoStore, "affine.not_stored"),
    (ch5.check_affine_backward_dx, AffineReturnsNothing, "returned_none"),
    (ch5.check_softmax_with_loss_backward, SWLNoMean, "swl.no_batch_mean"),
    (ch5.check_softmax_with_loss_backward, SWLOneHotOnly, "swl.one_hot_only"),
]


@pytest.mark.parametrize("check, wrong, key", MISTAKES, ids=[k for _, _, k in MISTAKES])
def test_a_known_mistake_fails_its_check_and_is_named(check, wrong, key):
    message = failure_of(check, wrong)
    assert f"[{key}]" in message.splitlines(), message
    (registered,) = [c for c in registry.checks().values() if c.function is check]
    assert key in registered.keys, (registered.name, sorted(registered.keys))  # the registry knows it


def test_a_stub_is_reported_as_not_implemented():
    def stub(*args):
        raise NotImplementedError()
    message = failure_of(ch4.check_softmax_1d, stub)
    assert "[not_implemented]" in message and "まだ実装されていません" in message


@pytest.mark.parametrize("value", [0.5, np.float64(0.5), np.array(0.5), np.float32(0.5)])
def test_a_scalar_loss_may_be_a_python_float_numpy_scalar_or_0d_array(value):
    expect_close("loss", value, 0.5, scalar=True)


def test_a_wrong_shape_is_reported_before_values():
    with pytest.raises(CheckFailure, match=r"\[wrong_shape\]"):
        expect_close("dx", np.zeros((3, 2)), np.zeros((2, 3)))


def test_quietly_silences_numpy_warnings_that_would_zero_a_grade_cell(recwarn):
    with quietly():
        np.exp(np.array([1000.0]))
        np.log(np.array([0.0]))
    assert len(recwarn) == 0


def test_clip_instead_of_delta_is_accepted_for_cross_entropy():
    def clipped(y, t):
        y2 = np.atleast_2d(y)
        t2 = np.reshape(t, (y2.shape[0], -1)).argmax(1) if np.size(t) == y2.size else np.reshape(t, -1)
        return float(-np.mean(np.log(np.clip(y2[np.arange(len(y2)), t2], 1e-7, None))))
    for name in ch4.__all__:
        if "cross_entropy" in name:
            getattr(ch4, name)(clipped)


# ----------------------------------------------- one mistake, one cell ---

def passes(check, target) -> bool:
    try:
        check(target)
    except CheckFailure:
        return False
    return True


@pytest.mark.parametrize("wrong, owner", [
    (_cee_with(log=np.log10), ch4.check_cross_entropy_one_hot),
    (_cee_with(sign=1), ch4.check_cross_entropy_one_hot),
    (_cee_with(divide=lambda y: 1), ch4.check_cross_entropy_one_hot),
    (cee_labels_only, ch4.check_cross_entropy_one_hot),
    (cee_one_hot_only, ch4.check_cross_entropy_labels),
])
def test_a_cross_entropy_mistake_costs_points_in_one_cell_only(wrong, owner):
    cells = [ch4.check_cross_entropy_one_hot, ch4.check_cross_entropy_labels, ch4.check_cross_entropy_1d,
             ch4.check_cross_entropy_zero_probability, ch4.check_cross_entropy_keeps_inputs]
    assert [c for c in cells if not passes(c, wrong)] == [owner]


@pytest.mark.parametrize("wrong, owner", [
    (AffineUsesW, ch5.check_affine_backward_dx),
    (AffineDWTransposed, ch5.check_affine_backward_dW),
    (AffineDbSumAll, ch5.check_affine_backward_db),
    (AffineDxFlat, ch5.check_affine_nd_input),
])
def test_an_affine_mistake_costs_points_in_one_cell_only(wrong, owner):
    cells = [ch5.check_affine_forward, ch5.check_affine_backward_dx, ch5.check_affine_backward_dW,
             ch5.check_affine_backward_db, ch5.check_affine_nd_input]
    assert [c for c in cells if not passes(c, wrong)] == [owner]


def test_a_wrong_sigmoid_forward_does_not_also_cost_the_backward_cell():
    class SigmoidWrongForward(ref.Sigmoid):
        def forward(self, x):
            self.out = 1 / (1 + np.exp(x))  # sign slip, backward formula still right
            return self.out
    assert not passes(ch5.check_sigmoid_forward, SigmoidWrongForward)
    assert passes(ch5.check_sigmoid_backward, SigmoidWrongForward)


class ReluInPlace(ref.Relu):
    def backward(self, dout):
        dout[self.mask] = 0
        return dout


def test_relu_writing_into_dout_is_a_warning_by_default(monkeypatch, capsys):
    monkeypatch.delenv("BPKIT_INPLACE_DOUT", raising=False)
    ch5.check_relu_backward(ReluInPlace)
    out = capsys.readouterr().out
    assert out.count("[relu.inplace_dout]") == 1 and "減点なし" in out


def test_relu_writing_into_dout_costs_points_when_the_course_says_so(monkeypatch):
    monkeypatch.setenv("BPKIT_INPLACE_DOUT", "fail")
    assert "[relu.inplace_dout]" in failure_of(ch5.check_relu_backward, ReluInPlace)
    ch5.check_relu_backward(ref.Relu)  # a copy is still fine


# ------------------------------------- numerical gradient as a witness ---

def test_a_wrong_backward_is_compared_with_the_numerical_gradient_of_its_own_forward():
    class ReluHalf(ref.Relu):
        def backward(self, dout):
            return 0.5 * super().backward(dout)
    message = failure_of(ch5.check_relu_backward, ReluHalf)
    assert "[wrong_values]" in message and "not the gradient of your own forward pass" in message


def test_a_backward_consistent_with_a_wrong_forward_points_at_forward():
    class AffineScaled(ref.Affine):  # forward doubles, backward differentiates the doubled forward
        def forward(self, x):
            return 2 * super().forward(x)

        def backward(self, dout):
            dx = super().backward(2 * dout)
            return dx
    message = failure_of(ch5.check_affine_backward_dx, AffineScaled)
    assert "is the gradient of your own forward pass" in message and "forward の計算を見直してください" in message


def test_central_differences_are_accurate_enough_for_the_thresholds():
    from bpkit.checks.core import central_difference, relative_error
    rng = np.random.default_rng(0)
    x, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    layer = ref.Sigmoid()
    layer.forward(x)
    numeric = central_difference(lambda z: np.sum(ref.Sigmoid().forward(z) * dout), x)
    assert relative_error(layer.backward(dout), numeric) < 1e-8


# ------------------------------------------------------------- mistakes compose (issue 21) ---

def test_split_variants_accepts_mistakes_graded_elsewhere_and_names_its_own_in_any_combination():
    from bpkit.checks.core import Mistake, Variant, split_variants

    own = Mistake("own", "en", "ja", None)
    variants = [Variant(1.0), Variant(2.0, frozenset({"elsewhere"})), Variant(3.0, frozenset({"own"})),
                Variant(4.0, frozenset({"own", "elsewhere"}))]
    (accepted,), (named,) = split_variants(variants, [own])
    assert [accepted(np.asarray(v)) for v in (1.0, 2.0, 3.0, 4.0)] == [True, True, False, False]
    assert [named.value(np.asarray(v)) for v in (1.0, 2.0, 3.0, 4.0)] == [False, False, True, True]
    assert named.key == "own"


@pytest.mark.parametrize("wrong, owner, key", [
    (_cee_with(divide=lambda y: y.size, delta=0), "check_cross_entropy_one_hot", "cee.mean_over_classes"),
    # two mistakes of the same cell: both named, the first of its list first (see the test below)
    (_cee_with(log=np.log10, divide=lambda y: 1), "check_cross_entropy_one_hot", "cee.no_batch_mean"),
])
def test_two_mistakes_in_one_function_cost_only_their_own_cells(wrong, owner, key):
    for name in ("check_cross_entropy_one_hot", "check_cross_entropy_labels", "check_cross_entropy_1d"):
        if name == owner:
            with pytest.raises(CheckFailure, match=rf"\[{re.escape(key)}\]"):
                getattr(ch4, name)(wrong)
        else:
            assert getattr(ch4, name)(wrong) is None, name


# ------------------------------------------------------------- two mistakes at once (issue 23) ---

def _keys(failure) -> list[str]:
    return re.findall(r"^\[([\w.]+)\]$", str(failure.value), re.MULTILINE)


def test_two_mistakes_of_one_cell_are_named_together_each_in_both_languages():
    with pytest.raises(CheckFailure) as failure:
        ch4.check_cross_entropy_one_hot(_cee_with(log=np.log10, divide=lambda y: 1))
    assert _keys(failure) == ["cee.no_batch_mean", "cee.log10"]
    lines = str(failure.value).splitlines()
    assert all(lines[i].isascii() and not lines[i + 1].isascii() for i in (0, 2))


def test_a_combination_is_named_only_where_each_of_its_mistakes_shows():
    from bpkit.checks.core import Mistake, all_cases, expect_close

    a, b = Mistake("a", "A.", "エー。", None), Mistake("b", "B.", "ビー。", None)

    def grade(got2):
        with all_cases():
            # input 1: only a shows (b predicts nothing there); input 2: a and b, or a alone
            expect_close("f(1)", np.array([2.0]), np.array([1.0]),
                         mistakes=[Mistake("a", a.en, a.ja, np.array([2.0])), Mistake("b", b.en, b.ja, None),
                                   Mistake("a", a.en, a.ja, np.array([2.0]), also=(b,))])
            expect_close("f(2)", got2, np.array([1.0]),
                         mistakes=[Mistake("a", a.en, a.ja, np.array([3.0])), Mistake("b", b.en, b.ja, np.array([4.0])),
                                   Mistake("a", a.en, a.ja, np.array([5.0]), also=(b,))])
    for got2, keys in ((np.array([5.0]), ["a", "b"]), (np.array([3.0]), ["a"]), (np.array([4.0]), None)):
        with pytest.raises(CheckFailure) as failure:
            grade(got2)
        assert _keys(failure) == (keys or ["wrong_values"]), got2  # b alone does not explain input 1


def test_an_exception_is_evidence_with_the_values_of_the_other_inputs():
    from bpkit.checks.core import Mistake, all_cases, call, expect_close, outcome, raised_case

    def student(x):
        if x.ndim == 1:
            raise ValueError("operands could not be broadcast")
        return x * 2  # "no mean" on the other input

    one_hot_only = Mistake("one_hot_only", "1.", "一。", lambda exc: exc[0] == "ValueError")
    no_mean = Mistake("no_mean", "2.", "二。", None)
    with pytest.raises(CheckFailure) as failure, all_cases():
        got = outcome("f(labels)", student, np.ones(2))
        raised_case("f(labels)", got.failure, got.exc, [one_hot_only, Mistake(
            "one_hot_only", "1.", "一。", one_hot_only.value, also=(no_mean,))])
        expect_close("f(one-hot)", call("f", student, np.ones((2, 2))), np.ones((2, 2)),
                     mistakes=[Mistake("no_mean", "2.", "二。", np.full((2, 2), 2.0))])
    assert _keys(failure) == ["one_hot_only", "no_mean"]


@pytest.mark.parametrize("source, meant", [("np.lof(x)", "np.log"), ("np.exps(x)", "np.exp"),
                                           ("np.zerous_like(x)", "np.zeros_like"), ("x.nidm", ".ndim")])
def test_a_numpy_name_one_slip_away_is_named(source, meant):
    from bpkit.checks.core import call

    def student(x):
        return eval(source, {"np": np, "x": x})
    with pytest.raises(CheckFailure, match=re.escape(f"`{meant}`")) as failure:
        call("f(x)", student, np.ones(3))
    assert _keys(failure) == ["attribute_typo"]


def test_pythons_max_on_an_array_is_named_from_the_students_line():
    import linecache

    from bpkit.checks.core import call

    source = "def relu(x):\n    return max(0, x)\n"
    linecache.cache["<student-relu>"] = (len(source), None, source.splitlines(True), "<student-relu>")
    names: dict = {}
    exec(compile(source, "<student-relu>", "exec"), names)
    with pytest.raises(CheckFailure, match=re.escape("np.maximum(0, x)")) as failure:
        call("relu(x)", names["relu"], np.ones(3))
    assert _keys(failure) == ["builtin_on_array"]


# ------------------------------------------------------------- backprop must be earned (issue 20) ---

def _finite_difference_layer(layer):
    """A reference layer whose backward is the central difference (h = 1e-4)
    of its own forward pass, as with the given common/gradient.py."""
    class ByFiniteDifferences(layer):
        def forward(self, *args):
            self._inputs = [np.array(a, dtype=float) for a in args]
            return super().forward(*args)

        def backward(self, dout=1):
            inputs = self._inputs
            if layer is ref.SoftmaxWithLoss:
                return ref.numerical_gradient(lambda x_: layer().forward(x_, inputs[1]) * dout, inputs[0].copy())
            if layer is ref.Affine:
                W, b, x = self.W.copy(), self.b.copy(), inputs[0].reshape(inputs[0].shape[0], -1)
                out = lambda x_, W_, b_: np.sum((x_ @ W_ + b_) * dout)  # noqa: E731
                self.dW = ref.numerical_gradient(lambda W_: out(x, W_, b), W)
                self.db = ref.numerical_gradient(lambda b_: out(x, W, b_), b)
                return ref.numerical_gradient(lambda x_: out(x_, W, b), x.copy()).reshape(inputs[0].shape)
            grads = []
            for i in range(len(inputs)):
                def f(v, i=i):
                    args = [v if j == i else a for j, a in enumerate(inputs)]
                    return np.sum(layer().forward(*args) * dout)
                grads.append(ref.numerical_gradient(f, inputs[i].copy()))
            return tuple(grads) if len(grads) > 1 else grads[0]
    return ByFiniteDifferences


BACKWARD_CHECKS = ["check_mul_layer", "check_add_layer", "check_relu_backward", "check_sigmoid_backward",
                   "check_affine_backward_dx", "check_affine_backward_dW", "check_affine_backward_db",
                   "check_softmax_with_loss_backward"]


@pytest.mark.parametrize("name", BACKWARD_CHECKS)
def test_a_backward_pass_by_finite_differences_fails_with_finite_differences(name):
    with pytest.raises(CheckFailure, match=r"\[finite_differences\]"):
        getattr(ch5, name)(_finite_difference_layer(target_for(name)))


def test_a_network_gradient_by_finite_differences_fails_and_backprop_passes():
    from bpkit.checks import twolayer
    import reference.network as network

    class ByFiniteDifferences(network.TwoLayerNet):
        def gradient(self, x, t):
            return {key: ref.numerical_gradient(lambda _: self.loss(x, t), self.params[key]) for key in self.params}

    with pytest.raises(CheckFailure, match=r"\[finite_differences\]"):
        twolayer.check_gradient(ByFiniteDifferences)
    assert twolayer.check_gradient(network.TwoLayerNet) is None


def test_huge_values_are_beyond_the_reach_of_a_step_of_h():
    from bpkit.checks.core import huge

    x = huge(np.random.default_rng(0), (1000,))
    assert np.all(x + 1e-4 == x) and np.all(x - 1e-4 == x) and np.all(np.abs(x) >= 2.0 ** 45)
