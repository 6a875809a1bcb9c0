"""Hidden checks for the two-layer network (book sections 4.5 and 5.7).

Each ``check_*`` takes the student's ``TwoLayerNet`` *class*, builds fresh
networks through the book's interface only (the constructor, ``params``,
``layers``, ``predict``, ``loss``, ``accuracy``, ``gradient``) and raises
CheckFailure naming the mistake.

Expected values never depend on the student's code: the check draws its own
parameters, writes them into the student's network in place (the arrays of
``params``, and the arrays the layers hold, which in the book are the same
arrays) and computes the answer with the reference on its own copies.  A
known mistake is named only when its model, run on the same inputs with the
book's layers (those given in ``common/layers.py``), gives what the student's
code gave on every failing input -- the same values, or the same exception
with the same message.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

import reference.network as refnet
from bpkit.checks.core import (ATOL, RTOL, CheckFailure, Mistake, all_cases, call, central_difference, expect_close,
                               fail, finite_differences, huge, is_right, quietly, relative_error, rng_for)
from reference.functions import cross_entropy_error, sigmoid, softmax

__all__ = [
    "check_init",
    "check_predict",
    "check_loss",
    "check_gradient",
    "check_accuracy",
    "check_sgd_steps",
]

PARAMS = refnet.PARAMS


# ------------------------------------------------ the student's network ---

def assign_in_place(target, key, value: np.ndarray, attribute: bool = False) -> None:
    """target[key][...] = value (getattr(target, key)[...] = value with
    attribute=True): through the judge when target lives in the sandbox."""
    if getattr(type(target), "_bpkit_remote", False):
        target._assign(key, value, attribute)
        return
    dest = getattr(target, key) if attribute else target[key]
    if not isinstance(dest, np.ndarray) or dest.shape != np.shape(value):
        raise ValueError(f"cannot assign an array of shape {np.shape(value)} to "
                         + (f"an array of shape {dest.shape}" if isinstance(dest, np.ndarray)
                            else f"a {type(dest).__name__}"))
    dest[...] = value


def _shapes(d: int, h: int, c: int) -> dict:
    return {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}


def _new_net(TwoLayerNet, d: int, h: int, c: int, std: float = 0.01):
    return call(f"TwoLayerNet({d}, {h}, {c}, weight_init_std={std})", TwoLayerNet, d, h, c, std)


def _params_of(net):
    try:
        params = net.params
    except AttributeError:
        fail("TwoLayerNet has no attribute params: in __init__, set self.params = {} and store "
             "'W1', 'b1', 'W2' and 'b2' in it.",
             "TwoLayerNet に params 属性がありません。__init__ で self.params = {} とし、'W1', 'b1', 'W2', 'b2' を"
             "入れてください。", key="net.no_params")
    if params is None:
        fail("TwoLayerNet.params is None: store the parameters in a dict, self.params = {...}.",
             "TwoLayerNet.params が None です。パラメータを辞書 self.params = {...} に入れてください。",
             key="net.no_params")
    return params


def _param(params, key: str, shape: tuple):
    """net.params[key], which must be a float array of `shape`."""
    try:
        value = params[key]
    except (KeyError, IndexError, TypeError):
        fail(f"TwoLayerNet.params has no entry '{key}': store self.params['{key}'] in __init__.",
             f"TwoLayerNet.params に '{key}' がありません。__init__ で self.params['{key}'] を設定してください。",
             key="net.no_params")
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or value.shape != tuple(shape):
        got = (f"an array of shape {value.shape} and dtype {value.dtype}" if isinstance(value, np.ndarray)
               else f"a {getattr(value, 'remote_type', None) or type(value).__name__}")
        fail(f"TwoLayerNet.params['{key}'] should be a float array of shape {tuple(shape)}, but it is {got}.",
             f"TwoLayerNet.params['{key}'] は形状 {tuple(shape)} の浮動小数点数の配列であるべきですが、{got} でした。",
             key="net.param_shape")
    return value


def _set_params(net, P: dict, layers: bool = True) -> None:
    """Write the check's parameters into the student's network, in place:
    into params (which the book's layers share) and, with layers=True, into
    the layers' own W and b as well, so only the SGD check sees whether the
    layers share params' arrays."""
    params = _params_of(net)
    for key in PARAMS:
        _param(params, key, P[key].shape)
        try:
            assign_in_place(params, key, P[key])
        except Exception as exc:  # noqa: BLE001 -- e.g. a read-only array
            fail(f"The grader could not write into TwoLayerNet.params['{key}'] ({type(exc).__name__}: {exc}): "
                 f"keep the parameters as ordinary NumPy arrays.",
                 f"TwoLayerNet.params['{key}'] に書き込めませんでした（{type(exc).__name__}: {exc}）。"
                 f"パラメータは普通の NumPy 配列にしてください。", key="net.param_shape")
    if not layers:
        return
    try:
        net_layers = net.layers
        for name, w, b in (("Affine1", "W1", "b1"), ("Affine2", "W2", "b2")):
            layer = net_layers[name]
            assign_in_place(layer, "W", P[w], attribute=True)
            assign_in_place(layer, "b", P[b], attribute=True)
    except Exception:  # noqa: BLE001 -- layers named otherwise: predict will show what is wrong
        pass


def _random_params(rng, d: int, h: int, c: int) -> dict:
    return {"W1": rng.normal(size=(d, h)) * 0.7, "b1": rng.normal(size=h) * 0.5,
            "W2": rng.normal(size=(h, c)) * 0.7, "b2": rng.normal(size=c) * 0.5}


def _net_case(rng, d: int, h: int, c: int, n: int) -> tuple[dict, np.ndarray]:
    """(parameters, x of shape (n, d)) where every sample has an active and
    an inactive hidden unit, none within 0.1 of ReLU's kink.  Drawn again
    until that holds: with every hidden unit of a sample dead, a backward
    pass that skips a layer or the mask gives the right gradient by
    accident, and the draw, not the code, would decide the verdict."""
    for _ in range(1000):
        P = _random_params(rng, d, h, c)
        x = rng.normal(size=(n, d))
        a1 = x @ P["W1"] + P["b1"]
        active = a1 > 0
        if np.all(np.abs(a1) >= 0.1) and np.all(active.any(axis=1)) and np.all((~active).any(axis=1)):
            return P, x
    raise RuntimeError("no network case with live and dead hidden units was drawn")  # never with h >= 2


def _labels(rng, n: int, c: int) -> np.ndarray:
    return rng.integers(0, c, size=n)


def _targets(labels: np.ndarray, c: int, one_hot: bool) -> np.ndarray:
    return np.eye(c, dtype=int)[labels] if one_hot else labels.copy()


# ------------------------------------- the book's layers, for the models ---
# The same code as the given common/layers.py: a mistake's model must raise
# what the student's code raises with those layers, message and all.

class _Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        return dout


class _Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.original_x_shape = self.dW = self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class _SoftmaxWithLoss:
    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        self.t, self.y = t, softmax(x)
        return cross_entropy_error(self.y, refnet.labels_of(t))

    def backward(self, dout=1):
        n = self.t.shape[0]
        if self.t.size == self.y.size:
            return (self.y - self.t) / n
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx / n


def _book_net(P: dict, relu_on_scores: bool = False):
    layers = OrderedDict()
    layers["Affine1"] = _Affine(P["W1"].copy(), P["b1"].copy())
    layers["Relu1"] = _Relu()
    layers["Affine2"] = _Affine(P["W2"].copy(), P["b2"].copy())
    if relu_on_scores:
        layers["Relu2"] = _Relu()
    return layers, _SoftmaxWithLoss()


def _model_gradient(P: dict, x, t, bugs: frozenset):
    """The gradients a network with the known mistakes `bugs` gives (a
    dict), or the exception it raises, as (type name, message).  bugs: any
    combination of the keys of GRADIENT_MISTAKES and "predict_softmax"."""
    try:
        with quietly():
            layers, last = _book_net(P, relu_on_scores="relu_on_scores" in bugs)
            scores = x.copy()
            for layer in layers.values():
                scores = layer.forward(scores)
            if "predict_softmax" in bugs:
                scores = softmax(scores)
            last.forward(scores, t.copy())
            dout = last.backward(1)
            if "last_layer_dout_unused" in bugs:
                dout = 1
            order = list(layers.values())
            if "forward_order" not in bugs:
                order.reverse()
            for layer in order:
                if "not_propagated" in bugs:
                    layer.backward(dout)
                else:
                    dout = layer.backward(dout)
            first, second = layers["Affine1"], layers["Affine2"]
            if "wrong_layer" in bugs:
                first, second = second, first
            return {"W1": first.dW, "b1": first.db, "W2": second.dW, "b2": second.db}
    except Exception as exc:  # noqa: BLE001 -- the model of a mistake may raise, as the student's code does
        return (type(exc).__name__, str(exc))


def _gradient_variants(P: dict, x, t) -> list[tuple[frozenset, object]]:
    """(bugs, model) for every combination of the known backward mistakes,
    each also with a softmax in predict (graded in the predict cell) or a
    ReLU after Affine2 (graded in the init cell)."""
    names = list(GRADIENT_MISTAKES)
    combos = [frozenset(b for i, b in enumerate(names) if mask >> i & 1) for mask in range(1 << len(names))]
    return [(bugs | extra, _model_gradient(P, x, t, bugs | extra))
            for bugs in combos for extra in (frozenset(), *map(frozenset, EXCUSED_IN_GRADIENT))]


#: The key of the init cell's structure mistake, excused in the other cells (held in a name, so
#: the registry does not list it as a key those cells can report: they never do).
STRUCTURE_KEY = "net.layer_names"


#: Mistakes of other cells a gradient may show: (bug of _model_gradient,) -> key.
EXCUSED_IN_GRADIENT = {("predict_softmax",): "net.predict_softmax", ("relu_on_scores",): STRUCTURE_KEY}


# ----------------------------------------------------- exceptions as evidence ---

def _never(got) -> bool:
    return False


def _model_value(model, key: str | None = None):
    """What a mistake's model predicts for one answer: its value, or, where
    the model raised and the student's code did not, an answer that rules
    the mistake out (a model that predicts an exception is evidence too)."""
    if isinstance(model, tuple):
        return _never
    return model[key] if key is not None else model


class _Raised:
    """The student's call raised: the failure call() made of it, and the
    exception as (type name, message)."""

    def __init__(self, failure: CheckFailure, exc: tuple, models: dict):
        self.failure, self.exc, self.models = failure, exc, models


def _outcome(what: str, fn, *args):
    """The student's answer, or a _Raised (without models yet) when the
    student's code raised an ordinary exception."""
    seen = {}

    def remember(exc):
        seen["exc"] = (type(exc).__name__, str(exc))
        return None

    try:
        return call(what, fn, *args, hints={Exception: remember})
    except CheckFailure as failure:
        if "[raised]" not in str(failure).splitlines() or "exc" not in seen:
            raise
        return _Raised(failure, seen["exc"], {})


def _as_set(model) -> set:
    """The exceptions a mistake's model raised: one (type name, message), or a set of them."""
    return model if isinstance(model, set) else {model}


def _settle(raised: list, cases: list, mistakes: dict) -> None:
    """When the student's code raised on some inputs: name a mistake whose
    model raised the same exception with the same message on each of them
    and gave the student's values on every other failing input; otherwise
    fail with the first exception."""
    if not raised:
        return
    failing = [c for c in cases if not c.ok]
    for key, mistake in mistakes.items():
        if all(r.exc in _as_set(r.models.get(key)) for r in raised) and all(c.matched.get(key) for c in failing):
            fail(mistake.en, mistake.ja, f"{raised[0].exc[0]}: {raised[0].exc[1]}", key=mistake.key)
    raise raised[0].failure


# ---------------------------------------------------------------- __init__ ---

WEIGHT_STD_IGNORED = Mistake(
    "net.weight_init_std_ignored",
    "TwoLayerNet.__init__ ignores weight_init_std: the weights come out with the same scale whatever is "
    "passed. Draw them as weight_init_std * np.random.randn(input_size, hidden_size) (and likewise W2).",
    "TwoLayerNet.__init__ が weight_init_std を使っていません。何を渡しても重みの大きさが同じです。"
    "weight_init_std * np.random.randn(input_size, hidden_size) のように作ってください（W2 も同様）。",
    None)


#: The layers of the book's network, in order (the init cell's visible example asserts these names).
LAYER_NAMES = ["Affine1", "Relu1", "Affine2"]


def keys_of(mapping) -> list | None:
    """The keys of the student's dict (net.layers, net.params) in their
    order, or None if it is not a dict."""
    try:
        if getattr(type(mapping), "_bpkit_remote", False):
            return mapping._keys()
        if isinstance(mapping, dict):
            return [k if isinstance(k, (str, int)) else f"<{type(k).__name__}>" for k in list(mapping)[:64]]
    except Exception:  # noqa: BLE001 -- not a dict, or one that cannot list its keys
        return None
    return None


def _expect_the_books_structure(net) -> None:
    """params holds exactly W1, b1, W2, b2, and layers is an OrderedDict of
    Affine1, Relu1, Affine2 in that order, as the init cell's example asserts."""
    extra = [k for k in keys_of(_params_of(net)) or [] if k not in PARAMS]
    if extra:
        fail(f"TwoLayerNet.params should hold exactly 'W1', 'b1', 'W2' and 'b2', but it also holds {extra}.",
             f"TwoLayerNet.params には 'W1', 'b1', 'W2', 'b2' だけを入れます。ほかに {extra} が入っています。",
             key="net.extra_params")
    try:
        layers = net.layers
    except AttributeError:
        layers = None
    names = keys_of(layers) if layers is not None else None
    if names != LAYER_NAMES:
        got = (f"its keys are {names}" if names is not None else
               "it has no attribute layers" if layers is None else "net.layers is not a dict")
        got_ja = (f"キーが {names} になっています" if names is not None else
                  "layers 属性がありません" if layers is None else "net.layers が辞書ではありません")
        fail(f"TwoLayerNet.layers should be an OrderedDict of the layers 'Affine1', 'Relu1' and 'Affine2', in "
             f"that order, but {got}. Name them as the book does: self.layers['Affine1'] = Affine(...), "
             "self.layers['Relu1'] = Relu(), self.layers['Affine2'] = Affine(...) (other code, e.g. the gradient "
             "check, reads them by these names).",
             f"TwoLayerNet.layers は 'Affine1', 'Relu1', 'Affine2' の順にレイヤを入れた OrderedDict であるべきですが、"
             f"{got_ja}。書籍のとおり self.layers['Affine1'] = Affine(...)、self.layers['Relu1'] = Relu()、"
             "self.layers['Affine2'] = Affine(...) と名前を付けてください（勾配の確認などのコードがこの名前で読みます）。",
             key="net.layer_names")


def _new_net_by_keywords(TwoLayerNet, d: int, h: int, c: int, std: float):
    """TwoLayerNet(input_size=d, hidden_size=h, output_size=c, weight_init_std=std),
    as the init cell's example and the book's training code call it."""
    what = f"TwoLayerNet(input_size={d}, hidden_size={h}, output_size={c}, weight_init_std={std})"
    keywords = Mistake(
        "net.constructor_keywords",
        f"{what} raised TypeError: the constructor's parameters must have the book's names, "
        "def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01), because the book's "
        "code (and the notebook) passes them by name.",
        f"{what} が TypeError になりました。書籍のコード（とノートブック）は名前で渡すので、コンストラクタの引数は書籍と"
        "同じ名前 def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01) にしてください。",
        None)
    return call(what, TwoLayerNet, input_size=d, hidden_size=h, output_size=c, weight_init_std=std,
                hints={TypeError: lambda exc: keywords if "keyword" in str(exc) else None})


def check_init(TwoLayerNet) -> None:
    """TwoLayerNet(D, H, C, weight_init_std) holds W1 (D, H), b1 (H,), W2 (H, C),
    b2 (C,) in params: Gaussian weights of standard deviation weight_init_std,
    zero biases; its layers are Affine1, Relu1, Affine2; the constructor's
    parameters have the book's names."""
    d, h, c = 30, 40, 10
    shapes = _shapes(d, h, c)
    measured = {}
    for std in (0.01, 0.5):
        net = _new_net(TwoLayerNet, d, h, c, std) if std == 0.01 else _new_net_by_keywords(TwoLayerNet, d, h, c, std)
        params = _params_of(net)
        for key in PARAMS:
            value = _param(params, key, shapes[key])
            if not np.all(np.isfinite(value)):
                fail(f"TwoLayerNet.params['{key}'] contains inf or nan.",
                     f"TwoLayerNet.params['{key}'] に inf または nan が含まれています。", key="not_finite")
            if key.startswith("b") and np.any(value != 0):
                fail(f"TwoLayerNet.params['{key}'] should start at zero: np.zeros({shapes[key][0]}).",
                     f"TwoLayerNet.params['{key}'] の初期値は 0 です：np.zeros({shapes[key][0]})。",
                     key="net.bias_not_zero")
            if key.startswith("W"):
                measured[std, key] = (float(np.std(value)), float(np.mean(value)), value.size)
        _expect_the_books_structure(net)
    wrong = [(std, key) for (std, key), (s, m, size) in measured.items()
             if abs(s / std - 1) > 0.2 or abs(m) > 5 * std / np.sqrt(size)]
    if not wrong:
        return
    same_scale = all(measured[0.01, k][0] > 0 and 0.8 < measured[0.5, k][0] / measured[0.01, k][0] < 1.25
                     for k in ("W1", "W2"))
    if same_scale:
        fail(WEIGHT_STD_IGNORED.en, WEIGHT_STD_IGNORED.ja,
             "; ".join(f"weight_init_std={std}: std of {k} = {measured[std, k][0]:.3g}" for std, k in measured),
             key=WEIGHT_STD_IGNORED.key)
    std, key = wrong[0]
    s, m, _ = measured[std, key]
    fail(f"TwoLayerNet.params['{key}'] should be Gaussian with mean 0 and standard deviation weight_init_std "
         f"= {std} (weight_init_std * np.random.randn(...)), but its standard deviation is {s:.3g} and its mean "
         f"{m:.3g}.",
         f"TwoLayerNet.params['{key}'] は平均 0、標準偏差 weight_init_std = {std} の正規分布"
         f"（weight_init_std * np.random.randn(...)）であるべきですが、標準偏差が {s:.3g}、平均が {m:.3g} でした。",
         key="net.weight_scale")


# ----------------------------------------------------------------- predict ---

def _predict_mistakes(P: dict, x: np.ndarray) -> list[Mistake]:
    a1 = x @ P["W1"] + P["b1"]
    scores = refnet.predict(P, x)
    sig = sigmoid(a1) @ P["W2"] + P["b2"]
    return [
        Mistake("net.predict_softmax",
                "TwoLayerNet.predict applies softmax: in section 5.7 predict returns the scores of the last Affine "
                "layer, and softmax belongs to lastLayer (SoftmaxWithLoss), which loss calls.",
                "TwoLayerNet.predict が softmax を適用しています。5.7 節の predict は最後の Affine レイヤの出力（スコア）を"
                "返し、softmax は loss が呼ぶ lastLayer（SoftmaxWithLoss）の役目です。",
                softmax(scores)),
        Mistake("net.predict_sigmoid",
                "TwoLayerNet.predict uses a sigmoid in the hidden layer (the section 4.5 network): this network "
                "uses the layers Affine1 -> Relu1 -> Affine2; call each layer's forward in order.",
                "TwoLayerNet.predict の隠れ層がシグモイドです（4.5 節のネットワーク）。このネットワークは Affine1 -> Relu1 -> "
                "Affine2 のレイヤを使います。各レイヤの forward を順に呼んでください。",
                sig),
        Mistake("net.predict_section_4_5",
                "TwoLayerNet.predict computes the section 4.5 network (sigmoid hidden layer, softmax output): in "
                "section 5.7 predict calls the forward of Affine1, Relu1 and Affine2 in order and returns the scores.",
                "TwoLayerNet.predict が 4.5 節のネットワーク（隠れ層がシグモイド、出力が softmax）を計算しています。5.7 節の "
                "predict は Affine1, Relu1, Affine2 の forward を順に呼び、スコアを返します。",
                softmax(sig)),
    ]


def check_predict(TwoLayerNet) -> None:
    """TwoLayerNet.predict(x) gives the scores Affine1 -> Relu1 -> Affine2 for the
    parameters in params (batch sizes 1 and more)."""
    rng = rng_for("net_predict")
    with all_cases():
        for (d, h, c), n in [((4, 5, 3), 1), ((4, 5, 3), 6), ((3, 3, 3), 4), ((6, 2, 5), 2)]:
            P, x = _net_case(rng, d, h, c, n)
            net = _new_net(TwoLayerNet, d, h, c)
            _set_params(net, P)
            got = call("TwoLayerNet.predict(x)", (net, "predict"), x)
            expect_close(f"TwoLayerNet.predict(x) for x {x.shape}, W1 {P['W1'].shape}, W2 {P['W2'].shape}", got,
                         refnet.predict(P, x), mistakes=_predict_mistakes(P, x), excused=[_relu_on_scores(P, x)])


# -------------------------------------------------------------------- loss ---

def _loss_of_scores(scores, labels) -> float:
    return float(cross_entropy_error(softmax(scores), labels))


def _relu_on_scores(P: dict, x: np.ndarray) -> Mistake:
    """The scores of a network with an extra ReLU after Affine2: a wrong
    structure, graded in the init cell (net.layer_names), excused elsewhere."""
    return Mistake(STRUCTURE_KEY, "", "", np.maximum(refnet.predict(P, x), 0))


def _excused_predict(P: dict, x: np.ndarray, labels: np.ndarray) -> list[Mistake]:
    """The loss a network whose predict has one of predict's known mistakes
    (or the init cell's extra ReLU) gives: that mistake costs points in its
    own cell only."""
    return [Mistake(m.key, m.en, m.ja, _loss_of_scores(m.value, labels))
            for m in [*_predict_mistakes(P, x), _relu_on_scores(P, x)]]


LOSS_STALE = Mistake(
    "net.loss_stale_prediction",
    "TwoLayerNet.loss uses the scores of an earlier predict call (kept on self) instead of the x it is given: "
    "compute them now, return self.lastLayer.forward(self.predict(x), t).",
    "TwoLayerNet.loss が、渡された x ではなく以前の predict の結果（self に保存したもの）を使っています。"
    "その場で計算して self.lastLayer.forward(self.predict(x), t) を返してください。",
    None)


def check_loss(TwoLayerNet) -> None:
    """TwoLayerNet.loss(x, t) is the mean cross-entropy of softmax(predict(x)), for
    labels and one-hot t, also right after a predict on other data."""
    rng = rng_for("net_loss")
    with all_cases():
        for (d, h, c), n, one_hot in [((4, 5, 3), 1, False), ((4, 5, 3), 5, True), ((3, 6, 4), 4, False),
                                      ((3, 6, 4), 1, True)]:
            P, x = _net_case(rng, d, h, c, n)
            x_before = rng.normal(size=(n, d))
            labels = _labels(rng, n, c)
            t = _targets(labels, c, one_hot)
            net = _new_net(TwoLayerNet, d, h, c)
            _set_params(net, P)
            call("TwoLayerNet.predict(x)", (net, "predict"), x_before)  # e.g. an accuracy on other data
            got = call("TwoLayerNet.loss(x, t)", (net, "loss"), x, t)
            stale = Mistake(LOSS_STALE.key, LOSS_STALE.en, LOSS_STALE.ja,
                            _loss_of_scores(refnet.predict(P, x_before), labels))
            expect_close(f"TwoLayerNet.loss(x, t) for x {x.shape}, t {t.shape}", got, refnet.loss(P, x, t),
                         scalar=True, mistakes=[stale], excused=_excused_predict(P, x, labels))


# ---------------------------------------------------------------- gradient ---

GRADIENT_MISTAKES = {
    "forward_order": Mistake(
        "net.backward_in_forward_order",
        "TwoLayerNet.gradient runs backward through the layers in forward order: iterate over them reversed, "
        "layers = list(self.layers.values()); layers.reverse(), so Affine2 gets dout first.",
        "TwoLayerNet.gradient が逆伝播を順伝播と同じ順番で行っています。layers = list(self.layers.values()); "
        "layers.reverse() のように逆順にたどり、最初に Affine2 に dout を渡してください。",
        None),
    "wrong_layer": Mistake(
        "net.gradient_from_wrong_layer",
        "TwoLayerNet.gradient takes the gradients from the wrong layer: grads['W1'] and grads['b1'] are "
        "self.layers['Affine1'].dW and .db, grads['W2'] and grads['b2'] those of 'Affine2'.",
        "TwoLayerNet.gradient が別のレイヤから勾配を取っています。grads['W1'], grads['b1'] は "
        "self.layers['Affine1'] の dW と db、grads['W2'], grads['b2'] は 'Affine2' のものです。",
        None),
    "not_propagated": Mistake(
        "net.dout_not_propagated",
        "TwoLayerNet.gradient does not pass dout on: each layer's backward returns the gradient for the layer "
        "below, so write dout = layer.backward(dout) in the loop.",
        "TwoLayerNet.gradient が dout を次のレイヤに渡していません。各レイヤの backward は下のレイヤへの勾配を返すので、"
        "ループの中で dout = layer.backward(dout) と書いてください。",
        None),
    "last_layer_dout_unused": Mistake(
        "net.last_layer_dout_unused",
        "TwoLayerNet.gradient does not start from lastLayer's gradient: dout = self.lastLayer.backward(1) is "
        "what flows into Affine2 (here the layers got the number 1 instead).",
        "TwoLayerNet.gradient が lastLayer の勾配から始めていません。Affine2 に流すのは dout = "
        "self.lastLayer.backward(1) です（ここでは数値の 1 がそのまま渡されています）。",
        None),
}


def _grad_item(grads, key: str):
    if grads is None:
        fail("TwoLayerNet.gradient returned None: did you forget `return grads`?",
             "TwoLayerNet.gradient が None を返しました。`return grads` を書き忘れていませんか？", key="returned_none")
    try:
        return grads[key]
    except (KeyError, IndexError, TypeError, ValueError):
        fail(f"TwoLayerNet.gradient should return a dict with the keys 'W1', 'b1', 'W2', 'b2', but grads['{key}'] "
             f"does not exist.",
             f"TwoLayerNet.gradient は 'W1', 'b1', 'W2', 'b2' をキーとする辞書を返す必要がありますが、grads['{key}'] が"
             f"ありません。", key="net.gradient_keys")


def _own_loss_gradient(net, P: dict, key: str, x, t):
    """A gradient_check for expect_close: is the answer the numerical
    gradient of the student's own loss?"""
    def explain(got: np.ndarray) -> str:
        def f(value):
            assign_in_place(net.params, key, value)
            return float(call("TwoLayerNet.loss(x, t)", (net, "loss"), x, t))
        try:
            numeric = central_difference(f, P[key])
            _set_params(net, P)
        except (CheckFailure, Exception):  # noqa: BLE001 -- an explanation only
            return ""
        err = relative_error(got, numeric)
        what = f"grads['{key}']"
        if err <= 1e-5:
            return (f"{what} is the gradient of your own loss (relative error {err:.1e}), so loss or predict "
                    f"computes something else than it should. / {what} はあなたの loss の数値微分とは一致しています"
                    f"（相対誤差 {err:.1e}）。loss か predict を見直してください。")
        return (f"{what} is not the gradient of your own loss either (relative error {err:.1e} against central "
                f"differences). / {what} はあなたの loss の数値微分とも一致しません（相対誤差 {err:.1e}）。")
    return explain


def check_gradient(TwoLayerNet) -> None:
    """TwoLayerNet.gradient(x, t) returns the backprop gradient of every
    parameter: forward, lastLayer.backward, then the layers in reverse.
    The last case has inputs so large that the loss is flat to finite
    differences (net.numerical_gradient gives zeros there, backprop does not):
    backprop must be earned."""
    rng = rng_for("net_gradient")
    raised = []
    with all_cases() as cases:
        for (d, h, c), n, one_hot in [((3, 3, 3), 4, False), ((3, 3, 3), 1, True), ((4, 5, 3), 3, True),
                                      ((5, 4, 6), 1, False), SATURATED]:
            earned = (d, h, c) == SATURATED[0]
            if earned:
                P, x, labels = _saturated_net_case(rng, d, h, c, n)
            else:
                P, x = _net_case(rng, d, h, c, n)
                labels = _labels(rng, n, c)
            t = _targets(labels, c, one_hot)
            net = _new_net(TwoLayerNet, d, h, c)
            _set_params(net, P)
            call("TwoLayerNet.predict(x)", (net, "predict"), x)
            grads = _outcome("TwoLayerNet.gradient(x, t)", (net, "gradient"), x, t)
            expected = refnet.gradient(P, x, t)
            if not isinstance(grads, _Raised) and _all_right(grads, expected):  # no need for the models of mistakes
                for key in PARAMS:
                    expect_close(f"TwoLayerNet.gradient(x, t)['{key}'] for x {x.shape}, t {t.shape}, "
                                 f"W1 {P['W1'].shape}, W2 {P['W2'].shape}" + (", x around 1e13" if earned else ""),
                                 grads[key], expected[key])
                continue
            # mistakes compose: a key's model is every combination of mistakes that includes it
            variants = _gradient_variants(P, x, t)
            if isinstance(grads, _Raised):
                grads.models = {m.key: {model for bugs, model in variants if bug in bugs and isinstance(model, tuple)}
                                for bug, m in GRADIENT_MISTAKES.items()}
                raised.append(grads)
                continue
            numeric = {key: np.zeros_like(P[key]) for key in PARAMS} if earned else _reference_finite_differences(P, x, t)
            excused = [(EXCUSED_IN_GRADIENT[tuple(bugs)], model) for bugs, model in variants
                       if tuple(bugs) in EXCUSED_IN_GRADIENT and isinstance(model, dict)]
            for key in PARAMS:
                mistakes = [Mistake(m.key, m.en, m.ja, _any_model([model for bugs, model in variants if bug in bugs], key))
                            for bug, m in GRADIENT_MISTAKES.items()]
                mistakes.append(finite_differences("TwoLayerNet.gradient", "backprop through the layers in reverse",
                                                   numeric[key]))
                expect_close(f"TwoLayerNet.gradient(x, t)['{key}'] for x {x.shape}, t {t.shape}, "
                             f"W1 {P['W1'].shape}, W2 {P['W2'].shape}" + (", x around 1e13" if earned else ""),
                             _grad_item(grads, key), expected[key], mistakes=mistakes,
                             excused=[Mistake(k, "", "", model[key]) for k, model in excused],
                             gradient_check=None if earned else _own_loss_gradient(net, P, key, x, t))
        _settle(raised, cases, {m.key: m for m in GRADIENT_MISTAKES.values()})


#: ((D, H, C), N, one-hot) of the case where the loss is flat to finite differences.
SATURATED = ((3, 4, 3), 4, False)


def _all_right(grads, expected: dict) -> bool:
    """Is every gradient the student's code returned right?"""
    try:
        return all(is_right(grads[key], expected[key]) for key in PARAMS)
    except Exception:  # noqa: BLE001 -- not a dict of the four gradients: the full comparison says why
        return False


def _saturated_net_case(rng, d: int, h: int, c: int, n: int) -> tuple[dict, np.ndarray, np.ndarray]:
    """(parameters, x, labels) with x around 1e13 (core.huge): the scores are
    so far apart (every gap above 1e11) that softmax is exactly one-hot, and
    stays so when any parameter moves by h = 1e-4 (the scores then move by
    about 1e9), so the loss is flat to finite differences; backprop's
    gradient is not zero, as half the samples' true class is not the one
    they predict.  Every sample has a live and a dead hidden unit."""
    for _ in range(1000):
        P = _random_params(rng, d, h, c)
        x = huge(rng, (n, d))
        a1 = x @ P["W1"] + P["b1"]
        active = a1 > 0
        scores = np.sort(refnet.predict(P, x), axis=1)
        if np.all(active.any(axis=1)) and np.all((~active).any(axis=1)) and np.all(np.diff(scores, axis=1) > 1e11):
            top = refnet.predict(P, x).argmax(axis=1)
            labels = np.where(np.arange(n) < n // 2, top, (top + rng.integers(1, c, size=n)) % c)
            order = rng.permutation(n)
            return P, x[order], labels[order]
    raise RuntimeError("no saturated network case was drawn")  # never: most draws qualify


def _reference_finite_differences(P: dict, x, t) -> dict:
    """The central differences (h = 1e-4, as net.numerical_gradient) of the
    reference's loss for each parameter: what a gradient computed by finite
    differences gives on an ordinary case (close to backprop's, but not
    equal: the 1e-7 in the loss)."""
    numeric = {}
    for key in PARAMS:
        def loss_of(value, key=key):
            return refnet.loss({**P, key: value}, x, t)
        numeric[key] = central_difference(loss_of, P[key], h=1e-4)
    return numeric


def _any_model(models: list, key: str):
    """A mistake's model for one parameter: matches the value any of the
    combinations `models` gives (those that raised rule themselves out:
    the student's code did not raise here), or None if none gives one."""
    values = [np.asarray(m[key], dtype=np.float64) for m in models if isinstance(m, dict) and m.get(key) is not None]
    if not values:
        return _never if models else None
    return lambda got: any(got.shape == v.shape and np.allclose(got, v, rtol=RTOL, atol=ATOL) for v in values)


# ---------------------------------------------------------------- accuracy ---

ACCURACY_NO_ARGMAX = Mistake(
    "net.accuracy_one_hot_without_argmax",
    "TwoLayerNet.accuracy compares the predicted labels with one-hot t directly: turn one-hot targets into "
    "labels first, if t.ndim != 1: t = np.argmax(t, axis=1).",
    "TwoLayerNet.accuracy が予測ラベルを one-hot の t とそのまま比べています。先に one-hot をラベルに直してください："
    "if t.ndim != 1: t = np.argmax(t, axis=1)。",
    None)


def _model_accuracy_no_argmax(P: dict, x, t):
    try:
        with quietly():
            y = np.argmax(refnet.predict(P, x), axis=1)
            return float(np.sum(y == t) / float(x.shape[0]))
    except Exception as exc:  # noqa: BLE001 -- the shapes do not broadcast: the student's code raised too
        return (type(exc).__name__, str(exc))


def check_accuracy(TwoLayerNet) -> None:
    """TwoLayerNet.accuracy(x, t) is the fraction of samples whose highest score
    is the true class, for labels and for one-hot t."""
    rng = rng_for("net_accuracy")
    raised = []
    # How many samples are right is drawn per student, between 2 and n - 1 (so the count is never a
    # fraction an excused mistake could give), and the first two cases have the same shapes but
    # different counts: no table keyed by the shapes can give both.
    first, second = rng.choice(np.arange(2, 5), size=2, replace=False)
    with all_cases() as cases:
        for (d, h, c), n, right, one_hot in [((4, 5, 3), 5, first, False), ((4, 5, 3), 5, second, False),
                                             ((4, 5, 3), 4, rng.integers(2, 4), True),
                                             ((3, 6, 4), 8, rng.integers(2, 8), True),
                                             ((3, 6, 4), 3, 2, False)]:
            right = int(right)
            P, x = _net_case(rng, d, h, c, n)
            predicted = refnet.predict(P, x).argmax(axis=1)
            labels = np.where(np.arange(n) < right, predicted, (predicted + 1 + rng.integers(0, c - 1, size=n)) % c)
            order = rng.permutation(n)
            x, labels = x[order], labels[order]
            t = _targets(labels, c, one_hot)
            net = _new_net(TwoLayerNet, d, h, c)
            _set_params(net, P)
            got = _outcome("TwoLayerNet.accuracy(x, t)", (net, "accuracy"), x, t)
            model = _model_accuracy_no_argmax(P, x, t) if one_hot else None
            if isinstance(got, _Raised):
                got.models = {ACCURACY_NO_ARGMAX.key: model}
                raised.append(got)
                continue
            sig = _predict_mistakes(P, x)[1].value
            mistakes = [Mistake(ACCURACY_NO_ARGMAX.key, ACCURACY_NO_ARGMAX.en, ACCURACY_NO_ARGMAX.ja,
                                None if model is None else _model_value(model)),
                        Mistake("net.accuracy_count",
                                "TwoLayerNet.accuracy returns the number of right answers: divide by the number of "
                                "samples, x.shape[0], to get a fraction between 0 and 1.",
                                "TwoLayerNet.accuracy が正解の個数を返しています。サンプル数 x.shape[0] で割って 0〜1 の"
                                "割合にしてください。", float(right))]
            expect_close(f"TwoLayerNet.accuracy(x, t) for x {x.shape}, t {t.shape}", got, right / n, scalar=True,
                         mistakes=mistakes,
                         excused=[Mistake("net.predict_sigmoid", "", "", float(np.mean(sig.argmax(axis=1) == labels))),
                                  Mistake(STRUCTURE_KEY, "", "",  # ties at 0: argmax picks the first, as np.argmax does
                                          float(np.mean(_relu_on_scores(P, x).value.argmax(axis=1) == labels)))])
        _settle(raised, cases, {ACCURACY_NO_ARGMAX.key: ACCURACY_NO_ARGMAX})


# --------------------------------------------------------------------- SGD ---

LAYERS_COPY_PARAMS = Mistake(
    "net.layers_copy_params",
    "Updating TwoLayerNet.params in place does not change the loss: the layers hold other arrays than params "
    "(copies, or arrays made anew). Build them from the same arrays, Affine(self.params['W1'], "
    "self.params['b1']), so the book's training loop, params[key] -= learning_rate * grad[key], trains them.",
    "TwoLayerNet.params をその場で更新しても損失が変わりません。レイヤが params とは別の配列（コピーや新しく作った配列）を"
    "持っています。Affine(self.params['W1'], self.params['b1']) のように同じ配列から作れば、書籍の学習ループ "
    "params[key] -= learning_rate * grad[key] でレイヤも学習します。",
    None)

SGD_STEPS, SGD_LEARNING_RATE = 5, 0.3


def check_sgd_steps(TwoLayerNet) -> None:
    """A few SGD steps on a fixed mini-batch, each an in-place update of
    params (params[key] -= lr * grad[key], as in the book's loop), lower
    TwoLayerNet.loss."""
    rng = rng_for("net_sgd")
    d, h, c, n = 4, 6, 3, 8
    P, x = _net_case(rng, d, h, c, n)
    labels = _labels(rng, n, c)
    net = _new_net(TwoLayerNet, d, h, c)
    _set_params(net, P)
    start = refnet.loss(P, x, labels)
    with all_cases():
        for step in range(1, SGD_STEPS + 1):
            grads = refnet.gradient(P, x, labels)
            P = {key: P[key] - SGD_LEARNING_RATE * grads[key] for key in PARAMS}
            _set_params(net, P, layers=False)
            call("TwoLayerNet.predict(x)", (net, "predict"), x)
            got = call("TwoLayerNet.loss(x, t)", (net, "loss"), x, labels)
            expected = refnet.loss(P, x, labels)
            expect_close(f"TwoLayerNet.loss(x, t) after {step} SGD step{'s' if step > 1 else ''} "
                         f"(it was {start:.4f} before)", got, expected, scalar=True,
                         mistakes=[Mistake(LAYERS_COPY_PARAMS.key, LAYERS_COPY_PARAMS.en, LAYERS_COPY_PARAMS.ja,
                                           start)],
                         excused=_excused_predict(P, x, labels))
