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
from bpkit.checks.core import (ATOL, RTOL, CheckFailure, Mistake, Raised, What, all_cases, call, central_difference,
                               expect_close, fail, finite_differences, huge, is_right, outcome, quietly, raised_case,
                               relative_error, rng_for)
from reference.functions import sigmoid, softmax

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
    """TwoLayerNet(d, h, c, std); a constructor without weight_init_std (its
    signature is graded in the init cell, and the checks write their own
    parameters anyway) is called as TwoLayerNet(d, h, c)."""
    what = f"TwoLayerNet({d}, {h}, {c}, weight_init_std={std})"
    try:
        return call(what, TwoLayerNet, d, h, c, std)
    except CheckFailure as failure:
        if "[raised]" not in str(failure).splitlines() or "positional argument" not in str(failure):
            raise
        try:
            return call(f"TwoLayerNet({d}, {h}, {c})", TwoLayerNet, d, h, c)
        except CheckFailure:
            raise failure from None


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
    structure = structure_of(net)
    if structure is None:
        return  # no layers to write into: predict will show what is wrong
    affines = [k for k, kind in zip(structure.keys, structure.types) if kind == "Affine"]
    for name, (w, b) in zip(affines, (("W1", "b1"), ("W2", "b2"))):
        try:
            layer = net.layers[name]
            assign_in_place(layer, "W", P[w], attribute=True)
            assign_in_place(layer, "b", P[b], attribute=True)
        except Exception:  # noqa: BLE001 -- layers without W and b: predict will show what is wrong
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
# The same code as the given common/layers.py and common/functions.py: a
# mistake's model must raise what the student's code raises with those layers,
# message and all (tests/test_two_layer_net.py compares them).

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


class _Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


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


def _given_cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


class _SoftmaxWithLoss:
    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        self.t, self.y = t, softmax(x)
        return _given_cross_entropy_error(self.y, self.t)

    def backward(self, dout=1):
        n = self.t.shape[0]
        if self.t.size == self.y.size:
            return (self.y - self.t) / n
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx / n


#: The layer classes a student's network may be made of, by their class name, and the book's network.
MODEL_LAYERS = {"Affine": _Affine, "Relu": _Relu, "ReLU": _Relu, "ReLu": _Relu, "Sigmoid": _Sigmoid}
BOOK_TYPES = ("Affine", "Relu", "Affine")
LAYER_NAMES = ["Affine1", "Relu1", "Affine2"]  # the init cell's visible example asserts these names


class Structure:
    """The network a student built, read from net.layers: its keys (or
    indices, for a list), the class name of each layer, in order, and the
    class of its loss layer."""

    def __init__(self, keys: list, types: list, is_dict: bool, last: str | None):
        self.keys, self.is_dict, self.last = list(keys), is_dict, last
        self.types = ["Relu" if t in ("ReLU", "ReLu") else t for t in types]

    @property
    def is_books(self) -> bool:
        return tuple(self.types) == BOOK_TYPES

    @property
    def modelled(self) -> bool:
        """Can the checks compute what this network gives (known layers, two Affine)?"""
        return all(t in MODEL_LAYERS for t in self.types) and self.types.count("Affine") == 2 and len(self.types) <= 8

    def describe(self) -> tuple[str, str]:
        """"Affine1 (Affine) -> Relu1 (Relu) -> ..., then lastLayer (SoftmaxWithLoss)", in both languages."""
        chain = " -> ".join(f"{k} ({t})" for k, t in zip(self.keys, self.types)) or "no layers"
        last = f", then {self.last}" if self.last else ""
        chain_ja = " -> ".join(f"{k} ({t})" for k, t in zip(self.keys, self.types)) or "レイヤなし"
        last_ja = f"、その後 {self.last}" if self.last else ""
        return chain + last, chain_ja + last_ja


def _type_name(obj) -> str:
    return str(getattr(obj, "remote_type", None) or type(obj).__name__)[:40]


def structure_of(net) -> Structure | None:
    """The student's network as a Structure, or None if net.layers cannot be read."""
    try:
        layers = net.layers
    except Exception:  # noqa: BLE001 -- no layers at all
        return None
    last = None
    for name in ("lastLayer", "last_layer", "loss_layer"):
        try:
            last = f"{name} ({_type_name(getattr(net, name))})"
            break
        except Exception:  # noqa: BLE001 -- the loss layer has another name
            continue
    keys = keys_of(layers)
    try:
        if keys is not None:
            return Structure(keys, [_type_name(layers[k]) for k in keys[:8]], True, last)
        found = []
        for i in range(8):  # a list or tuple of layers (the second book's style)
            try:
                found.append(_type_name(layers[i]))
            except (IndexError, KeyError, TypeError):
                break
        return Structure(list(range(len(found))), found, False, last) if found else None
    except Exception:  # noqa: BLE001 -- layers that cannot be read: the init cell says so
        return None


def _model_net(P: dict, types=BOOK_TYPES) -> list:
    """Fresh model layers of the given types; the Affine layers get (W1, b1) and (W2, b2), in order."""
    params = iter((("W1", "b1"), ("W2", "b2")))
    layers = []
    for kind in types:
        if kind == "Affine":
            w, b = next(params)
            layers.append(_Affine(P[w].copy(), P[b].copy()))
        else:
            layers.append(MODEL_LAYERS[kind]())
    return layers


def _model_scores(P: dict, x, types=BOOK_TYPES, upto: int | None = None, soft: bool = False):
    """What predict gives for a network of `types` (upto: returning after
    that many layers; soft: softmax at the end), or the exception raised."""
    try:
        with quietly():
            out = x.copy()
            for layer in _model_net(P, types)[:upto]:
                out = layer.forward(out)
            return softmax(out) if soft else out
    except Exception as exc:  # noqa: BLE001 -- a model may raise, as the student's code does
        return (type(exc).__name__, str(exc))


def _model_loss(scores, t):
    """lastLayer.forward(scores, t) with the given SoftmaxWithLoss, or the exception raised."""
    if isinstance(scores, tuple):
        return scores
    try:
        with quietly():
            return float(_SoftmaxWithLoss().forward(np.array(scores, dtype=np.float64), t.copy()))
    except Exception as exc:  # noqa: BLE001 -- scores of another shape may not fit t
        return (type(exc).__name__, str(exc))


def _early_returns(types) -> list[int]:
    """How many layers a predict returning inside its loop may have run (all but the last)."""
    return list(range(1, len(types)))


def _model_gradient(P: dict, x, t, bugs: frozenset, types=BOOK_TYPES):
    """The gradients a network with the known mistakes `bugs` gives (a
    dict), or the exception it raises, as (type name, message).  bugs: any
    combination of the keys of GRADIENT_MISTAKES and of the mistakes graded
    elsewhere: "predict_softmax", "structure" (the student's layers, `types`),
    "early<k>" (predict returns after k layers)."""
    try:
        with quietly():
            kinds = types if "structure" in bugs else BOOK_TYPES
            layers, last = _model_net(P, kinds), _SoftmaxWithLoss()
            upto = next((int(b[5:]) for b in bugs if b.startswith("early")), None)
            if "bypass" in bugs:  # loss never called lastLayer.forward
                last.backward(1)
            scores = x.copy()
            for layer in layers[:upto]:
                scores = layer.forward(scores)
            if "predict_softmax" in bugs:
                scores = softmax(scores)
            last.forward(scores, t.copy())
            dout = last.backward(1)
            if "last_layer_dout_unused" in bugs:
                dout = 1
            order = list(layers)
            if "forward_order" not in bugs:
                order.reverse()
            for layer in order:
                if "not_propagated" in bugs:
                    layer.backward(dout)
                else:
                    dout = layer.backward(dout)
            first, second = [layer for layer in layers if isinstance(layer, _Affine)]
            if "wrong_layer" in bugs:
                first, second = second, first
            return {"W1": first.dW, "b1": first.db, "W2": second.dW, "b2": second.db}
    except Exception as exc:  # noqa: BLE001 -- the model of a mistake may raise, as the student's code does
        return (type(exc).__name__, str(exc))


def _elsewhere(structure: Structure | None) -> list[frozenset]:
    """The mistakes graded in other cells a gradient, loss or accuracy may
    show, as bugs of _model_gradient: none, a softmax in predict, the
    student's own layers (init cell), predict returning inside its loop."""
    extras = [frozenset(), frozenset({"predict_softmax"})]
    types = BOOK_TYPES
    if structure is not None and structure.modelled and not structure.is_books:
        extras.append(frozenset({"structure"}))
        types = structure.types
    extras += [frozenset({f"early{k}"} | ({"structure"} if types != BOOK_TYPES else set()))
               for k in _early_returns(types)]
    return extras


def _gradient_variants(P: dict, x, t, structure: Structure | None = None) -> list[tuple[frozenset, object]]:
    """(bugs, model) for every combination of the known backward mistakes,
    each also with each mistake graded elsewhere (_elsewhere)."""
    names = list(GRADIENT_MISTAKES)
    combos = [frozenset(b for i, b in enumerate(names) if mask >> i & 1) for mask in range(1 << len(names))]
    types = tuple(structure.types) if structure is not None and structure.modelled else BOOK_TYPES
    found = []
    for bugs in combos:
        for extra in _elsewhere(structure):
            if "bypass" in bugs and bugs != {"bypass"}:
                continue  # it raises before any other mistake shows
            found.append((bugs | extra, _model_gradient(P, x, t, bugs | extra, types)))
    return found


#: The keys of the init cell's structure mistakes, excused in the other cells (held in a name, so
#: the registry does not list them as keys those cells can report: they never do).
STRUCTURE_KEY = "net.layer_names"
#: The key of an excused model (a mistake graded in another cell), never reported.
GRADED_ELSEWHERE = "graded_elsewhere"


# ----------------------------------------------------- exceptions as evidence ---

def _raised(models) -> set:
    """The exceptions among models ((type name, message) tuples)."""
    return {m for m in models if isinstance(m, tuple)}


# ---------------------------------------------------------------- __init__ ---

WEIGHT_STD_IGNORED = Mistake(
    "net.weight_init_std_ignored",
    "TwoLayerNet.__init__ ignores weight_init_std: the weights come out with the same scale whatever is "
    "passed. Draw them as weight_init_std * np.random.randn(input_size, hidden_size) (and likewise W2).",
    "TwoLayerNet.__init__ が weight_init_std を使っていません。何を渡しても重みの大きさが同じです。"
    "weight_init_std * np.random.randn(input_size, hidden_size) のように作ってください（W2 も同様）。",
    None)


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
    Affine1, Relu1, Affine2 in that order, as the init cell's example
    asserts; otherwise say what the student built."""
    extra = [k for k in keys_of(_params_of(net)) or [] if k not in PARAMS]
    if extra:
        fail(f"TwoLayerNet.params should hold exactly 'W1', 'b1', 'W2' and 'b2', but it also holds {extra}.",
             f"TwoLayerNet.params には 'W1', 'b1', 'W2', 'b2' だけを入れます。ほかに {extra} が入っています。",
             key="net.extra_params")
    structure = structure_of(net)
    if structure is not None and structure.is_dict and structure.keys == LAYER_NAMES and structure.is_books:
        return
    books = ("self.layers = OrderedDict(); self.layers['Affine1'] = Affine(...); self.layers['Relu1'] = Relu(); "
             "self.layers['Affine2'] = Affine(...)")
    if structure is None:
        fail("TwoLayerNet.layers should be an OrderedDict of the layers 'Affine1', 'Relu1' and 'Affine2', in that "
             f"order, but it has no readable attribute layers. Build it as the book does: {books}.",
             "TwoLayerNet.layers は 'Affine1', 'Relu1', 'Affine2' の順にレイヤを入れた OrderedDict であるべきですが、"
             f"読み取れる layers 属性がありません。書籍のとおり {books} と作ってください。",
             key="net.layer_names")
    built, built_ja = structure.describe()
    if structure.types[:3] == list(BOOK_TYPES) and len(structure.types) > 3:
        extra_layers = ", ".join(f"{k} ({t})" for k, t in zip(structure.keys[3:], structure.types[3:]))
        fail(f"TwoLayerNet has an extra layer after Affine2: {extra_layers}. Your network is {built}. The scores "
             "must go from Affine2 straight to SoftmaxWithLoss (lastLayer), which applies softmax itself: remove "
             "the extra layer.",
             f"TwoLayerNet の Affine2 の後に余分なレイヤ {extra_layers} があります。あなたのネットワークは {built_ja} "
             "です。スコアは Affine2 から直接 SoftmaxWithLoss（lastLayer）に渡します（softmax はそこで計算されます）。"
             "余分なレイヤを取り除いてください。",
             key="net.extra_layer")
    if not structure.is_books:
        fail(f"TwoLayerNet's layers are not the book's: your network is {built}, the book's is Affine1 (Affine) "
             f"-> Relu1 (Relu) -> Affine2 (Affine), then lastLayer (SoftmaxWithLoss). Build it as the book does: "
             f"{books}.",
             f"TwoLayerNet のレイヤ構成が書籍と違います。あなたのネットワークは {built_ja}、書籍のものは Affine1 (Affine) "
             f"-> Relu1 (Relu) -> Affine2 (Affine)、その後 lastLayer (SoftmaxWithLoss) です。書籍のとおり {books} "
             "と作ってください。",
             key="net.layer_structure")
    got = f"its keys are {structure.keys}" if structure.is_dict else "it is a list, not a dict of named layers"
    got_ja = (f"キーが {structure.keys} になっています" if structure.is_dict else
              "名前付きのレイヤの辞書ではなくリストになっています")
    fail(f"TwoLayerNet.layers should be an OrderedDict of the layers 'Affine1', 'Relu1' and 'Affine2', in "
         f"that order, but {got}. Name them as the book does: {books} (other code, e.g. the gradient check, reads "
         "them by these names).",
         f"TwoLayerNet.layers は 'Affine1', 'Relu1', 'Affine2' の順にレイヤを入れた OrderedDict であるべきですが、"
         f"{got_ja}。書籍のとおり {books} と名前を付けてください（勾配の確認などのコードがこの名前で読みます）。",
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

def _shapes_what(head: str, x, P: dict, t=None) -> What:
    """A case of the network's checks, e.g. "TwoLayerNet.predict(x) for x (4, 3), W1 (3, 5), W2 (5, 2)"."""
    t_part, t_ja = (f", t {t.shape}", f"、t が {t.shape}") if t is not None else ("", "")
    return What(f"{head} for x {x.shape}{t_part}, W1 {P['W1'].shape}, W2 {P['W2'].shape}",
                f"x が {x.shape}{t_ja}、W1 が {P['W1'].shape}、W2 が {P['W2'].shape} のときの {head}")


PREDICT_RETURNS_EARLY = Mistake(
    "net.predict_returns_early",
    "TwoLayerNet.predict returns inside its loop, after the first layer(s): its answer is the output of an "
    "inner layer (here of shape (N, H)), not the scores. Dedent `return x` so it runs after the loop over "
    "every layer.",
    "TwoLayerNet.predict がループの中で return しており、最初のレイヤの出力（ここでは形状 (N, H)）を返しています。"
    "スコアを返すよう、`return x` の字下げを戻して、すべてのレイヤを通したループの後に置いてください。",
    None)


def _predict_mistakes(P: dict, x: np.ndarray, structure: Structure | None = None) -> list[Mistake]:
    a1 = x @ P["W1"] + P["b1"]
    scores = refnet.predict(P, x)
    sig = sigmoid(a1) @ P["W2"] + P["b2"]
    types = structure.types if structure is not None and structure.modelled else BOOK_TYPES
    early = [_model_scores(P, x, types, upto=k) for k in _early_returns(types)]
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
        Mistake(PREDICT_RETURNS_EARLY.key, PREDICT_RETURNS_EARLY.en, PREDICT_RETURNS_EARLY.ja, _any_array(early)),
    ]


def _any_array(values: list):
    """A model matching any of the arrays among values (exceptions left out), or None."""
    arrays = [np.asarray(v, dtype=np.float64) for v in values if not isinstance(v, tuple)]
    if not arrays:
        return None
    return lambda got: any(got.shape == a.shape and np.allclose(got, a, rtol=RTOL, atol=ATOL) for a in arrays)


def _structure_scores(P: dict, x, structure: Structure | None) -> list:
    """The scores of the student's own layers where they are not the book's
    (graded in the init cell): what predict gives for that network."""
    if structure is None or not structure.modelled or structure.is_books:
        return []
    return [_model_scores(P, x, structure.types)]


def check_predict(TwoLayerNet) -> None:
    """TwoLayerNet.predict(x) gives the scores Affine1 -> Relu1 -> Affine2 for the
    parameters in params (batch sizes 1 and more)."""
    rng = rng_for("net_predict")
    with all_cases():
        for (d, h, c), n in [((4, 5, 3), 1), ((4, 5, 3), 6), ((3, 3, 3), 4), ((6, 2, 5), 2)]:
            P, x = _net_case(rng, d, h, c, n)
            net = _new_net(TwoLayerNet, d, h, c)
            _set_params(net, P)
            structure = structure_of(net)
            got = call("TwoLayerNet.predict(x)", (net, "predict"), x)
            own = [Mistake(STRUCTURE_KEY, "", "", v) for v in _structure_scores(P, x, structure)
                   if not isinstance(v, tuple)]
            expect_close(_shapes_what("TwoLayerNet.predict(x)", x, P), got, refnet.predict(P, x),
                         mistakes=_predict_mistakes(P, x, structure), excused=own)


# -------------------------------------------------------------------- loss ---

def _excused_scores(P: dict, x: np.ndarray, structure: Structure | None) -> list:
    """The scores of a predict with one of predict's known mistakes, or of
    the student's own layers: those cost points in their own cell only."""
    return [m.value for m in _predict_mistakes(P, x, structure)[:3]] + [
        _model_scores(P, x, types, upto=k)
        for types in [structure.types if structure is not None and structure.modelled else BOOK_TYPES]
        for k in _early_returns(types)] + _structure_scores(P, x, structure)


def _excused_losses(P: dict, x: np.ndarray, t: np.ndarray, structure: Structure | None) -> list:
    """The losses (or exceptions) of the networks of _excused_scores."""
    return [_model_loss(scores, t) for scores in _excused_scores(P, x, structure)]


def _excused_loss_mistakes(losses: list) -> list[Mistake]:
    return [Mistake(GRADED_ELSEWHERE, "", "", v) for v in losses if not isinstance(v, tuple)]


LOSS_STALE = Mistake(
    "net.loss_stale_prediction",
    "TwoLayerNet.loss uses the scores of an earlier predict call (kept on self) instead of the x it is given: "
    "compute them now, return self.lastLayer.forward(self.predict(x), t).",
    "TwoLayerNet.loss が、渡された x ではなく以前の predict の結果（self に保存したもの）を使っています。"
    "その場で計算して self.lastLayer.forward(self.predict(x), t) を返してください。",
    None)

LOSS_WEIGHT_DECAY = Mistake(
    "net.loss_weight_decay",
    "TwoLayerNet.loss adds a weight-decay term (a multiple of the sum of the squared weights) to the "
    "cross-entropy: this network's loss is the cross-entropy alone, self.lastLayer.forward(self.predict(x), t) "
    "(weight decay comes in chapter 6, and its gradient would be missing from gradient here).",
    "TwoLayerNet.loss が交差エントロピーに荷重減衰の項（重みの二乗和の定数倍）を足しています。このネットワークの損失は"
    "交差エントロピーだけ、self.lastLayer.forward(self.predict(x), t) です（荷重減衰は第 6 章の内容で、ここでは "
    "gradient にその勾配が含まれません）。",
    None)


def _round_number(c: float) -> bool:
    """Is c > 0 a number a person writes (two significant digits: 0.1, 0.05, 2.5e-4)?"""
    if not np.isfinite(c) or c <= 0:
        return False
    mantissa = c / 10.0 ** np.floor(np.log10(c)) * 10
    return abs(mantissa - round(mantissa)) <= 1e-6 * mantissa


def _weight_decay_model(P: dict, loss: float):
    """A loss plus c times the sum of the squared weights (or of every
    parameter), for a round c > 0: what chapter 6's weight decay adds, with
    lambda / 2 written in."""
    sums = [sum(float(np.sum(P[k] ** 2)) for k in ("W1", "W2")),
            sum(float(np.sum(P[k] ** 2)) for k in PARAMS)]

    def matches(got) -> bool:
        extra = float(np.asarray(got)) - loss
        return any(_round_number(extra / total) for total in sums if total > 0)
    return matches


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
            structure = structure_of(net)
            call("TwoLayerNet.predict(x)", (net, "predict"), x_before)  # e.g. an accuracy on other data
            what = _shapes_what("TwoLayerNet.loss(x, t)", x, P, t)
            got = outcome(what, (net, "loss"), x, t)
            stale = _model_loss(refnet.predict(P, x_before), t)
            excused = _excused_losses(P, x, t, structure)
            if isinstance(got, Raised):
                raised_case(what, got.failure, got.exc, [replace_value(LOSS_STALE, _raised([stale]))],
                            excused=_raised(excused))
                continue
            decay = replace_value(LOSS_WEIGHT_DECAY, _weight_decay_model(P, refnet.loss(P, x, t)))
            expect_close(what, got, refnet.loss(P, x, t), scalar=True,
                         mistakes=[replace_value(LOSS_STALE, None if isinstance(stale, tuple) else stale), decay],
                         excused=_excused_loss_mistakes(excused))


def replace_value(mistake: Mistake, value) -> Mistake:
    """The mistake with its model for one input (exceptions as a set of (type name, message))."""
    return Mistake(mistake.key, mistake.en, mistake.ja, value, mistake.also)


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
    "bypass": Mistake(
        "net.loss_bypasses_last_layer",
        "TwoLayerNet.gradient calls self.lastLayer.backward, but lastLayer.forward never ran: loss computes "
        "softmax and cross_entropy_error itself (as in section 4.5), so lastLayer has no y or t to differentiate. "
        "Write loss as return self.lastLayer.forward(self.predict(x), t).",
        "TwoLayerNet.gradient が self.lastLayer.backward を呼んでいますが、lastLayer.forward が一度も実行されていません。"
        "loss が softmax と cross_entropy_error を自分で計算している（4.5 節の書き方）ため、lastLayer には微分に使う "
        "y と t がありません。loss は return self.lastLayer.forward(self.predict(x), t) と書いてください。",
        None),
}

GRADS_BEFORE_BACKWARD = Mistake(
    "net.grads_before_backward",
    "TwoLayerNet.gradient reads the layers' dW and db before the backward pass ran (they are still None, or "
    "the previous call's): after the call, the layers hold the right gradients. Run lastLayer.backward and "
    "the loop over the layers first, then fill grads.",
    "TwoLayerNet.gradient が逆伝播を実行する前にレイヤの dW と db を読んでいます（まだ None か、前回の呼び出しの値です）。"
    "呼び出しの後のレイヤには正しい勾配が入っています。先に lastLayer.backward とレイヤのループを実行し、その後で grads を"
    "作ってください。",
    None)


def _grad_item(grads, key: str):
    if grads is None:
        fail("TwoLayerNet.gradient returned None: did you forget `return grads`?",
             "TwoLayerNet.gradient が None を返しました。`return grads` を書き忘れていませんか？", key="returned_none")
    try:
        value = grads[key]
    except (KeyError, IndexError, TypeError, ValueError):
        fail(f"TwoLayerNet.gradient should return a dict with the keys 'W1', 'b1', 'W2', 'b2', but grads['{key}'] "
             f"does not exist.",
             f"TwoLayerNet.gradient は 'W1', 'b1', 'W2', 'b2' をキーとする辞書を返す必要がありますが、grads['{key}'] が"
             f"ありません。", key="net.gradient_keys")
    if value is None:
        fail(f"TwoLayerNet.gradient returned grads['{key}'] = None: store each layer's gradient in grads after the "
             "backward pass (grads['W1'] = self.layers['Affine1'].dW, ...).",
             f"TwoLayerNet.gradient が grads['{key}'] = None を返しました。逆伝播の後で各レイヤの勾配を grads に入れてください"
             "（grads['W1'] = self.layers['Affine1'].dW など）。", key="returned_none")
    return value


def _expect_grads_after_backward(net, grads, expected: dict) -> None:
    """grads holding None where the student's layers, after the call, hold
    the right gradients: grads was filled before backward ran."""
    try:
        empty = [key for key in PARAMS if grads[key] is None]
    except Exception:  # noqa: BLE001 -- not a dict of four gradients: _grad_item says so
        return
    structure = structure_of(net)
    if not empty or structure is None:
        return
    affines = [k for k, kind in zip(structure.keys, structure.types) if kind == "Affine"]
    if len(affines) != 2:
        return
    try:
        stored = {w: getattr(net.layers[name], "dW") for name, w in zip(affines, ("W1", "W2"))}
        stored.update({b: getattr(net.layers[name], "db") for name, b in zip(affines, ("b1", "b2"))})
    except Exception:  # noqa: BLE001 -- layers without dW and db
        return
    if all(stored[key] is not None and is_right(stored[key], expected[key]) for key in empty):
        fail(GRADS_BEFORE_BACKWARD.en, GRADS_BEFORE_BACKWARD.ja,
             f"grads[{', '.join(repr(k) for k in empty)}] is None / が None です", key=GRADS_BEFORE_BACKWARD.key)


def _network_line(structure: Structure | None, grads, expected: dict) -> str:
    """The network the student built and which of its gradients are right, in both languages."""
    if structure is None:
        return ""
    built, built_ja = structure.describe()
    right = [k for k in PARAMS if _right_item(grads, k, expected)]
    wrong = [k for k in PARAMS if k not in right]
    return (f"Your network: {built}; grads right for {right or 'none'}, wrong for {wrong or 'none'}. / "
            f"あなたのネットワーク：{built_ja}。grads が正しいのは {right or 'なし'}、違うのは {wrong or 'なし'}。")


def _right_item(grads, key: str, expected: dict) -> bool:
    try:
        return is_right(grads[key], expected[key])
    except Exception:  # noqa: BLE001 -- missing or not an array
        return False


def _own_loss_gradient(net, P: dict, key: str, x, t, network: str = ""):
    """A gradient_check for expect_close: the network built, and is the
    answer the numerical gradient of the student's own loss?"""
    def explain(got: np.ndarray) -> str:
        def f(value):
            assign_in_place(net.params, key, value)
            return float(call("TwoLayerNet.loss(x, t)", (net, "loss"), x, t))
        try:
            numeric = central_difference(f, P[key])
            _set_params(net, P)
        except (CheckFailure, Exception):  # noqa: BLE001 -- an explanation only
            return network
        err = relative_error(got, numeric)
        what = f"grads['{key}']"
        prefix = network + "\n" if network else ""
        if err <= 1e-5:
            return prefix + (f"{what} is the gradient of your own loss (relative error {err:.1e}), so loss or "
                             f"predict computes something else than it should. / {what} はあなたの loss の数値微分とは"
                             f"一致しています（相対誤差 {err:.1e}）。loss か predict を見直してください。")
        return prefix + (f"{what} is not the gradient of your own loss either (relative error {err:.1e} against "
                         f"central differences). / {what} はあなたの loss の数値微分とも一致しません（相対誤差 {err:.1e}）。")
    return explain


def _combinations(variants: list, owned: dict) -> dict[frozenset, list]:
    """Models grouped by the set of owned mistakes (keys of `owned`) they make."""
    groups: dict[frozenset, list] = {}
    for bugs, model in variants:
        groups.setdefault(frozenset(b for b in bugs if b in owned), []).append(model)
    return groups


def _combined(owned: dict, bugs: frozenset, value) -> Mistake:
    """One Mistake naming every mistake of `bugs` (in the order of `owned`), with the model `value`."""
    parts = [m for b, m in owned.items() if b in bugs]
    return Mistake(parts[0].key, parts[0].en, parts[0].ja, value, tuple(parts[1:]))


def check_gradient(TwoLayerNet) -> None:
    """TwoLayerNet.gradient(x, t) returns the backprop gradient of every
    parameter: forward, lastLayer.backward, then the layers in reverse.
    The last case has inputs so large that the loss is flat to finite
    differences (net.numerical_gradient gives zeros there, backprop does not):
    backprop must be earned."""
    rng = rng_for("net_gradient")
    with all_cases():
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
            head = _shapes_what("TwoLayerNet.gradient(x, t)", x, P, t)
            around = (", x around 1e13", "、x は 1e13 程度") if earned else ("", "")
            whats = {key: What(head.replace("TwoLayerNet.gradient(x, t)", f"TwoLayerNet.gradient(x, t)['{key}']")
                               + around[0],
                               head.ja.replace("TwoLayerNet.gradient(x, t)", f"TwoLayerNet.gradient(x, t)['{key}']")
                               .replace(" のときの", f"{around[1]} のときの"))
                     for key in PARAMS}
            grads = outcome(head, (net, "gradient"), x, t)
            expected = refnet.gradient(P, x, t)
            if not isinstance(grads, Raised) and _all_right(grads, expected):  # no need for the models of mistakes
                for key in PARAMS:
                    expect_close(whats[key], grads[key], expected[key])
                continue
            structure = structure_of(net)
            # mistakes compose: every combination of the owned mistakes is modelled, with those graded elsewhere
            groups = _combinations(_gradient_variants(P, x, t, structure), GRADIENT_MISTAKES)
            if isinstance(grads, Raised):
                raised_case(head, grads.failure, grads.exc,
                            [_combined(GRADIENT_MISTAKES, bugs, _raised(models)) for bugs, models in groups.items() if bugs],
                            excused=_raised(groups.get(frozenset(), [])))
                continue
            _expect_grads_after_backward(net, grads, expected)
            numeric = {key: np.zeros_like(P[key]) for key in PARAMS} if earned else _reference_finite_differences(P, x, t)
            network = _network_line(structure, grads, expected)
            for key in PARAMS:
                mistakes = [_combined(GRADIENT_MISTAKES, bugs, _any_model(models, key))
                            for bugs, models in sorted(groups.items(), key=lambda g: len(g[0])) if bugs]
                mistakes.append(finite_differences("TwoLayerNet.gradient", BACKPROP_IN_REVERSE,
                                                   numeric[key]))
                excused = [Mistake(GRADED_ELSEWHERE, "", "", model[key]) for model in groups.get(frozenset(), [])
                           if isinstance(model, dict) and model.get(key) is not None]
                expect_close(whats[key], _grad_item(grads, key), expected[key], mistakes=mistakes, excused=excused,
                             gradient_check=None if earned else _own_loss_gradient(net, P, key, x, t, network))


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


BACKPROP_IN_REVERSE = What("backprop through the layers in reverse", "レイヤを逆順にたどる誤差逆伝播")


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
    # How many samples are right is drawn per student, between 2 and n - 1 (so the count is never a
    # fraction an excused mistake could give), and the first two cases have the same shapes but
    # different counts: no table keyed by the shapes can give both.
    first, second = rng.choice(np.arange(2, 5), size=2, replace=False)
    with all_cases():
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
            structure = structure_of(net)
            what = _shapes_what("TwoLayerNet.accuracy(x, t)", x, P, t)
            got = outcome(what, (net, "accuracy"), x, t)
            model = _model_accuracy_no_argmax(P, x, t) if one_hot else None
            excused = [_model_accuracy(scores, t) for scores in _shown_by_predict(net, x, _excused_scores(P, x, structure))]
            if isinstance(got, Raised):
                raised_case(what, got.failure, got.exc,
                            [replace_value(ACCURACY_NO_ARGMAX, None if model is None else _raised([model]))],
                            excused=_raised(excused))
                continue
            mistakes = [replace_value(ACCURACY_NO_ARGMAX, None if model is None else _model_value(model)),
                        Mistake("net.accuracy_count",
                                "TwoLayerNet.accuracy returns the number of right answers: divide by the number of "
                                "samples, x.shape[0], to get a fraction between 0 and 1.",
                                "TwoLayerNet.accuracy が正解の個数を返しています。サンプル数 x.shape[0] で割って 0〜1 の"
                                "割合にしてください。", float(right))]
            expect_close(what, got, right / n, scalar=True, mistakes=mistakes,
                         excused=[Mistake(GRADED_ELSEWHERE, "", "", v) for v in excused
                                  if not isinstance(v, tuple)])


def _shown_by_predict(net, x: np.ndarray, scores: list) -> list:
    """The scores (of mistakes graded in the predict or init cell) the
    student's own predict gives for x, and the exceptions: an accuracy is
    excused for such a mistake only where predict makes it (an accuracy of
    0 or 1/N is no evidence of anything)."""
    try:
        own = np.asarray(call("TwoLayerNet.predict(x)", (net, "predict"), x), dtype=np.float64)
    except (CheckFailure, TypeError, ValueError):
        return [s for s in scores if isinstance(s, tuple)]
    return [s for s in scores if isinstance(s, tuple) or (
        np.shape(s) == own.shape and np.allclose(s, own, rtol=RTOL, atol=ATOL))]


def _model_accuracy(scores, t):
    """The book's accuracy on the scores a predict gave (ties at 0: argmax picks the first, as np.argmax does)."""
    if isinstance(scores, tuple):
        return scores
    try:
        with quietly():
            y = np.argmax(scores, axis=1)
            labels = np.argmax(t, axis=1) if t.ndim != 1 else t
            return float(np.sum(y == labels) / float(scores.shape[0]))
    except Exception as exc:  # noqa: BLE001 -- scores of another shape
        return (type(exc).__name__, str(exc))


def _model_value(model):
    """A model's value for expect_close: a model that raised rules the mistake out where the student's did not."""
    return _never if isinstance(model, tuple) else model


def _never(got) -> bool:
    return False


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
    structure = structure_of(net)
    start = refnet.loss(P, x, labels)
    with all_cases():
        for step in range(1, SGD_STEPS + 1):
            grads = refnet.gradient(P, x, labels)
            P = {key: P[key] - SGD_LEARNING_RATE * grads[key] for key in PARAMS}
            _set_params(net, P, layers=False)
            call("TwoLayerNet.predict(x)", (net, "predict"), x)
            steps = f"{step} SGD step{'s' if step > 1 else ''}"
            what = What(f"TwoLayerNet.loss(x, t) after {steps} (it was {start:.4f} before)",
                        f"SGD を {step} 回行った後の TwoLayerNet.loss(x, t)（最初は {start:.4f}）")
            got = outcome(what, (net, "loss"), x, labels)
            excused = _excused_losses(P, x, labels, structure)
            if isinstance(got, Raised):
                raised_case(what, got.failure, got.exc, [], excused=_raised(excused))
                continue
            expected = refnet.loss(P, x, labels)
            # the loss cell grades weight decay: here it is excused
            decay = Mistake(LOSS_WEIGHT_DECAY.key, "", "", _weight_decay_model(P, expected))
            expect_close(what, got, expected, scalar=True,
                         mistakes=[replace_value(LAYERS_COPY_PARAMS, start)],
                         excused=_excused_loss_mistakes(excused) + [decay])
